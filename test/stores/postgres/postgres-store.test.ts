import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.ts';
import type { WriteOptions } from '../../../src/core/store-contract.ts';
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
