/**
 * The Postgres test harness: every Postgres test file gets a schema of its own on the local
 * server, with the committed Prisma migrations applied, and drops it afterwards. Vitest runs files
 * in parallel, so a shared `public` schema would let one file's sweep delete another's sessions.
 *
 * The server must be running: a test that cannot connect fails, it never skips.
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** Where the tests expect Postgres: the local server, trust auth, database `test`. */
export const POSTGRES_URL =
  process.env.RUTS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The folder `prisma migrate deploy` reads. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

/** One committed migration: its folder name and the SQL Prisma would run. */
export interface CommittedMigration {
  readonly name: string;
  readonly sql: string;
}

/** A schema of one's own, with a pool whose connections resolve unqualified names in it. */
export interface TestSchema {
  readonly schema: string;
  readonly pool: pg.Pool;
  /** Drops the schema with everything in it, then ends the pool. */
  drop(): Promise<void>;
}

/** Every committed migration, oldest first, the order Prisma applies them in. */
export function readMigrations(): CommittedMigration[] {
  return readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({
      name,
      sql: readFileSync(`${MIGRATIONS_DIR}${name}/migration.sql`, 'utf8'),
    }));
}

/**
 * Applies the committed migrations into `schema`, as `prisma migrate deploy` would with
 * `?schema=<schema>` in its URL: the SQL is unqualified, so `search_path` decides where it lands.
 *
 * `query` must accept several statements in one string (the simple query protocol), such as
 * `(sql) => pool.query(sql)` or PGlite's `(sql) => db.exec(sql)`. The whole batch runs as one
 * transaction and `SET LOCAL` ends with it, so a pooled connection keeps its own search path.
 */
export async function applyMigrations(
  query: (sql: string) => Promise<unknown>,
  schema: string,
): Promise<void> {
  const statements = readMigrations().map((migration) => migration.sql);
  await query(
    `BEGIN; SET LOCAL search_path TO ${quoteIdent(schema)};\n${statements.join('\n')}\nCOMMIT;`,
  );
}

/**
 * Creates a uniquely named schema (`<prefix>_<random>`), applies the migrations into it unless
 * told not to, and returns a pool whose connections default to that schema.
 */
export async function createTestSchema(
  options: { prefix?: string; migrate?: boolean; max?: number } = {},
): Promise<TestSchema> {
  const { prefix = 'ruts_test', migrate = true, max = 10 } = options;
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({
    connectionString: POSTGRES_URL,
    max,
    connectionTimeoutMillis: 5_000,
    options: `-c search_path=${schema}`,
  });
  try {
    await pool.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  } catch (error) {
    await pool.end();
    throw new Error(
      `Postgres is not reachable at ${POSTGRES_URL} (${(error as Error).message}). ` +
        'Start it, or point RUTS_TEST_POSTGRES_URL at a server the tests may create schemas on.',
      { cause: error },
    );
  }
  if (migrate) await applyMigrations((sql) => pool.query(sql), schema);
  let dropped = false;
  return {
    schema,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
