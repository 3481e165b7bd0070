/**
 * A cold change that rejects may have happened all the same (a commit whose reply was lost).
 * Hot must keep serving the session while cold is down, and must not serve a stale copy once
 * cold answers again; changes that end a session invalidate hot at once instead.
 */

import { describe, expect, it } from 'vitest';
import { InvalidKeyError, StoreError } from '../../../src/core/errors.ts';
import type { SessionStore } from '../../../src/core/store-contract.ts';
import { LayeredStore, type LayeredStoreEvent } from '../../../src/stores/layered-store.ts';
import { memoryStore } from '../../support/memory-store.ts';
import { compareTiers } from '../layered-fault-load.ts';
import { HOUR, layered, names, type TierDouble, text, utf8, write } from './support/tier-double.ts';

const key = 'fam00000.session';
const other = 'fam00000.other';
const renamed = 'fam00000.renamed';

type Method = Parameters<Parameters<ReturnType<typeof layered>['cold']['failWhen']>[0]>[0];

/** One change whose cold reply is lost, and what the session must look like afterwards. */
interface KeepCase {
  readonly name: string;
  /** The cold method whose reply is lost. */
  readonly method: Method;
  readonly change: (store: LayeredStore) => Promise<unknown>;
  readonly after: (store: LayeredStore) => Promise<void>;
  /** Whether the change shows in field values (a TTL change does not). @default true */
  readonly changesFields?: boolean;
  /** Whether hot ends up holding copies only, which `compareTiers` can check. @default true */
  readonly copiesOnly?: boolean;
}

const keepCases: KeepCase[] = [
  {
    name: "set 'through'",
    method: 'set',
    change: (store) => store.set(key, { field: 'a', value: utf8('new') }, write()),
    after: async (store) => expect(text(await store.get(key, 'a'))).toBe('new'),
  },
  {
    name: "setMany 'through'",
    method: 'setMany',
    change: (store) =>
      store.setMany(
        key,
        [
          { field: 'a', value: utf8('new') },
          { field: 'b', value: utf8('2') },
        ],
        write(),
      ),
    after: async (store) => {
      const session = await store.getAll(key);
      expect([
        text(session?.fields.get('a')?.value),
        text(session?.fields.get('b')?.value),
      ]).toEqual(['new', '2']);
    },
  },
  {
    name: "set 'cold'",
    method: 'setMany',
    change: (store) => store.set(key, { field: 'a', value: utf8('new') }, write({ write: 'cold' })),
    after: async (store) => expect(text(await store.get(key, 'a'))).toBe('new'),
    copiesOnly: false,
  },
  {
    name: "setIfAbsent 'through'",
    method: 'setIfAbsent',
    change: (store) => store.setIfAbsent(key, { field: 'b', value: utf8('2') }, write()),
    after: async (store) => expect(text(await store.get(key, 'b'))).toBe('2'),
  },
  {
    name: "setIfAbsent 'cold'",
    method: 'setIfAbsent',
    change: (store) =>
      store.setIfAbsent(key, { field: 'b', value: utf8('2') }, write({ write: 'cold' })),
    // The marker never followed the insert, so the field is cached like any other.
    after: async (store) => expect(text(await store.get(key, 'b'))).toBe('2'),
  },
  {
    name: "set 'hot' of a field cold holds (the move out of cold)",
    method: 'remove',
    change: (store) => store.set(key, { field: 'a', value: utf8('new') }, write({ write: 'hot' })),
    // Cold dropped the field, and the hot write never happened: the field is gone.
    after: async (store) => expect(await store.get(key, 'a')).toBeUndefined(),
  },
  {
    name: 'remove',
    method: 'remove',
    change: (store) => store.remove(key, 'a'),
    after: async (store) => expect(await store.get(key, 'a')).toBeUndefined(),
  },
  {
    name: 'take',
    method: 'take',
    change: (store) => store.take(key, 'a'),
    after: async (store) => expect(await store.get(key, 'a')).toBeUndefined(),
  },
  {
    name: "expire 'set'",
    method: 'expire',
    change: (store) => store.expire(key, 10_000, 'set'),
    after: async (store) => expect((await store.getAll(key))?.ttlMs).toBeLessThanOrEqual(10_000),
    changesFields: false,
  },
];

/** The value of the copy of `field` that the hot tier holds, bypassing the layered store. */
async function hotCopy(
  hot: ReturnType<typeof layered>['hot'],
  at: string,
  field: string,
): Promise<string | undefined> {
  return text((await hot.inner.getAll(at))?.fields.get(field)?.value);
}

