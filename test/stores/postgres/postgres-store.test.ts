import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, SessionTooLargeError } from '../../../src/core/errors.ts';
import type { FieldWrite, WriteOptions } from '../../../src/core/store-contract.ts';
import type { PostgresExecutor } from '../../../src/stores/postgres/executor.ts';
import { pgExecutor } from '../../../src/stores/postgres/pg-executor.ts';
import {
  PostgresStore,
  type PostgresStoreOptions,
} from '../../../src/stores/postgres/postgres-store.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';
import { createTestSchema, POSTGRES_URL, type TestSchema } from '../../support/postgres.ts';
import { readField } from '../../support/read-field.ts';

describeStoreConformance('PostgresStore on pg', async () => {
  const db = await createTestSchema({ prefix: 'ruts_conformance', max: 20 });
  const store = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
  return {
    store,
    teardown: async () => {
      await store.close();
      await db.drop();
    },
  };
});

const utf8 = (text: string) => new TextEncoder().encode(text);
const write = (extra: Partial<WriteOptions> = {}): WriteOptions => ({
  create: true,
  idleMs: 60_000,
  ...extra,
});
const limited = (maxFields: number, maxSessionBytes = 1 << 20, extra: Partial<WriteOptions> = {}) =>
  write({ limits: { maxFields, maxSessionBytes }, ...extra });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the statements an executor runs. */
function counting(inner: PostgresExecutor) {
  const counter = { statements: 0 };
  const executor: PostgresExecutor = {
    ...inner,
    query(sql, params) {
      counter.statements++;
      return inner.query(sql, params);
    },
  };
  return { executor, counter };
}

