import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionTooLargeError } from '../../../src/core/errors.ts';
import { pgExecutor } from '../../../src/stores/postgres/pg-executor.ts';
import {
  INIT_MIGRATION,
  initMigrationSql,
  LIMITS_MIGRATION,
  limitsMigrationSql,
  migrate,
  OWNERS_MIGRATION,
  ownersMigrationSql,
} from '../../../src/stores/postgres/postgres-migration.ts';
import { PostgresStore } from '../../../src/stores/postgres/postgres-store.ts';
import {
  createTestSchema,
  MIGRATIONS_DIR,
  readMigrations,
  type TestSchema,
} from '../../support/postgres.ts';
import { readField } from '../../support/read-field.ts';

/** What the store's SQL relies on, as the catalog describes it. */
const EXPECTED_COLUMNS = [
  'ruts_session_fields.expires_at timestamp with time zone(6) null',
  'ruts_session_fields.name text not null',
  'ruts_session_fields.session_id bigint not null',
  'ruts_session_fields.value bytea not null',
  'ruts_sessions.created_at timestamp with time zone(6) not null default CURRENT_TIMESTAMP',
  'ruts_sessions.deadline timestamp with time zone(6) null',
  'ruts_sessions.expires_at timestamp with time zone(6) null',
  'ruts_sessions.field_bytes bigint null',
  'ruts_sessions.field_count bigint null',
  "ruts_sessions.id bigint not null default nextval('ruts_sessions_id_seq'::regclass)",
  'ruts_sessions.key text not null',
  'ruts_sessions.last_active_at timestamp with time zone(6) null',
  'ruts_sessions.owner text null',
];

/** Named as Prisma names them, so `prisma migrate diff` sees no drift. */
const EXPECTED_CONSTRAINTS = [
  'ruts_session_fields_pkey: ruts_session_fields PRIMARY KEY (session_id, name)',
  'ruts_session_fields_session_id_fkey: ruts_session_fields FOREIGN KEY (session_id) ' +
    'REFERENCES ruts_sessions(id) ON UPDATE CASCADE ON DELETE CASCADE',
  'ruts_sessions_pkey: ruts_sessions PRIMARY KEY (id)',
];

const EXPECTED_INDEXES = [
  'ruts_session_fields_expires_at_idx: ruts_session_fields USING btree (expires_at)',
  'ruts_session_fields_pkey: ruts_session_fields USING btree (session_id, name)',
  'ruts_sessions_expires_at_idx: ruts_sessions USING btree (expires_at)',
  'ruts_sessions_key_key: ruts_sessions USING btree (key)',
  'ruts_sessions_owner_idx: ruts_sessions USING btree (owner)',
  'ruts_sessions_pkey: ruts_sessions USING btree (id)',
];

/** The schema's tables, columns, constraints and indexes, with the schema name taken out. */
async function describeSchema(pool: pg.Pool, schema: string, prefix = 'ruts_') {
  const strip = (text: string) =>
    text.replaceAll(`${schema}.`, '').replaceAll(`"${schema}".`, '').replaceAll(prefix, 'ruts_');
  const columns = await pool.query(
    `SELECT table_name || '.' || column_name || ' ' || data_type
        || coalesce('(' || datetime_precision || ')', '')
        || CASE WHEN is_nullable = 'YES' THEN ' null' ELSE ' not null' END
        || coalesce(' default ' || column_default, '') AS line
     FROM information_schema.columns WHERE table_schema = $1 ORDER BY 1`,
    [schema],
  );
  const constraints = await pool.query(
    `SELECT c.conname || ': ' || c.conrelid::regclass::text || ' ' || pg_get_constraintdef(c.oid)
        AS line
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE n.nspname = $1 ORDER BY 1`,
    [schema],
  );
  const indexes = await pool.query(
    `SELECT indexname || ': ' || tablename || ' ' || regexp_replace(indexdef, '^.* ON \\S+ ', '')
        AS line
     FROM pg_indexes WHERE schemaname = $1 ORDER BY 1`,
    [schema],
  );
  const lines = (result: pg.QueryResult) => result.rows.map((row) => strip(row.line as string));
  return { columns: lines(columns), constraints: lines(constraints), indexes: lines(indexes) };
}