/** A call that only cold can answer: a read of a session that neither tier holds. */
async function coldAnswers(store: LayeredStore): Promise<void> {
  expect(await store.getAll('fam00000.nobody')).toBeUndefined();
}

/** A layered store holding warm sessions at `key` (field `a` = `old`) and at `other`. */
async function warmSessions() {
  const tiers = layered();
  await tiers.store.set(key, { field: 'a', value: utf8('old') }, write());
  await tiers.store.set(other, { field: 'x', value: utf8('1') }, write());
  await Promise.all([tiers.store.getAll(key), tiers.store.getAll(other)]);
  return tiers;
}

describe('LayeredStore when a cold change fails and may have happened', () => {
  describe.each(keepCases)('$name', (c) => {
    const { method, change, after, changesFields = true, copiesOnly = true } = c;
    it('rejects, keeps serving hot through the outage, and invalidates hot once cold answers', async () => {
      const { store, hot, cold, events } = await warmSessions();
      cold.loseRepliesWhen((m) => m === method);
      const failure = await change(store).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreError);
      expect((failure as StoreError).message).toMatch(/on the cold tier: Connection terminated/);
      cold.loseRepliesWhen(() => false);

      // Cold goes down: hot holds the complete session and serves it, old value and all.
      cold.kill();
      cold.reset();
      expect(text(await store.get(key, 'a'))).toBe('old');
      expect(names(await store.getAll(key))).toContain('a');
      expect(cold.total()).toBe(0);
      if (changesFields) {
        const before = await compareTiers(hot.inner, cold.inner, [key]);
        expect(before.disagreements).not.toEqual([]);
      }

      // Cold is back. Its first answer, to a write to another session, invalidates the entry.
      cold.revive();
      await store.set(other, { field: 'y', value: utf8('2') }, write());
      expect(await hot.inner.getAll(key)).toBeUndefined();
      expect(await hotCopy(hot, other, 'y')).toBe('2');

      // The next read warms from cold, which holds the change that was reported as failed.
      await after(store);
      expect(await hot.inner.getAll(key)).toBeDefined();
      if (copiesOnly) {
        const tiers = await compareTiers(hot.inner, cold.inner, [key, other]);
        expect(tiers).toMatchObject({ disagreements: [], complete: 2 });
      }
      expect(events).toEqual([]);
    });
  });

  /** The change whose reply the two tests below lose: `a` from `old` to `new`. */
  const loseChange = async (store: LayeredStore, cold: TierDouble) => {
    cold.loseRepliesWhen((m) => m === 'setMany');
    const change = [
      { field: 'a', value: utf8('new') },
      { field: 'b', value: utf8('2') },
    ];
    await expect(store.setMany(key, change, write())).rejects.toBeInstanceOf(StoreError);
    cold.loseRepliesWhen(() => false);
  };

  /**
   * With cold down, hot still serves the session's old value; once cold is back, its first
   * answer invalidates the entry and the next read shows the change cold committed.
   */
  const expectHotHeldUntilColdIsBack = async ({ store, hot, cold }: ReturnType<typeof layered>) => {
    expect(await hot.inner.getAll(key)).toBeDefined();
    expect(text(await store.get(key, 'a'))).toBe('old');
    cold.revive();
    await coldAnswers(store);
    expect(await hot.inner.getAll(key)).toBeUndefined();
    expect(text(await store.get(key, 'a'))).toBe('new');
  };

  it('is not confirmed by a call that was already under way when the change failed', async () => {
    const tiers = await warmSessions();
    const { store, cold } = tiers;
    // A write to another session reaches cold before the outage; its answer arrives after.
    const earlier = cold.hold('set');
    const answered = store.set(other, { field: 'y', value: utf8('2') }, write());
    await loseChange(store, cold);
    cold.kill();
    earlier.release();
    await answered;
    await expectHotHeldUntilColdIsBack(tiers);
  });

  it('is not confirmed by a call during which another cold call failed', async () => {
    const tiers = await warmSessions();
    const { store, cold } = tiers;
    await loseChange(store, cold);
    // Cold is shutting down: a write gets through on a connection not yet closed, while a read
    // started after it fails.
    const late = cold.hold('set');
    const answered = store.set(other, { field: 'y', value: utf8('2') }, write());
    cold.kill();
    await expect(store.getAll('fam00000.nobody')).rejects.toBeInstanceOf(StoreError);
    late.release();
    await answered;
    await expectHotHeldUntilColdIsBack(tiers);
  });

  it("leaves hot alone after an 'extend' that may have happened: hot's shorter life is still true", async () => {
    const { store, hot, cold, events } = await warmSessions();
    cold.loseRepliesWhen((method) => method === 'expire');
    await expect(store.expire(key, 72 * HOUR, 'extend')).rejects.toBeInstanceOf(StoreError);
    cold.loseRepliesWhen(() => false);
    await coldAnswers(store);
    expect(await hotCopy(hot, key, 'a')).toBe('old');
    cold.reset();
    const session = await store.getAll(key);
    expect(cold.total()).toBe(0);
    expect(session?.ttlMs).toBeLessThanOrEqual(24 * HOUR);
    expect((await cold.inner.getAll(key))?.ttlMs).toBeGreaterThan(48 * HOUR);
    expect(events).toEqual([]);
  });

  it('invalidates hot on the retry of the write itself, which then reads back from cold', async () => {
    const { store, hot, cold } = await warmSessions();
    cold.loseRepliesWhen((method) => method === 'set');
    await expect(
      store.set(key, { field: 'a', value: utf8('new') }, write()),
    ).rejects.toBeInstanceOf(StoreError);
    cold.loseRepliesWhen(() => false);
    expect(text(await store.get(key, 'a'))).toBe('old');
    await store.set(key, { field: 'b', value: utf8('2') }, write());
    expect(await hot.inner.getAll(key)).toBeUndefined();
    const session = await store.getAll(key);
    expect([text(session?.fields.get('a')?.value), text(session?.fields.get('b')?.value)]).toEqual([
      'new',
      '2',
    ]);
    expect((await compareTiers(hot.inner, cold.inner, [key])).disagreements).toEqual([]);
  });

  it('does the same when the change never reached cold: hot then agrees with cold again', async () => {
    const { store, hot, cold } = await warmSessions();
    cold.kill();
    await expect(
      store.set(key, { field: 'a', value: utf8('new') }, write()),
    ).rejects.toBeInstanceOf(StoreError);
    expect(text(await store.get(key, 'a'))).toBe('old');
    cold.revive();
    await coldAnswers(store);
    expect(await hot.inner.getAll(key)).toBeUndefined();
    expect(text(await store.get(key, 'a'))).toBe('old');
  });

  describe('changes that end a session invalidate hot at once', () => {
    it('delete: the session is not served while cold is down, and is gone once it is back', async () => {
      const { store, hot, cold } = await warmSessions();
      cold.loseRepliesWhen((method) => method === 'delete');
      await expect(store.delete(key)).rejects.toThrow(/delete on the cold tier/);
      cold.loseRepliesWhen(() => false);
      expect(await hot.inner.getAll(key)).toBeUndefined();
      cold.kill();
      await expect(store.getAll(key)).rejects.toBeInstanceOf(StoreError);
      await expect(store.get(key, 'a')).rejects.toBeInstanceOf(StoreError);
      // Sessions whose change did not fail are still served from hot.
      expect(text(await store.get(other, 'x'))).toBe('1');
      cold.revive();
      expect(await store.getAll(key)).toBeUndefined();
      expect(await store.get(key, 'a')).toBeUndefined();
    });

    it('rename: the old id is not served while cold is down, and is dead once it is back', async () => {
      const { store, hot, cold } = await warmSessions();
      cold.loseRepliesWhen((method) => method === 'rename');
      const set = [{ field: 'user', value: utf8('u1') }];
      await expect(store.rename(key, renamed, { idleMs: HOUR, set })).rejects.toThrow(
        /rename on the cold tier/,
      );
      cold.loseRepliesWhen(() => false);
      expect(await hot.inner.getAll(key)).toBeUndefined();
      cold.kill();
      await expect(store.get(key, 'a')).rejects.toBeInstanceOf(StoreError);
      cold.revive();
      expect(await store.getAll(key)).toBeUndefined();
      const session = await store.getAll(renamed);
      expect(names(session)).toEqual(['a', 'user']);
      expect(text(session?.fields.get('a')?.value)).toBe('old');
      expect((await compareTiers(hot.inner, cold.inner, [key, renamed])).disagreements).toEqual([]);
    });

    it('expire to zero: the session is not served while cold is down, and is gone after', async () => {
      const { store, hot, cold } = await warmSessions();
      cold.loseRepliesWhen((method) => method === 'expire');
      await expect(store.expire(key, 0, 'set')).rejects.toThrow(/expire on the cold tier/);
      cold.loseRepliesWhen(() => false);
      expect(await hot.inner.getAll(key)).toBeUndefined();
      cold.kill();
      await expect(store.get(key, 'a')).rejects.toBeInstanceOf(StoreError);
      cold.revive();
      expect(await store.getAll(key)).toBeUndefined();
    });

    it('reports hot-stale, and bypasses the entry, when even the invalidation fails', async () => {
      const { store, hot, cold, events } = await warmSessions();
      cold.kill();
      hot.failWhen((method) => method === 'delete');
      await expect(store.delete(key)).rejects.toBeInstanceOf(StoreError);
      expect(events).toMatchObject([{ type: 'hot-stale', operation: 'delete', key }]);
      // Hot still holds the session, but this process does not serve it.
      expect(await hotCopy(hot, key, 'a')).toBe('old');
      await expect(store.get(key, 'a')).rejects.toBeInstanceOf(StoreError);
      hot.failWhen(() => false);
      cold.revive();
      // The delete never reached cold, so the session lives on, read afresh from cold.
      expect(text(await store.get(key, 'a'))).toBe('old');
    });
  });

  it('reports hot-stale when invalidating an unconfirmed key fails, and bypasses the entry', async () => {
    const { store, hot, cold, events } = await warmSessions();
    cold.loseRepliesWhen((method) => method === 'set');
    await expect(
      store.set(key, { field: 'a', value: utf8('new') }, write()),
    ).rejects.toBeInstanceOf(StoreError);
    cold.loseRepliesWhen(() => false);
    hot.failWhen((method, args) => method === 'delete' && args[0] === key);
    await coldAnswers(store);
    expect(events).toMatchObject([{ type: 'hot-stale', operation: 'set', key }]);
    expect(await hotCopy(hot, key, 'a')).toBe('old');
    expect(text(await store.get(key, 'a'))).toBe('new');
    hot.failWhen(() => false);
    expect(text(await store.get(key, 'a'))).toBe('new');
    expect((await compareTiers(hot.inner, cold.inner, [key])).disagreements).toEqual([]);
  });

  it('leaves hot alone when cold refuses a call before sending it (not a store failure)', async () => {
    const refusal = new InvalidKeyError(key, 'a test refusal');
    const inner = memoryStore();
    let refuse = false;
    const cold: SessionStore = new Proxy(inner, {
      get: (target, property) => {
        if (property === 'set' && refuse) return () => Promise.reject(refusal);
        const member = Reflect.get(target, property);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    });
    const hot = memoryStore();
    const events: LayeredStoreEvent[] = [];
    const store = new LayeredStore({ hot, cold, onEvent: (event) => events.push(event) });
    await store.set(key, { field: 'a', value: utf8('old') }, write());
    await store.getAll(key);
    refuse = true;
    await expect(store.set(key, { field: 'a', value: utf8('new') }, write())).rejects.toBe(refusal);
    refuse = false;
    await coldAnswers(store);
    expect(names(await hot.getAll(key))).toContain('a');
    expect(events).toEqual([]);
  });

  it('remembers at most 10 000 keys, forgetting the oldest and reporting it as hot-stale', async () => {
    const { store, hot, cold, events } = await warmSessions();
    cold.kill();
    const failedKeys = [key, ...Array.from({ length: 10_000 }, (_, i) => `fam00000.k${i}`)];
    for (const failed of failedKeys) {
      await expect(
        store.set(failed, { field: 'a', value: utf8('new') }, write()),
      ).rejects.toBeInstanceOf(StoreError);
    }
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'hot-stale', operation: 'set', key });
    expect(events[0]?.error).toBeInstanceOf(StoreError);
    cold.revive();
    await coldAnswers(store);
    // Forgotten: hot keeps the entry, which is what the event warned of.
    expect(await hotCopy(hot, key, 'a')).toBe('old');
  });

  it('forgets unconfirmed keys on close', async () => {
    const { store, hot, cold } = await warmSessions();
    cold.kill();
    await expect(
      store.set(key, { field: 'a', value: utf8('new') }, write()),
    ).rejects.toBeInstanceOf(StoreError);
    await store.close();
    cold.revive();
    await coldAnswers(store);
    expect(await hotCopy(hot, key, 'a')).toBe('old');
  });
});
