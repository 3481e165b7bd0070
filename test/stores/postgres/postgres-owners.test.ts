/**
 * PostgresStore's owner index beyond the conformance suite: what the columns hold, and the race
 * of "sign out everywhere" against renames. A rename moves a session to a new row, which a
 * delete by owner whose snapshot predates the move never sees; the owner's advisory lock is what
 * closes that gap, and the step-by-step cases below hold each side at the point where it matters.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldWrite, WriteOptions } from '../../../src/core/store-contract.ts';
import type { PostgresExecutor } from '../../../src/stores/postgres/executor.ts';
import { pgExecutor } from '../../../src/stores/postgres/pg-executor.ts';
import { pgliteExecutor } from '../../../src/stores/postgres/pglite-executor.ts';
import { migrate } from '../../../src/stores/postgres/postgres-migration.ts';
import { buildStatements } from '../../../src/stores/postgres/postgres-statements.ts';
import { PostgresStore } from '../../../src/stores/postgres/postgres-store.ts';
import { newKey, siblingKeys, sleep, utf8 } from '../../conformance/conformance-helpers.ts';
import { createTestSchema, type TestSchema } from '../../support/postgres.ts';

const IDLE = 60_000;
const write = (extra: Partial<WriteOptions> = {}): WriteOptions => ({
  create: true,
  idleMs: IDLE,
  ...extra,
});
const field = (name: string, text = name): FieldWrite => ({ field: name, value: utf8(text) });
let owners = 0;
/** A fresh owner, so tests sharing a store never see each other's sessions. */
const newOwner = () => `user-${process.pid}-${++owners}-${Math.random().toString(36).slice(2)}`;

/**
 * Renames the session at `key` to fresh keys until a rename finds it gone, or until halted;
 * resolves its last key and why it stopped.
 */
