/**
 * `ruts/postgres/pg`: a {@link PostgresExecutor} over node-postgres (`pg`), your `Pool` or one
 * it opens from a connection string. The only entry point that imports `pg`, so apps on another
 * driver never bundle it. A pool it opens is opened once per process for the same settings and
 * shared, so a module Next.js evaluates several times still holds one pool's connections.
 *
 * @packageDocumentation
 * @module ruts/postgres/pg
 */

import { createHash } from 'node:crypto';
import pg, { type Pool, type PoolClient, type PoolConfig } from 'pg';
import { ConfigError } from '../../core/errors.ts';
import { acquireShared, type SharedHandle, settingsKey } from '../../core/process-registry.ts';
import type { PostgresExecutor } from './executor.ts';

/** Options of {@link pgExecutor}. */
export interface PgExecutorOptions {
  /**
   * Run parameterised statements as named prepared statements, so each connection parses and
   * plans each of the store's statements once instead of on every call. Turn it off behind a
   * pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21).
   * @default true
   * @example pgExecutor(pool, { prepare: false })
   */
  readonly prepare?: boolean;
}

type Queryable = Pick<PoolClient, 'query'>;

/**
 * A {@link PostgresExecutor} over a `pg` pool.
 *
 * Pass your own `Pool` to share it with the rest of the application (`close()` then leaves it
 * open), or a connection string or `PoolConfig` to have one opened on first use. Executors given
 * the same connection string or settings share that pool within the process; it ends when the
 * last of them closes. A single `Client` is refused: a transaction on it would interleave with every
 * other call made meanwhile.
 *
 * @example
 * ```ts
 * import { PostgresStore } from 'ruts/postgres';
 * import { pgExecutor } from 'ruts/postgres/pg';
 * const store = new PostgresStore({ executor: pgExecutor(process.env.DATABASE_URL!) });
 * ```
 */
export function pgExecutor(
  source: Pool | string | PoolConfig,
  options: PgExecutorOptions = {},
): PostgresExecutor {
  const { prepare = true } = options;
  const owned = !isPool(source);
  let held: SharedHandle<Pool> | undefined;
  let closed = false;
  const pool = (): Promise<Pool> => {
    // Reopening after close() would leak a pool nobody ends.
    if (closed) return Promise.reject(new Error('ruts: this pgExecutor has been closed.'));
    if (!owned) return Promise.resolve(source as Pool);
    held ??= sharedPool(source as string | PoolConfig);
    return Promise.resolve(held.value);
  };
  const names = new Map<string, string>();
  const run = async <R>(target: Queryable, sql: string, params: readonly unknown[]) => {
    const values = params as unknown[];
    // Statements without parameters are DDL or one-offs: nothing to gain from preparing them.
    const name = prepare && values.length > 0 ? statementName(names, sql) : undefined;
    const result = await target.query(name ? { name, text: sql, values } : { text: sql, values });
    return result.rows as R[];
  };

  return {
    async query(sql, params) {
      return run(await pool(), sql, params);
    },
    async transaction(work) {
      const client = await (await pool()).connect();
      // pg-pool stops listening for a client's errors while it is checked out, so a connection
      // dropped mid-transaction would emit an 'error' nobody handles and crash the process. The
      // same failure rejects the query under way, which is where it is handled.
      client.on('error', ignoreError);
      try {
        await client.query('BEGIN');
        const result = await work({ query: (sql, params) => run(client, sql, params) });
        await client.query('COMMIT');
        client.off('error', ignoreError);
        client.release();
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
          client.off('error', ignoreError);
          client.release();
        } catch (rollbackError) {
          // A connection that cannot roll back is in an unknown state: discard it.
          client.off('error', ignoreError);
          client.release(rollbackError instanceof Error ? rollbackError : true);
        }
        throw error;
      }
    },
    async close() {
      closed = true;
      const last = held?.release();
      held = undefined;
      await last?.end();
    },
  };
}

function ignoreError(): void {}

/** Whether `source` is a pool to borrow, rather than settings to open one from. */
function isPool(source: unknown): source is Pool {
  if (typeof source === 'string') {
    if (source.length > 0) return false;
    throw new ConfigError('pgExecutor got an empty connection string.');
  }
  if (typeof source !== 'object' || source === null) {
    throw new ConfigError('pgExecutor needs a pg Pool, a connection string or a PoolConfig.');
  }
  if (typeof (source as Partial<Pool>).query !== 'function') return false;
  if (typeof (source as Partial<Pool>).totalCount === 'number') return true;
  throw new ConfigError(
    'pgExecutor needs a pg Pool, not a single Client: the store runs transactions while other ' +
      'calls continue, and on one connection they would mix. Pass `new Pool(...)` instead.',
  );
}

/** The process's pool for these settings, opened by the first executor that needs it. */
function sharedPool(source: string | PoolConfig): SharedHandle<Pool> {
  const settings = typeof source === 'string' ? { connectionString: source } : source;
  return acquireShared('pg-pool', settingsKey(settings), () => new pg.Pool(settings));
}

/**
 * A name derived from the text, so each distinct statement gets one name on every connection
 * and two stores with different tables never reuse a name for different text.
 */
function statementName(names: Map<string, string>, sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `ruts_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  return name;
}
