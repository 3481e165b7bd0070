/**
 * A {@link PostgresExecutor} over PGlite: Postgres compiled to WebAssembly, running inside this
 * process and persisting to a folder. It needs no server, which makes it the embedded default
 * for development and single-instance deployments. `@electric-sql/pglite` is loaded only when
 * a database must be opened, so importing `ruts/postgres` works without it.
 *
 * @packageDocumentation
 */

import type { PGliteInterface, PGliteOptions } from '@electric-sql/pglite';
import { ConfigError } from '../../core/errors.ts';
import type { PostgresExecutor } from './executor.ts';

/** What the executor uses of a PGlite instance; `PGlite` and `PGliteWorker` both fit. */
export type PGliteLike = Pick<PGliteInterface, 'query' | 'transaction'>;

/** Options of {@link pgliteExecutor}. */
export interface PgliteExecutorOptions {
  /**
   * Passed to `PGlite.create` when the executor opens the database itself from a path.
   * @default {}
   * @example pgliteExecutor('.data/sessions', { pglite: { relaxedDurability: true } })
   */
  readonly pglite?: PGliteOptions;
}

/**
 * A {@link PostgresExecutor} over PGlite.
 *
 * Pass a folder path (or a PGlite URL such as `memory://`) to have the database opened on first
 * use and closed by `close()`, or your own PGlite instance, which `close()` leaves open. Create
 * the tables with `migrate(executor)` or the store's `migrate: true`: there is no Prisma CLI
 * here.
 *
 * PGlite is a single connection. It serialises by itself: a statement issued while a transaction
 * is open waits until that transaction ends, so the store's transactions stay isolated. A
 * transaction's work must therefore use the `tx` it is given, never the executor itself.
 *
 * @example
 * ```ts
 * import { PostgresStore, pgliteExecutor } from 'ruts/postgres';
 * const store = new PostgresStore({ executor: pgliteExecutor('.data/sessions'), migrate: true });
 * ```
 */
export function pgliteExecutor(
  source: string | PGliteLike = 'memory://',
  options: PgliteExecutorOptions = {},
): PostgresExecutor {
  const owned = typeof source === 'string';
  if (!owned && (typeof source !== 'object' || source === null || !isPGlite(source))) {
    throw new ConfigError(
      'pgliteExecutor needs a data folder path (or a PGlite URL such as "memory://") or a ' +
        'PGlite instance.',
    );
  }
  if (owned && source.length === 0) {
    throw new ConfigError('pgliteExecutor got an empty path. Pass a folder, or "memory://".');
  }
  let opened: Promise<PGliteLike & { close?(): Promise<void> }> | undefined;
  let closed = false;
  const db = (): Promise<PGliteLike> => {
    // Reopening after close() would leave a database open that nobody closes.
    if (closed) return Promise.reject(new Error('ruts: this pgliteExecutor has been closed.'));
    if (!owned) return Promise.resolve(source);
    opened ??= open(source, options.pglite);
    return opened;
  };
  return {
    async query<R>(sql: string, params: readonly unknown[]) {
      const result = await (await db()).query<R>(sql, params as unknown[]);
      return result.rows;
    },
    async transaction(work) {
      return (await db()).transaction((tx) =>
        work({
          query: async <R>(sql: string, params: readonly unknown[]) =>
            (await tx.query<R>(sql, params as unknown[])).rows,
        }),
      );
    },
    async close() {
      closed = true;
      if (!owned || opened === undefined) return;
      const closing = opened;
      opened = undefined;
      await (await closing).close?.();
    },
  };
}

function isPGlite(source: object): source is PGliteLike {
  const candidate = source as Partial<PGliteLike>;
  return typeof candidate.query === 'function' && typeof candidate.transaction === 'function';
}

async function open(dataDir: string, options: PGliteOptions = {}) {
  const { PGlite } = await import('@electric-sql/pglite');
  // PGlite creates its own folder but not its parents, and says so only on the first write.
  if (!dataDir.includes('://')) {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dataDir, { recursive: true });
  }
  return PGlite.create(dataDir, options);
}