describe('the committed Prisma migrations', () => {
  let db: TestSchema;
  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_migration' });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('are the init, the limits and the owners migrations, in the folder layout prisma migrate deploy reads', () => {
    expect(readMigrations().map((migration) => migration.name)).toEqual([
      INIT_MIGRATION,
      LIMITS_MIGRATION,
      OWNERS_MIGRATION,
    ]);
    const lock = readFileSync(`${MIGRATIONS_DIR}migration_lock.toml`, 'utf8');
    expect(lock).toMatch(/^provider = "postgresql"$/m);
  });

  it('are exactly the SQL the store ships for databases without the Prisma CLI', () => {
    expect(readMigrations().map((migration) => migration.sql)).toEqual([
      initMigrationSql(),
      limitsMigrationSql(),
      ownersMigrationSql(),
    ]);
  });

  it('match the Prisma schema: each column and index the SQL adds is a field or @@index there', () => {
    const schema = readFileSync(`${MIGRATIONS_DIR}../schema.prisma`, 'utf8');
    expect(schema).toMatch(/^ {2}owner +String\? *$/m);
    expect(schema).toMatch(
      /^ {2}lastActiveAt +DateTime\? +@map\("last_active_at"\) @db\.Timestamptz\(6\)$/m,
    );
    // Prisma names a plain @@index <table>_<columns>_idx, as the SQL does.
    expect(schema).toMatch(/^ {2}@@index\(\[owner\]\)$/m);
    expect(ownersMigrationSql()).toContain('"ruts_sessions_owner_idx" ON "ruts_sessions"("owner")');
  });

  it('creates the columns, keys and indexes the store queries', async () => {
    const schema = await describeSchema(db.pool, db.schema);
    expect(schema.columns).toEqual(EXPECTED_COLUMNS);
    expect(schema.constraints).toEqual(EXPECTED_CONSTRAINTS);
    expect(schema.indexes).toEqual(EXPECTED_INDEXES);
  });

  it('creates the same tables as migrate() does under another schema and prefix', async () => {
    const other = await createTestSchema({ prefix: 'ruts_migration', migrate: false });
    try {
      expect(
        await migrate(pgExecutor(other.pool), { schema: other.schema, tablePrefix: 'app_' }),
      ).toBe(true);
      expect(await describeSchema(other.pool, other.schema, 'app_')).toEqual(
        await describeSchema(db.pool, db.schema),
      );
    } finally {
      await other.drop();
    }
  });

  it('migrates with the longest prefix it accepts, every derived name kept whole', async () => {
    const other = await createTestSchema({ prefix: 'ruts_migration', migrate: false });
    const prefix = `p${'x'.repeat(31)}_`;
    try {
      const executor = pgExecutor(other.pool);
      expect(await migrate(executor, { schema: other.schema, tablePrefix: prefix })).toBe(true);
      expect(await migrate(executor, { schema: other.schema, tablePrefix: prefix })).toBe(false);
      expect(await describeSchema(other.pool, other.schema, prefix)).toEqual(
        await describeSchema(db.pool, db.schema),
      );
    } finally {
      await other.drop();
    }
  });

  it('supports every store operation', async () => {
    const store = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
    const value = (text: string) => new TextEncoder().encode(text);
    const write = { create: true, idleMs: 60_000 };
    const key = 'family1.applied-schema';

    expect(await store.set(key, { field: 'a', value: value('1') }, write)).toEqual({
      ttlMs: 60_000,
    });
    await store.setMany(key, [{ field: 'b', value: value('2'), ttlMs: 120_000 }], write);
    expect(await store.setIfAbsent(key, { field: 'c', value: value('3') }, write)).toMatchObject({
      written: true,
    });
    expect(await readField(store, key, 'a')).toEqual(value('1'));
    expect([...((await store.getAll(key))?.fields.keys() ?? [])].sort()).toEqual(['a', 'b', 'c']);
    expect(await store.remove(key, 'a')).toBe(true);
    expect(await store.take(key, 'b')).toEqual(value('2'));
    expect(await store.expire(key, 30_000, 'extend')).toMatchObject({ ttlMs: expect.any(Number) });
    expect(await store.expire(key, 'persistent', 'set')).toEqual({ ttlMs: null });
    expect(await store.expire(key, 90_000, 'set')).toEqual({ ttlMs: 90_000 });
    expect(await store.rename(key, `${key}-renamed`, { idleMs: 1_000 })).toMatchObject({
      status: 'renamed',
    });
    expect(await store.sweep()).toBe(0);
    expect(await store.delete(`${key}-renamed`)).toBe(true);
    expect(await store.expire(key, 0, 'set')).toBeNull();
    await store.close();
  });
});