describe('PostgresStore', () => {
  let db: TestSchema;
  let store: PostgresStore;
  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_store', max: 20 });
    store = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  describe('options', () => {
    it('needs an executor, and says where pool and connectionString went', () => {
      expect(() => new PostgresStore({} as PostgresStoreOptions)).toThrow(ConfigError);
      const legacy = { connectionString: POSTGRES_URL } as unknown as PostgresStoreOptions;
      expect(() => new PostgresStore(legacy)).toThrow(
        /`pool` and `connectionString` options are gone: pass them to pgExecutor\(\)/,
      );
    });

    it('refuses an executor without query and transaction', () => {
      expect(() => new PostgresStore({ executor: {} as PostgresExecutor })).toThrow(ConfigError);
    });

    it('refuses a schema or table prefix that is not a plain identifier', () => {
      expect(() => new PostgresStore({ executor: pgExecutor(db.pool), schema: 'a";--' })).toThrow(
        ConfigError,
      );
      expect(
        () => new PostgresStore({ executor: pgExecutor(db.pool), tablePrefix: 'x y' }),
      ).toThrow(ConfigError);
    });

    it('refuses a sweep batch size that is not a positive integer', () => {
      expect(() => new PostgresStore({ executor: pgExecutor(db.pool), sweepBatchSize: 0 })).toThrow(
        /sweepBatchSize must be a positive integer/,
      );
    });

    it('names the tables it uses', () => {
      expect(store.tables.sessions).toBe(`"${db.schema}"."ruts_sessions"`);
      expect(store.tables.fields).toBe(`"${db.schema}"."ruts_session_fields"`);
    });
  });

  describe('reads', () => {
    it('reads a whole session with one statement', async () => {
      const { executor, counter } = counting(pgExecutor(db.pool));
      const counted = new PostgresStore({ executor, schema: db.schema });
      const key = 'family1.one-statement';
      await counted.setMany(
        key,
        Array.from({ length: 5 }, (_, i) => ({ field: `f${i}`, value: utf8(`${i}`) })),
        write(),
      );
      counter.statements = 0;
      expect((await counted.getAll(key))?.fields.size).toBe(5);
      expect(counter.statements).toBe(1);
    });

    it('writes one field to a live session with one statement', async () => {
      const { executor, counter } = counting(pgExecutor(db.pool));
      const counted = new PostgresStore({ executor, schema: db.schema });
      const key = 'family1.one-field-write';
      await counted.set(key, { field: 'a', value: utf8('1') }, write());
      counter.statements = 0;
      expect(
        await counted.set(
          key,
          { field: 'b', value: utf8('2'), ttlMs: 120_000 },
          write({ create: false }),
        ),
      ).toEqual({ ttlMs: 120_000 });
      expect(counter.statements).toBe(1);
      const session = await counted.getAll(key);
      expect(session?.fields.get('b')?.value).toEqual(utf8('2'));
      expect(session?.fields.get('b')?.ttlMs).toBeGreaterThan(60_000);
      expect(session?.fields.get('b')?.ttlMs).toBeLessThanOrEqual(120_000);
      expect(session?.fields.get('a')).toEqual({ value: utf8('1'), ttlMs: null });
    });

    it('returns plain Uint8Arrays, not the Buffers pg produces', async () => {
      const key = 'family1.plain-bytes';
      await store.set(key, { field: 'a', value: utf8('bytes') }, write());
      expect((await readField(store, key, 'a'))?.constructor).toBe(Uint8Array);
      expect((await store.getAll(key))?.fields.get('a')?.value.constructor).toBe(Uint8Array);
      expect((await store.take(key, 'a'))?.constructor).toBe(Uint8Array);
    });
  });

  describe('concurrency beyond the conformance suite', () => {
    it('lets exactly one of 50 concurrent setIfAbsent calls write to an existing session', async () => {
      const key = 'family1.existing-race';
      await store.set(key, { field: 'other', value: utf8('x') }, write());
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.setIfAbsent(key, { field: 'f', value: utf8(`writer ${i}`) }, write()),
        ),
      );
      const winners = results.flatMap((result, i) => (result?.written ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(await readField(store, key, 'f')).toEqual(utf8(`writer ${winners[0]}`));
    });

    it('keeps every concurrent write to an expired session, and none of its old fields', async () => {
      const key = 'family1.expired-race';
      await db.pool.query(
        `INSERT INTO ruts_sessions (key, created_at, expires_at)
           VALUES ($1, now() - interval '1 hour', now() - interval '1 second');
         INSERT INTO ruts_session_fields (session_id, name, value)
           SELECT s.id, p || g, '\\x00' FROM ruts_sessions AS s, generate_series(0, 9) AS g,
             (VALUES ('old-'), ('f')) AS n(p)
           WHERE s.key = $1;`.replaceAll('$1', `'${key}'`),
      );
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.set(key, { field: `f${i}`, value: utf8(`new ${i}`) }, write()),
        ),
      );
      const session = await store.getAll(key);
      expect(session?.fields.size).toBe(40);
      for (let i = 0; i < 40; i++)
        expect(session?.fields.get(`f${i}`)?.value).toEqual(utf8(`new ${i}`));
      expect(session?.createdAt).toBeGreaterThan(Date.now() - 60_000);
    });
  });

  describe('session limits beyond the conformance suite', () => {
    /** The session row's counters, and what its live fields really hold. */
    async function tally(key: string) {
      const { rows } = await db.pool.query(
        `SELECT s.field_count::float8 AS count, s.field_bytes::float8 AS bytes,
           (SELECT count(*) FROM ruts_session_fields AS f
             WHERE f.session_id = s.id AND coalesce(f.expires_at, 'infinity') > now())::float8
             AS live_count,
           (SELECT coalesce(sum(octet_length(f.name) + octet_length(f.value)), 0)
             FROM ruts_session_fields AS f
             WHERE f.session_id = s.id AND coalesce(f.expires_at, 'infinity') > now())::float8
             AS live_bytes
         FROM ruts_sessions AS s WHERE s.key = $1`,
        [key],
      );
      return rows[0] as {
        count: number | null;
        bytes: number | null;
        live_count: number;
        live_bytes: number;
      };
    }

    /** Waits until a statement on this test's tables waits for a lock. */
    async function untilWaiting(fragment: string): Promise<void> {
      for (let attempt = 0; attempt < 500; attempt++) {
        const { rows } = await db.pool.query(
          `SELECT count(*)::float8 AS waiting FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE $1 AND query LIKE $2`,
          [`%"${db.schema}"%`, `%${fragment}%`],
        );
        if (rows[0]?.waiting > 0) return;
        await sleep(10);
      }
      throw new Error('the write never waited for the lock');
    }

    it('checks the limits of the common writes in their one statement', async () => {
      const { executor, counter } = counting(pgExecutor(db.pool));
      const counted = new PostgresStore({ executor, schema: db.schema });
      const key = 'family1.limited-one-statement';
      await counted.setMany(
        key,
        ['a', 'b'].map((field) => ({ field, value: utf8(field) })),
        limited(3),
      );
      await counted.set(
        key,
        { field: 'c', value: utf8('c') },
        limited(3, 1 << 20, { create: false }),
      );
      await counted.set(key, { field: 'a', value: utf8('A') }, limited(3));
      await counted.setMany(
        key,
        [{ field: 'b', value: utf8('B') }],
        limited(3, 1 << 20, { create: false }),
      );
      expect(counter.statements).toBe(4);
      expect(await tally(key)).toEqual({ count: 3, bytes: 6, live_count: 3, live_bytes: 6 });
    });

    it('leaves the counters above what removals, takes and expiry free, until a recount', async () => {
      const key = 'family1.counters-fall-by-recount';
      await store.setMany(
        key,
        [
          { field: 'a', value: utf8('aaaa') },
          { field: 'b', value: utf8('b') },
          { field: 'c', value: utf8('c'), ttlMs: 200 },
        ],
        limited(3),
      );
      expect(await tally(key)).toEqual({ count: 3, bytes: 9, live_count: 3, live_bytes: 9 });
      await store.remove(key, 'a');
      await store.take(key, 'b');
      await sleep(400);
      expect(await tally(key)).toEqual({ count: 3, bytes: 9, live_count: 0, live_bytes: 0 });
      // A fourth field is more than the counters allow, so the session is counted again.
      await store.set(key, { field: 'd', value: utf8('dd') }, limited(3));
      expect(await tally(key)).toEqual({ count: 1, bytes: 3, live_count: 1, live_bytes: 3 });
      const { rows } = await db.pool.query(
        `SELECT count(*)::float8 AS rows FROM ruts_session_fields AS f JOIN ruts_sessions AS s
           ON f.session_id = s.id WHERE s.key = $1`,
        [key],
      );
      expect(rows[0]?.rows).toBe(1);
    });

    it('grows the counters by every field written, in full, and unknown counters not at all', async () => {
      const key = 'family1.counters-grow';
      await store.setMany(key, [{ field: 'a', value: utf8('aa') }], write());
      await store.set(key, { field: 'a', value: utf8('a') }, write());
      await store.set(key, { field: 'a', value: utf8('aaaa') }, write({ create: false }));
      await store.setMany(key, [{ field: 'b', value: utf8('b') }], write({ create: false }));
      // Each write is charged in full, whatever it replaced: only a recount lowers the counters.
      expect(await tally(key)).toEqual({ count: 4, bytes: 12, live_count: 2, live_bytes: 7 });
      await db.pool.query(
        'UPDATE ruts_sessions SET field_count = NULL, field_bytes = NULL WHERE key = $1',
        [key],
      );
      await store.set(key, { field: 'c', value: utf8('c') }, write());
      await store.set(key, { field: 'd', value: utf8('d') }, write({ create: false }));
      expect(await tally(key)).toMatchObject({ count: null, bytes: null, live_count: 4 });
      // setIfAbsent decides after the lock, so it knows the totals exactly.
      await store.setIfAbsent(key, { field: 'e', value: utf8('e') }, write());
      expect(await tally(key)).toEqual({ count: 5, bytes: 13, live_count: 5, live_bytes: 13 });
    });

    it('counts a session recreated after it expired from its new fields alone', async () => {
      const key = 'family1.counters-recreated';
      await store.setMany(
        key,
        ['a', 'b', 'c'].map((field) => ({ field, value: utf8(field) })),
        write(),
      );
      await db.pool.query(
        "UPDATE ruts_sessions SET expires_at = now() - interval '1 second' WHERE key = $1",
        [key],
      );
      await store.set(key, { field: 'z', value: utf8('zz') }, limited(1));
      expect(await tally(key)).toEqual({ count: 1, bytes: 3, live_count: 1, live_bytes: 3 });
    });

    it('carries the counters through a rename, counting the fields moved', async () => {
      const [from, to] = ['family1.counters-from', 'family1.counters-to'];
      await store.setMany(
        from,
        [
          { field: 'a', value: utf8('a') },
          { field: 'b', value: utf8('b') },
        ],
        write(),
      );
      await store.remove(from, 'b');
      expect(await store.rename(from, to, { idleMs: 60_000 })).toMatchObject({ status: 'renamed' });
      expect(await tally(to)).toEqual({ count: 1, bytes: 2, live_count: 1, live_bytes: 2 });
      await store.rename(to, from, {
        idleMs: 60_000,
        set: [{ field: 'c', value: utf8('cc') }],
        limits: { maxFields: 2, maxSessionBytes: 100 },
      });
      expect(await tally(from)).toEqual({ count: 2, bytes: 5, live_count: 2, live_bytes: 5 });
    });

    it('never undercounts a write whose snapshot is older than a recount', async () => {
      // The write's snapshot shows `a`, which is removed before the session is recounted while
      // the write waits for the row lock. Had the write charged only what its snapshot showed
      // it growing, it would add `a` back for nothing and leave three fields under a limit of two.
      const key = 'family1.stale-snapshot';
      const two = limited(2);
      await store.setMany(
        key,
        ['a', 'b'].map((field) => ({ field, value: utf8(field) })),
        two,
      );
      const locker = await db.pool.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('SELECT 1 FROM ruts_sessions WHERE key = $1 FOR UPDATE', [key]);
        const pending = store
          .set(key, { field: 'a', value: utf8('a') }, { ...two, create: false })
          .then(
            () => 'written',
            (error: unknown) => error,
          );
        // The counters (2 of 2) refuse the write at once, so it waits in the exact decision.
        await untilWaiting('SELECT 1 AS found');
        expect(await store.remove(key, 'a')).toBe(true);
        // What a recount and a write of `c` leave behind.
        await locker.query(
          `INSERT INTO ruts_session_fields (session_id, name, value)
           SELECT id, 'c', 'c'::bytea FROM ruts_sessions WHERE key = $1`,
          [key],
        );
        await locker.query(
          'UPDATE ruts_sessions SET field_count = 2, field_bytes = 4 WHERE key = $1',
          [key],
        );
        await locker.query('COMMIT');
        expect(await pending).toBeInstanceOf(SessionTooLargeError);
      } finally {
        locker.release();
      }
      expect([...((await store.getAll(key))?.fields.keys() ?? [])].sort()).toEqual(['b', 'c']);
    });

    it('keeps the counters at or above the live fields through racing writes, removals and recounts', async () => {
      const key = 'family1.counters-race';
      await store.set(key, { field: 'f0', value: utf8('x') }, write());
      const value = (i: number) => new Uint8Array(1 + (i % 7));
      const operations = Array.from({ length: 300 }, (_, i) => {
        const field = `f${i % 9}`;
        const entry: FieldWrite = { field, value: value(i) };
        const options = limited(6 + (i % 3), 40, { create: i % 2 === 0 });
        switch (i % 6) {
          case 0:
            return store.set(key, entry, options);
          case 1:
            return store.setMany(
              key,
              [entry, { field: `f${(i + 4) % 9}`, value: value(i + 1) }],
              options,
            );
          case 2:
            return store.remove(key, field);
          case 3:
            return store.set(key, entry, write({ create: false }));
          case 4:
            return store.take(key, field);
          default:
            return store.setIfAbsent(key, entry, options);
        }
      });
      const results = await Promise.allSettled(operations);
      for (const result of results) {
        if (result.status === 'rejected')
          expect(result.reason).toBeInstanceOf(SessionTooLargeError);
      }
      const { count, bytes, live_count, live_bytes } = await tally(key);
      expect(count).toBeGreaterThanOrEqual(live_count);
      expect(bytes).toBeGreaterThanOrEqual(live_bytes);
    });
  });

  describe('migrate', () => {
    it('creates missing tables on first use, under the schema and prefix it was given', async () => {
      const fresh = await createTestSchema({ prefix: 'ruts_store_migrate', migrate: false });
      try {
        const options = {
          executor: pgExecutor(fresh.pool),
          schema: fresh.schema,
          tablePrefix: 'app_',
          migrate: true,
        };
        const [first, second] = [new PostgresStore(options), new PostgresStore(options)];
        await Promise.all([
          first.set('family1.a', { field: 'a', value: utf8('1') }, write()),
          second.set('family1.b', { field: 'b', value: utf8('2') }, write()),
        ]);
        expect(await readField(second, 'family1.a', 'a')).toEqual(utf8('1'));
        const tables = await fresh.pool.query(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
          [fresh.schema],
        );
        expect(tables.rows.map((row) => row.table_name)).toEqual([
          'app_session_fields',
          'app_sessions',
        ]);
      } finally {
        await fresh.drop();
      }
    });

    it('retries a failed migration on the next call', async () => {
      let failures = 1;
      const inner = pgExecutor(db.pool);
      const executor: PostgresExecutor = {
        ...inner,
        transaction(work) {
          if (failures-- > 0) return Promise.reject(new Error('not yet'));
          return inner.transaction(work);
        },
      };
      const flaky = new PostgresStore({ executor, schema: db.schema, migrate: true });
      await expect(readField(flaky, 'family1.k', 'a')).rejects.toThrow('not yet');
      expect(await readField(flaky, 'family1.k', 'a')).toBeUndefined();
    });
  });

  describe('close', () => {
    it('ends the pool its executor opened from a connection string', async () => {
      const own = new PostgresStore({ executor: pgExecutor(POSTGRES_URL), schema: db.schema });
      expect(await readField(own, 'family1.k', 'a')).toBeUndefined();
      await own.close();
      await expect(readField(own, 'family1.k', 'a')).rejects.toThrow(/closed/);
    });

    it('leaves a pool you passed open', async () => {
      const own = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
      await readField(own, 'family1.k', 'a');
      await own.close();
      expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    });
  });
});
