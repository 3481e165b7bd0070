/**
 * `ruts/postgres/prisma`: runs `PostgresStore`'s SQL through the application's own Prisma
 * Client, so sessions share its connection pool, driver adapter and logging instead of opening a
 * second pool beside it.
 *
 * The client is typed by shape, not imported: `@prisma/client` only exists once the application
 * has generated it, and this module must load without it.
 *
 * @packageDocumentation
 * @module ruts/postgres/prisma
 */

import type { PostgresExecutor } from './executor.ts';

/** The transaction client Prisma hands to an interactive transaction, as far as it is used here. */
export interface PrismaTransactionClientLike {
  /** Runs `query` with `values` bound to its `$1..` parameters and resolves the rows. */
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
}

/**
 * What the executor needs of a Prisma Client: raw queries and interactive transactions. A client
 * from `new PrismaClient({ adapter })` fits, and so does one extended with `$extends`.
 */
export interface PrismaClientLike extends PrismaTransactionClientLike {
  /**
   * Runs `fn` in an interactive transaction, which commits when `fn` resolves and rolls back
   * when it rejects.
   */
  $transaction<R>(fn: (tx: PrismaTransactionClientLike) => Promise<R>): PromiseLike<R>;
}

/**
 * A {@link PostgresExecutor} over a Prisma Client on PostgreSQL (tested with Prisma 7 and
 * `@prisma/adapter-pg`).
 *
 * Statements run through `$queryRawUnsafe` with their `$1..` parameters bound, never spliced into
 * the text. A transaction is Prisma's interactive `$transaction`, so its limits are the client's:
 * set `transactionOptions: { maxWait, timeout }` on the `PrismaClient` if store calls queue behind
 * a busy pool for longer than Prisma's defaults (2 s to start, 5 s to finish) allow.
 *
 * Results are normalised to what the store reads from every executor: `bigint` (from `int8`) and
 * `Decimal` (from `numeric`) become numbers. `bytea` already arrives as a `Uint8Array`.
 *
 * @param client - Your Prisma Client. It stays yours: `close()` does not disconnect it.
 * @example
 * ```ts
 * import { PrismaPg } from '@prisma/adapter-pg';
 * import { PostgresStore } from 'ruts/postgres';
 * import { prismaExecutor } from 'ruts/postgres/prisma';
 * import { PrismaClient } from './generated/prisma/client.ts';
 *
 * const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
 * const store = new PostgresStore({ executor: prismaExecutor(prisma) });
 * ```
 */
export function prismaExecutor(client: PrismaClientLike): PostgresExecutor {
  return {
    query: (sql, params) => run(client, sql, params),
    transaction: async (work) =>
      client.$transaction((tx) => work({ query: (sql, params) => run(tx, sql, params) })),
    // The client and its pool belong to the application, which disconnects them itself.
    async close() {},
  };
}

/**
 * One statement through Prisma. Prisma refuses to read a column of type `void`, so SQL run here
 * must never select one directly (such as the result of `pg_advisory_xact_lock()`).
 */
async function run<R extends Record<string, unknown>>(
  client: PrismaTransactionClientLike,
  sql: string,
  params: readonly unknown[],
): Promise<R[]> {
  const rows = await client.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params);
  for (const row of rows) {
    for (const [column, value] of Object.entries(row)) row[column] = normalise(value);
  }
  return rows as R[];
}

/** Prisma's own types for `int8` and `numeric`, turned into the numbers the store expects. */
function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(normalise);
  return isDecimal(value) ? value.toNumber() : value;
}

/** Prisma's `Decimal` is decimal.js, whose instances carry digits `d`, exponent `e` and sign `s`. */
function isDecimal(value: object): value is { toNumber(): number } {
  return (
    'd' in value &&
    'e' in value &&
    's' in value &&
    typeof (value as { toNumber?: unknown }).toNumber === 'function'
  );
}
