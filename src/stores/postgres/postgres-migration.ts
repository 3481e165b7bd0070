/**
 * The store's tables, as SQL. These are the committed Prisma migrations (`prisma/migrations/`:
 * the tables, the session counters, then the owner index) in a form that can be rendered for any schema and table
 * prefix; a test checks that the default renderings are those files byte for byte. They let
 * {@link migrate} create or upgrade the tables where no Prisma CLI runs, such as in PGlite.
 *
 * @packageDocumentation
 */

import type { PostgresExecutor } from './executor.ts';
import { DEFAULT_TABLE_PREFIX, quote, resolveTables } from './postgres-tables.ts';

/** The folder name of the first migration under `prisma/migrations`: the two tables. */
export const INIT_MIGRATION = '20250601000000_init';

/** The folder name of the second migration: the counters the session limits are checked on. */
export const LIMITS_MIGRATION = '20261207000000_session_limits';

/** The folder name of the third migration: the owner sessions are bound to, and their activity. */
export const OWNERS_MIGRATION = '20261208000000_session_owners';

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

/** The table names as a migration writes them: qualified only when a schema is given. */
function migrationNames(options: MigrationOptions) {
  const names = resolveTables(options.schema, options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  const qualify = (table: string) =>
    options.schema === undefined ? quote(table) : `${quote(options.schema)}.${quote(table)}`;
  return { ...names, sessions: qualify(names.sessionsName), fields: qualify(names.fieldsName) };
}

/** The statements of the init migration, one per step, without trailing semicolons. */
export function initMigrationSteps(options: MigrationOptions = {}): MigrationStep[] {
  const { sessions, fields, sessionsName: s, fieldsName: f } = migrationNames(options);
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

/**
 * The statements of the limits migration: the session counters, nullable, since rows from before
 * them are recounted on their first limited write. `IF NOT EXISTS` lets it run over a table
 * that already has them.
 */
export function limitsMigrationSteps(options: MigrationOptions = {}): MigrationStep[] {
  const { sessions } = migrationNames(options);
  return [
    {
      label: 'AlterTable',
      sql:
        `ALTER TABLE ${sessions} ADD COLUMN IF NOT EXISTS "field_count" BIGINT,\n` +
        'ADD COLUMN IF NOT EXISTS "field_bytes" BIGINT',
    },
  ];
}

/**
 * The statements of the owners migration: who a session is bound to, indexed for "sign out
 * everywhere", and when it was last active. Both nullable: older sessions have neither.
 */
export function ownersMigrationSteps(options: MigrationOptions = {}): MigrationStep[] {
  const { sessions, sessionsName: s } = migrationNames(options);
  return [
    {
      label: 'AlterTable',
      sql:
        `ALTER TABLE ${sessions} ADD COLUMN IF NOT EXISTS "owner" TEXT,\n` +
        'ADD COLUMN IF NOT EXISTS "last_active_at" TIMESTAMPTZ(6)',
    },
    {
      label: 'CreateIndex',
      sql: `CREATE INDEX IF NOT EXISTS ${quote(`${s}_owner_idx`)} ON ${sessions}("owner")`,
    },
  ];
}

function render(steps: MigrationStep[]): string {
  return steps.map((step) => `-- ${step.label}\n${step.sql};\n`).join('\n');
}

/** The init migration as Prisma writes `migration.sql`. */
export function initMigrationSql(options: MigrationOptions = {}): string {
  return render(initMigrationSteps(options));
}

/** The limits migration (after {@link initMigrationSql}) as its `migration.sql`. */
export function limitsMigrationSql(options: MigrationOptions = {}): string {
  return render(limitsMigrationSteps(options));
}

/** The owners migration (after {@link limitsMigrationSql}) as its `migration.sql`. */
export function ownersMigrationSql(options: MigrationOptions = {}): string {
  return render(ownersMigrationSteps(options));
}

/**
 * Creates the store's tables unless they exist, and brings tables from an older version forward
 * (adding the session counters, the owner and its index), from the same SQL as the Prisma migrations. For databases no
 * Prisma CLI manages, PGlite above all; with Prisma, run `prisma migrate deploy` instead. Runs in
 * one transaction under an advisory lock, so concurrent starts migrate once, and touches tables
 * that are up to date not at all. Resolves whether it changed anything.
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
  const init = initMigrationSteps({ ...options, schema });
  const limits = limitsMigrationSteps({ ...options, schema });
  const owners = ownersMigrationSteps({ ...options, schema });
  return executor.transaction(async (tx) => {
    // The lock function returns void, which some drivers cannot read: select from it instead.
    await tx.query('SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext($1)::bigint)', [
      `ruts migrate ${names.sessions}`,
    ]);
    // ALTER TABLE locks the table even when it adds nothing, so the catalog is asked first.
    const [found] = await tx.query<{
      tables: boolean;
      schema: boolean;
      counters: boolean;
      owners: boolean;
    }>(
      `SELECT to_regclass($1) IS NOT NULL AS tables, to_regnamespace($2) IS NOT NULL AS schema,
        (SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass($1)
          AND attname IN ('field_count', 'field_bytes') AND NOT attisdropped) = 2 AS counters,
        (SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass($1)
          AND attname IN ('owner', 'last_active_at') AND NOT attisdropped) = 2
          AND to_regclass($3) IS NOT NULL AS owners`,
      [
        names.sessions,
        quote(schema),
        `${quote(schema)}.${quote(`${names.sessionsName}_owner_idx`)}`,
      ],
    );
    if (found?.tables && found.counters && found.owners) return false;
    if (!found?.tables) {
      // Creating a schema needs a privilege on the database that using one does not, so only
      // ask for it when the schema is really missing.
      if (!found?.schema) await tx.query(`CREATE SCHEMA ${quote(schema)}`, []);
      for (const step of init) await tx.query(step.sql, []);
    }
    if (!found?.counters) for (const step of limits) await tx.query(step.sql, []);
    if (!found?.owners) for (const step of owners) await tx.query(step.sql, []);
    return true;
  });
}
