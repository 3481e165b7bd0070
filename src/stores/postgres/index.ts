/**
 * `ruts/postgres`: the Postgres session store and its migration. The store runs its SQL through
 * an executor, and each executor is an entry point of its own that imports its driver:
 * `ruts/postgres/pg`, `ruts/postgres/pglite`, `ruts/postgres/prisma` and `ruts/postgres/vercel`.
 * This entry imports none of them, so a bundler never meets a driver the app does not use.
 *
 * @packageDocumentation
 * @module ruts/postgres
 */

export type { PostgresExecutor } from './executor.ts';
export {
  INIT_MIGRATION,
  initMigrationSql,
  LIMITS_MIGRATION,
  limitsMigrationSql,
  type MigrationOptions,
  migrate,
  OWNERS_MIGRATION,
  ownersMigrationSql,
} from './postgres-migration.ts';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.ts';
export type { Sweeper, SweeperOptions } from './postgres-sweeper.ts';
export type { PostgresTables } from './postgres-tables.ts';
