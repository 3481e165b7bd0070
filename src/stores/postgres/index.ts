/**
 * `ruts/postgres`: the Postgres session store and the executors that connect it to a driver.
 * Each executor loads its driver only when it needs one, so install just the driver you use.
 *
 * @packageDocumentation
 */

export type { PostgresExecutor } from './executor.ts';
export { type PgExecutorOptions, pgExecutor } from './pg-executor.ts';
export { type PGliteLike, type PgliteExecutorOptions, pgliteExecutor } from './pglite-executor.ts';
export {
  INIT_MIGRATION,
  initMigrationSql,
  type MigrationOptions,
  migrate,
} from './postgres-migration.ts';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.ts';
export type { Sweeper, SweeperOptions } from './postgres-sweeper.ts';
export type { PostgresTables } from './postgres-tables.ts';
export {
  type PrismaClientLike,
  type PrismaTransactionClientLike,
  prismaExecutor,
} from './prisma-executor.ts';
export { type VercelPoolLike, vercelExecutor } from './vercel-executor.ts';