describe('tables of the init migration alone', () => {
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const key = 'family1.from-before-limits';
  const limited = {
    create: false,
    idleMs: 60_000,
    limits: { maxFields: 3, maxSessionBytes: 1_000 },
  };

  /** A schema as the init migration left it, holding a session written back then. */
  async function initTables(): Promise<TestSchema> {
    const db = await createTestSchema({ prefix: 'ruts_upgrade', migrate: false });
    await db.pool.query(initMigrationSql());
    await db.pool.query(
      `INSERT INTO ruts_sessions (key, expires_at) VALUES ($1, now() + interval '1 hour')`,
      [key],
    );
    await db.pool.query(
      `INSERT INTO ruts_session_fields (session_id, name, value)
       SELECT s.id, n, '\\x0102' FROM ruts_sessions AS s, unnest(ARRAY['a', 'b', 'c']) AS n
       WHERE s.key = $1`,
      [key],
    );
    return db;
  }

  async function counters(db: TestSchema) {
    const { rows } = await db.pool.query(
      'SELECT field_count::float8 AS count, field_bytes::float8 AS bytes FROM ruts_sessions WHERE key = $1',
      [key],
    );
    return rows[0];
  }

  it.each([
    ['migrate()', (db: TestSchema) => migrate(pgExecutor(db.pool), { schema: db.schema })],
    [
      'the committed migrations after it',
      async (db: TestSchema) => {
        for (const { sql } of readMigrations().slice(1)) await db.pool.query(sql);
      },
    ],
  ])(
    'are brought forward by %s, their sessions kept and counted when first limited',
    async (_way, upgrade) => {
      const db = await initTables();
      try {
        await upgrade(db);
        expect(await describeSchema(db.pool, db.schema)).toEqual({
          columns: EXPECTED_COLUMNS,
          constraints: EXPECTED_CONSTRAINTS,
          indexes: EXPECTED_INDEXES,
        });
        const store = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
        expect([...((await store.getAll(key))?.fields.keys() ?? [])].sort()).toEqual([
          'a',
          'b',
          'c',
        ]);
        expect(await counters(db)).toEqual({ count: null, bytes: null });

        // Unknown counters are counted from the fields before a write that grows the session.
        await expect(store.set(key, { field: 'd', value: utf8('d') }, limited)).rejects.toThrow(
          SessionTooLargeError,
        );
        expect(await counters(db)).toEqual({ count: null, bytes: null });
        await store.set(key, { field: 'a', value: utf8('xyz') }, limited);
        expect(await counters(db)).toEqual({ count: 3, bytes: 4 + 3 + 3 });
        await expect(store.set(key, { field: 'd', value: utf8('d') }, limited)).rejects.toThrow(
          SessionTooLargeError,
        );
        expect(await store.remove(key, 'b')).toBe(true);
        await store.set(key, { field: 'd', value: utf8('d') }, limited);
        expect(await counters(db)).toEqual({ count: 3, bytes: 4 + 3 + 2 });
        expect(await readField(store, key, 'c')).toEqual(Uint8Array.of(1, 2));
        expect(await migrate(pgExecutor(db.pool), { schema: db.schema })).toBe(false);
        await store.close();
      } finally {
        await db.drop();
      }
    },
  );
});