async function renameUntilGone(
  store: PostgresStore,
  key: string,
  progress: { renames: number; halted: boolean },
) {
  let current = key;
  for (;;) {
    if (progress.halted) return { last: current, status: 'escaped' };
    const next = newKey(current);
    const result = await store.rename(current, next, { idleMs: IDLE });
    if (result.status !== 'renamed') return { last: current, status: result.status };
    progress.renames++;
    current = next;
    // PGlite answers without leaving the microtask queue: let timers, and the revoke, run.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function describeOwners(
  name: string,
  setup: () => Promise<{ store: PostgresStore; teardown(): Promise<void> }>,
) {
  describe(`PostgresStore owners on ${name}`, () => {
    let store: PostgresStore;
    let teardown: () => Promise<void>;
    // PGlite boots in a second or more, longer on a busy machine.
    beforeAll(async () => {
      ({ store, teardown } = await setup());
    }, 60_000);
    afterAll(async () => {
      await teardown?.();
    });

    it('binds a created session, reads its owner back, and lists it with its activity', async () => {
      const owner = newOwner();
      const key = newKey();
      const before = Date.now();
      await store.setMany(key, [field('cart'), field('theme')], write({ owner }));
      expect((await store.getAll(key))?.owner).toBe(owner);
      const [listed, ...rest] = await store.listOwned(owner, ['cart', 'missing']);
      expect(rest).toEqual([]);
      expect(listed?.key).toBe(key);
      expect([...(listed?.fields.keys() ?? [])]).toEqual(['cart']);
      expect(listed?.ttlMs).toBeGreaterThan(IDLE - 5_000);
      // The database's clock, close to this one's.
      expect(Math.abs((listed?.lastActiveAt ?? 0) - before)).toBeLessThan(5_000);
      expect(Math.abs((listed?.createdAt ?? 0) - before)).toBeLessThan(5_000);
    });

    it('moves the owner with a rename, or binds the owner a rename gives', async () => {
      const owner = newOwner();
      const [anonymous, signedIn, regenerated] = siblingKeys(3);
      await store.set(anonymous, field('cart'), write());
      expect(await store.getAll(anonymous)).not.toHaveProperty('owner');
      await store.rename(anonymous, signedIn, { idleMs: IDLE, owner });
      await store.rename(signedIn, regenerated, { idleMs: IDLE });
      expect((await store.getAll(regenerated))?.owner).toBe(owner);
      expect((await store.listOwned(owner, ['cart'])).map((session) => session.key)).toEqual([
        regenerated,
      ]);
    });

    it('creates or extends a session with an empty batch, binding only one it creates', async () => {
      const owner = newOwner();
      const key = newKey();
      expect(await store.setMany(key, [], write({ create: false }))).toBeNull();
      expect(await store.setMany(key, [], write({ owner }))).toEqual({ ttlMs: IDLE });
      expect(await store.getAll(key)).toMatchObject({ owner, fields: new Map() });
      expect(await store.setMany(key, [], write({ owner: newOwner(), idleMs: 2 * IDLE }))).toEqual({
        ttlMs: 2 * IDLE,
      });
      expect((await store.getAll(key))?.owner).toBe(owner);
      expect(await store.setMany(key, [], write({ create: false, idleMs: 1 }))).toMatchObject({
        ttlMs: expect.any(Number),
      });
    });

    it('deletes the owner sessions but one, reporting the live ones, and never other owners', async () => {
      const owner = newOwner();
      const other = newOwner();
      const [kept, first, second, expired] = [newKey(), newKey(), newKey(), newKey()];
      for (const key of [kept, first, second]) await store.set(key, field('a'), write({ owner }));
      await store.set(expired, field('a'), write({ owner, idleMs: 50 }));
      const foreign = newKey();
      await store.set(foreign, field('a'), write({ owner: other }));
      await sleep(150);
      expect((await store.listOwned(owner, [])).map((session) => session.key).sort()).toEqual(
        [kept, first, second].sort(),
      );
      expect((await store.deleteOwned(owner, kept)).sort()).toEqual([first, second].sort());
      expect((await store.listOwned(owner, [])).map((session) => session.key)).toEqual([kept]);
      expect(await store.getAll(first)).toBeUndefined();
      expect((await store.listOwned(other, [])).map((session) => session.key)).toEqual([foreign]);
      expect(await store.deleteOwned(owner)).toEqual([kept]);
      expect(await store.deleteOwned(owner)).toEqual([]);
    });

    it('lets none of 20 sessions renaming in a loop escape a deleteOwned', async () => {
      const owner = newOwner();
      const keys = Array.from({ length: 20 }, () => newKey());
      for (const key of keys) await store.set(key, field('a'), write({ owner }));
      const progress = { renames: 0, halted: false };
      const loops = keys.map((key) => renameUntilGone(store, key, progress));
      while (progress.renames < 40) await sleep(5);
      const deleted = await store.deleteOwned(owner);
      // A session that escaped would go on renaming: give the others time to find theirs gone.
      await Promise.race([Promise.all(loops), sleep(2_000)]);
      progress.halted = true;
      const ends = await Promise.all(loops);
      expect(ends.map((end) => end.status)).toEqual(keys.map(() => 'missing'));
      // Each session was deleted under the key it had then, and nothing of it is left.
      expect(deleted.sort()).toEqual(ends.map((end) => end.last).sort());
      expect(await store.listOwned(owner, [])).toEqual([]);
      for (const end of ends) expect(await store.getAll(end.last)).toBeUndefined();
    }, 30_000);

    it('leaves each of 20 logins racing deleteOwned either deleted or listed afterwards', async () => {
      const owner = newOwner();
      const pairs = Array.from({ length: 20 }, () => siblingKeys(2));
      for (const [anonymous] of pairs) await store.set(anonymous, field('a'), write());
      const created = Array.from({ length: 10 }, () => newKey());
      const logins = [
        ...pairs.map(([anonymous, signedIn]) =>
          store.rename(anonymous, signedIn, { idleMs: IDLE, owner }).then(() => signedIn),
        ),
        ...created.map((key) => store.set(key, field('a'), write({ owner })).then(() => key)),
      ];
      const deleted = await Promise.all(
        [0, 1, 2].map((wait) => sleep(wait * 3).then(() => store.deleteOwned(owner))),
      );
      const bound = await Promise.all(logins);
      const gone = new Set(deleted.flat());
      const listed = new Set((await store.listOwned(owner, [])).map((session) => session.key));
      for (const key of bound) {
        expect(gone.has(key) !== listed.has(key), key).toBe(true);
        expect((await store.getAll(key)) === undefined).toBe(gone.has(key));
      }
      expect(gone.size + listed.size).toBe(bound.length);
    }, 30_000);
  });
}

describeOwners('pg', async () => {
  const db = await createTestSchema({ prefix: 'ruts_owners', max: 25 });
  const store = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
  return {
    store,
    teardown: async () => {
      await store.close();
      await db.drop();
    },
  };
});

describeOwners('PGlite', async () => {
  const executor = pgliteExecutor('memory://owners');
  await migrate(executor);
  const store = new PostgresStore({ executor });
  return { store, teardown: () => store.close() };
});

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * An executor that runs `pause(sql)` after each statement of a transaction, so a test can hold
 * a transaction right after the statement that matters, with its locks.
 */
function pausing(inner: PostgresExecutor, pause: (sql: string) => Promise<void> | undefined) {
  const executor: PostgresExecutor = {
    query: (sql, params) => inner.query(sql, params),
    close: () => inner.close(),
    transaction: (work) =>
      inner.transaction((tx) =>
        work({
          async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[]) {
            const rows = await tx.query<R>(sql, params);
            await pause(sql);
            return rows;
          },
        }),
      ),
  };
  return executor;
}

