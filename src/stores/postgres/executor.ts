/**
 * The seam between {@link PostgresStore} and a Postgres driver. The store speaks plain SQL with
 * `$1..` parameters; an executor runs it on `pg`, PGlite, Prisma, Vercel Postgres or anything
 * else that can run a parameterised statement and a transaction.
 *
 * @packageDocumentation
 */

/** What the store needs from a Postgres driver: run one parameterised statement, and run several in one transaction. */
export interface PostgresExecutor {
  /** Runs one statement with $1.. parameters. Rows are plain objects; bytea columns come back as Uint8Array (Buffer is fine), numeric results the SQL casts to float8 come back as numbers. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[],
  ): Promise<R[]>;
  /** Runs `work` in one transaction: BEGIN, COMMIT, or ROLLBACK if it throws. */
  transaction<T>(work: (tx: Pick<PostgresExecutor, 'query'>) => Promise<T>): Promise<T>;
  /** Releases what the executor itself opened; never a pool or client the user passed in. */
  close(): Promise<void>;
}