describe('tables of an earlier version, holding sessions', () => {
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const keys = ['family1.old-one', 'family1.old-two'];

  /** A schema as the first `applied` committed migrations left it, with sessions written then. */
  async function olderTables(applied: number): Promise<TestSchema> {
    const db = await createTestSchema({ prefix: 'ruts_upgrade', migrate: false });
    for (const { sql } of readMigrations().slice(0, applied)) await db.pool.query(sql);
    for (const key of keys) {
      await db.pool.query(
        `INSERT INTO ruts_sessions (key, expires_at) VALUES ($1, now() + interval '1 hour')`,
        [key],
      );
      await db.pool.query(
        `INSERT INTO ruts_session_fields (session_id, name, value)
         SELECT s.id, 'cart', '\\x0102' FROM ruts_sessions AS s WHERE s.key = $1`,
        [key],
      );
    }
    return db;
  }

  const ways = [
    ['migrate()', (db: TestSchema) => migrate(pgExecutor(db.pool), { schema: db.schema })],
    [
      'the committed migrations it lacks, in order',
      async (db: TestSchema, applied: number) => {
        for (const { sql } of readMigrations().slice(applied)) await db.pool.query(sql);
      },
    ],
  ] as const;
  const cases = [1, 2].flatMap((applied) =>
    ways.map(([way, upgrade]) => [`v${applied}`, way, applied, upgrade] as const),
  );

  it.each(cases)(
    'of %s are brought forward by %s, every session kept and read without an owner',
    async (_version, _way, applied, upgrade) => {
      const db = await olderTables(applied);
      try {
        await upgrade(db, applied);
        expect(await describeSchema(db.pool, db.schema)).toEqual({
          columns: EXPECTED_COLUMNS,
          constraints: EXPECTED_CONSTRAINTS,
          indexes: EXPECTED_INDEXES,
        });
        const { rows } = await db.pool.query(
          'SELECT key, owner, last_active_at FROM ruts_sessions ORDER BY key',
        );
        expect(rows).toEqual(
          [...keys].sort().map((key) => ({ key, owner: null, last_active_at: null })),
        );
        const store = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
        for (const key of keys) {
          const session = await store.getAll(key);
          expect(session?.fields.get('cart')?.value).toEqual(Uint8Array.of(1, 2));
          expect(session).not.toHaveProperty('owner');
        }
        expect(await store.listOwned('user-1', ['cart'])).toEqual([]);

        // An old session is bound at login, and is active from its first write on.
        const [first = '', second = ''] = keys;
        await store.rename(first, `${first}-signed-in`, { idleMs: 60_000, owner: 'user-1' });
        await store.set(second, { field: 'seen', value: utf8('1') }, { create: false, idleMs: 1 });
        const owned = await store.listOwned('user-1', ['cart']);
        expect(owned.map((session) => session.key)).toEqual([`${first}-signed-in`]);
        expect(owned[0]?.fields.get('cart')?.value).toEqual(Uint8Array.of(1, 2));
        const { rows: active } = await db.pool.query(
          'SELECT key FROM ruts_sessions WHERE last_active_at IS NOT NULL ORDER BY key',
        );
        expect(active.map((row) => row.key)).toEqual([second, `${first}-signed-in`].sort());
        expect(await migrate(pgExecutor(db.pool), { schema: db.schema })).toBe(false);
        await store.close();
      } finally {
        await db.drop();
      }
    },
  );
});