describe('PostgresStore owners, one interleaving at a time', () => {
  let db: TestSchema;
  let store: PostgresStore;
  let held: { sql: string; reached: () => void; release: Promise<void> } | undefined;
  const sql = () => buildStatements(store.tables);

  /** Holds the next transaction that runs `statement`, after it, until `release` opens. */
  function holdAfter(statement: string) {
    const reached = gate();
    const release = gate();
    held = { sql: statement, reached: reached.open, release: release.opened };
    return { reached: reached.opened, release: release.open };
  }

  /** Resolves once `count` statements on this test's tables wait for a lock. */
  async function waiting(count: number, kind?: string) {
    for (let tries = 0; tries < 500; tries++) {
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND ($2::text IS NULL OR wait_event = $2)
           AND position($1 IN query) > 0 AND pid <> pg_backend_pid()
           AND datname = current_database()`,
        [db.schema, kind ?? null],
      );
      if (rows[0].n >= count) return;
      await sleep(10);
    }
    throw new Error(`never saw ${count} statements waiting for a lock`);
  }

  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_owners_steps', max: 10 });
    const executor = pausing(pgExecutor(db.pool), (text) => {
      const current = held;
      if (current === undefined || text !== current.sql) return undefined;
      held = undefined;
      current.reached();
      return current.release;
    });
    store = new PostgresStore({ executor, schema: db.schema });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('deletes a session whose rename is under way, where a plain delete by owner misses it', async () => {
    const owner = newOwner();
    const [from, to] = siblingKeys(2);
    await store.set(from, field('a'), write({ owner }));
    // The rename has locked the source, claimed the target and holds the owner's lock shared.
    const hold = holdAfter(sql().renameClaim);
    const renamed = store.rename(from, to, { idleMs: IDLE });
    await hold.reached;

    // Without the owner's lock: the snapshot is taken now, the source row lock waited for.
    const plain = db.pool.query(
      `DELETE FROM "${db.schema}".ruts_sessions WHERE owner = $1 RETURNING key`,
      [owner],
    );
    const revoked = store.deleteOwned(owner);
    await waiting(2);
    hold.release();

    expect(await renamed).toMatchObject({ status: 'renamed' });
    // The plain delete found the source gone and never saw the new row: the session escaped it.
    expect((await plain).rows).toEqual([]);
    expect(await revoked).toEqual([to]);
    expect(await store.getAll(to)).toBeUndefined();
  });

  it('makes a rename that starts while deleteOwned holds the lock wait, then find the session gone', async () => {
    const owner = newOwner();
    const [from, to] = siblingKeys(2);
    await store.set(from, field('a'), write({ owner }));
    const hold = holdAfter(sql().lockOwner);
    const revoked = store.deleteOwned(owner);
    await hold.reached;

    // Its claim gives way rather than wait holding the row, and the retry waits for the lock.
    const renamed = store.rename(from, to, { idleMs: IDLE });
    await waiting(1, 'advisory');
    hold.release();

    expect(await revoked).toEqual([from]);
    expect(await renamed).toEqual({ status: 'missing' });
    expect(await store.getAll(to)).toBeUndefined();
    expect(await store.listOwned(owner, [])).toEqual([]);
  });

  it('lists a login committed after deleteOwned looked, which did not wait for it', async () => {
    const owner = newOwner();
    const [anonymous, signedIn] = siblingKeys(2);
    await store.set(anonymous, field('a'), write());
    const hold = holdAfter(sql().renameClaim);
    const login = store.rename(anonymous, signedIn, { idleMs: IDLE, owner });
    await hold.reached;

    // An unowned source takes no owner lock: the revoke neither waits nor sees the new row.
    expect(await store.deleteOwned(owner)).toEqual([]);
    hold.release();
    expect(await login).toMatchObject({ status: 'renamed' });
    expect((await store.listOwned(owner, [])).map((session) => session.key)).toEqual([signedIn]);
  });

  it('moves a session no revoke is after without waiting for the owner lock', async () => {
    const owner = newOwner();
    const [from, to] = siblingKeys(2);
    await store.set(from, field('a'), write({ owner }));
    const hold = holdAfter(sql().lockOwner);
    const revoked = store.deleteOwned(newOwner());
    await hold.reached;
    try {
      expect(await store.rename(from, to, { idleMs: IDLE })).toMatchObject({ status: 'renamed' });
    } finally {
      hold.release();
    }
    expect(await revoked).toEqual([]);
    expect((await store.getAll(to))?.owner).toBe(owner);
  });
});
