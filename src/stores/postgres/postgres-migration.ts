/**
 * The store's tables, as SQL. This is the committed Prisma migration
 * (`prisma/migrations/20250601000000_init/migration.sql`) in a form that can be rendered for any
 * schema and table prefix; a test checks that the default rendering is that file byte for byte.
 * It lets {@link migrate} create the tables where no Prisma CLI runs, such as in PGlite.
 *
 * @packageDocumentation
 */

import type { PostgresExecutor } from './executor.ts';
import { DEFAULT_TABLE_PREFIX, quote, resolveTables } from './postgres-tables.ts';

/** The folder name of the migration under `prisma/migrations`. */
export const INIT_MIGRATION = '20250601000000_init';

/** Where to create the tables. */
export interface MigrationOptions {
  /**
   * The schema to create the tables in. Leave it out to render the committed file exactly:
   * unqualified names, so the connection's `search_path` decides, as with Prisma's `?schema=`.
   * {@link migrate} always qualifies, defaulting to `public`.
   * @default undefined
   */
  readonly schema?: string;
  /**
   * Prepended to `sessions` and `session_fields`. It must match the store's `tablePrefix`.
   * @default 'ruts_'
   */
  readonly tablePrefix?: string;
}

interface MigrationStep {
  /** Prisma's label for the step, kept so the rendering matches its files. */
  readonly label: string;
  readonly sql: string;
}

/** The statements of the init migration, one per step, without trailing semicolons. */
export function initMigrationSteps(options: MigrationOptions = {}): MigrationStep[] {
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const names = resolveTables(options.schema, prefix);
  const qualify = (table: string) =>
    options.schema === undefined ? quote(table) : `${quote(options.schema)}.${quote(table)}`;
  const sessions = qualify(names.sessionsName);
  const fields = qualify(names.fieldsName);
  const s = names.sessionsName;
  const f = names.fieldsName;
  return [
    {
      label: 'CreateTable',
      sql: `CREATE TABLE ${sessions} (
    "id" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6),
    "deadline" TIMESTAMPTZ(6),

    CONSTRAINT ${quote(`${s}_pkey`)} PRIMARY KEY ("id")
)`,
    },
    {
      label: 'CreateTable',
      sql: `CREATE TABLE ${fields} (
    "session_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "value" BYTEA NOT NULL,
    "expires_at" TIMESTAMPTZ(6),

    CONSTRAINT ${quote(`${f}_pkey`)} PRIMARY KEY ("session_id","name")
)`,
    },
    {
      label: 'CreateIndex',
      sql: `CREATE UNIQUE INDEX ${quote(`${s}_key_key`)} ON ${sessions}("key")`,
    },
    {
      label: 'CreateIndex',
      sql: `CREATE INDEX ${quote(`${s}_expires_at_idx`)} ON ${sessions}("expires_at")`,
    },
    {
      label: 'CreateIndex',
      sql: `CREATE INDEX ${quote(`${f}_expires_at_idx`)} ON ${fields}("expires_at")`,
    },
    {
      label: 'AddForeignKey',
      sql:
        `ALTER TABLE ${fields} ADD CONSTRAINT ${quote(`${f}_session_id_fkey`)} ` +
        `FOREIGN KEY ("session_id") REFERENCES ${sessions}("id") ` +
        'ON DELETE CASCADE ON UPDATE CASCADE',
    },
  ];
}

/** The init migration as Prisma writes `migration.sql`. */
export function initMigrationSql(options: MigrationOptions = {}): string {
  return initMigrationSteps(options)
    .map((step) => `-- ${step.label}\n${step.sql};\n`)
    .join('\n');
}

/**
 * Creates the store's tables unless they exist, from the same SQL as the Prisma migration. For
 * databases no Prisma CLI manages, PGlite above all; with Prisma, run `prisma migrate deploy`
 * instead. Runs in one transaction under an advisory lock, so concurrent starts create the
 * tables once. Resolves whether it created them.
 *
 * @example
 * ```ts
 * const executor = pgliteExecutor('.data/sessions');
 * await migrate(executor);
 * const store = new PostgresStore({ executor });
 * ```
 */
export async function migrate(
  executor: PostgresExecutor,
  options: MigrationOptions = {},
): Promise<boolean> {
  const schema = options.schema ?? 'public';
  const names = resolveTables(schema, options.tablePrefix);
  const steps = initMigrationSteps({ ...options, schema });
  return executor.transaction(async (tx) => {
    // The lock function returns void, which some drivers cannot read: select from it instead.
    await tx.query('SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext($1)::bigint)', [
      `ruts migrate ${names.sessions}`,
    ]);
    const [found] = await tx.query<{ tables: boolean; schema: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS tables, to_regnamespace($2) IS NOT NULL AS schema',
      [names.sessions, quote(schema)],
    );
    if (found?.tables) return false;
    // Creating a schema needs a privilege on the database that using one does not, so only ask
    // for it when the schema is really missing.
    if (!found?.schema) await tx.query(`CREATE SCHEMA ${quote(schema)}`, []);
    for (const step of steps) await tx.query(step.sql, []);
    return true;
  });
}
