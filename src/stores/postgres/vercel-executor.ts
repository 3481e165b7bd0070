/**
 * `ruts/postgres/vercel`: runs `PostgresStore`'s SQL through `@vercel/postgres`, whose pool is
 * Neon's serverless driver: the wire protocol over a WebSocket, so it works in the edge runtime
 * as well as in Node. No Node built-in is reached, so the edge runtime can load this module.
 *
 * @packageDocumentation
 * @module ruts/postgres/vercel
 */

import { createPool, type VercelPool } from '@vercel/postgres';
import { ConfigError } from '../../core/errors.ts';
import { acquireShared, type SharedHandle } from '../../core/process-registry.ts';
import type { PostgresExecutor } from './executor.ts';

/**
 * What the executor needs of a pool: a `VercelPool` from `createPool()`, or the `sql` and `db`
 * exports of `@vercel/postgres`, which are pools created on first use.
 */
export type VercelPoolLike = Pick<VercelPool, 'query' | 'connect'>;

/**
 * A {@link PostgresExecutor} over `@vercel/postgres`.
 *
 * Queries go through `pool.query()`; a transaction holds one connection from `pool.connect()`
 * for its `BEGIN` to its `COMMIT`, since Neon's one-shot HTTP queries cannot hold a transaction
 * open across the store's statements.
 *
 * @param pool - The pool to run on. It stays yours: `close()` leaves it open. Leave it out to have
 *   the executor create one on first use with `createPool()`, which reads the `POSTGRES_URL`
 *   environment variable: one per process, shared by every executor without a pool and ended
 *   when the last of them closes. The first call rejects with a {@link ConfigError} if
 *   `createPool()` cannot make one.
 * @example
 * ```ts
 * import { createPool } from '@vercel/postgres';
 * import { PostgresStore } from 'ruts/postgres';
 * import { vercelExecutor } from 'ruts/postgres/vercel';
 *
 * const pool = createPool({ connectionString: process.env.POSTGRES_URL });
 * const store = new PostgresStore({ executor: vercelExecutor(pool) });
 * ```
 */
export function vercelExecutor(pool?: VercelPoolLike): PostgresExecutor {
  let held: SharedHandle<VercelPool> | undefined;
  const target = async (): Promise<VercelPoolLike> => {
    if (pool !== undefined) return pool;
    // A failed attempt leaves nothing behind, so a later call can succeed once the environment
    // is fixed.
    held ??= acquireShared('vercel-pool', process.env.POSTGRES_URL ?? '', openPool);
    return held.value;
  };

  return {
    async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[]) {
      const result = await (await target()).query<R>(sql, [...params]);
      return result.rows;
    },

    async transaction<T>(work: (tx: Pick<PostgresExecutor, 'query'>) => Promise<T>): Promise<T> {
      const client = await (await target()).connect();
      // Set when the connection can no longer be trusted, so the pool discards it on release.
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work({
          async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[]) {
            return (await client.query<R>(sql, [...params])).rows;
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollback: unknown) => {
          broken = rollback instanceof Error ? rollback : new Error(String(rollback));
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },

    async close() {
      const last = held?.release();
      held = undefined;
      await last?.end();
    },
  };
}

function openPool(): VercelPool {
  try {
    return createPool();
  } catch (error) {
    throw new ConfigError(
      'vercelExecutor() was given no pool and could not create one: ' +
        `${error instanceof Error ? error.message : String(error)}. ` +
        'Set POSTGRES_URL, or pass a pool: vercelExecutor(createPool({ connectionString })).',
    );
  }
}
