/**
 * `ruts/postgres/pglite`: a {@link PostgresExecutor} over PGlite, Postgres compiled to
 * WebAssembly, running inside this process and persisting to a folder. It needs no server, which
 * makes it the embedded default for development and single-instance deployments. A folder opened
 * twice by one process would be two databases diverging over the same files, so each source is
 * opened once per process and shared by every executor given it.
 *
 * @packageDocumentation
 * @module ruts/postgres/pglite
 */

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite, type PGliteInterface, type PGliteOptions } from '@electric-sql/pglite';
import { ConfigError } from '../../core/errors.ts';
import { acquireShared, type SharedHandle } from '../../core/process-registry.ts';
import type { PostgresExecutor } from './executor.ts';

/** What the executor uses of a PGlite instance; `PGlite` and `PGliteWorker` both fit. */
export type PGliteLike = Pick<PGliteInterface, 'query' | 'transaction'>;

/** Options of {@link pgliteExecutor}. */
export interface PgliteExecutorOptions {
  /**
   * Passed to `PGlite.create` when the executor opens the database itself from a path. Every
   * executor of one source in a process shares one database, so they must pass the same options.
   * @default {}
   * @example pgliteExecutor('.data/sessions', { pglite: { relaxedDurability: true } })
   */
  readonly pglite?: PGliteOptions;
}

/** A database this process opened, shared by every executor of its source. */
interface OpenedDatabase {
  readonly database: Promise<PGlite>;
  /**
   * The options it was opened with, as JSON, to refuse an executor that asks for others. JSON
   * leaves functions out, so each copy of a module passing its own copy of an extension agrees.
   */
  readonly settings: string;
}

/**
 * A {@link PostgresExecutor} over PGlite.
 *
 * Pass a folder path (or a PGlite URL such as `memory://`) to have the database opened on first
 * use, or your own PGlite instance, which `close()` leaves open. A process opens each source
 * once: every executor given the same folder (resolved to an absolute path) or the same URL
 * shares one database, which closes when the last of them closes. Use distinct URLs, such as
 * `memory://a` and `memory://b`, for in-memory databases that must stay apart. Create the tables
 * with `migrate(executor)` or the store's `migrate: true`: there is no Prisma CLI here.
 *
 * PGlite is a single connection. It serialises by itself: a statement issued while a transaction
 * is open waits until that transaction ends, so the store's transactions stay isolated. A
 * transaction's work must therefore use the `tx` it is given, never the executor itself.
 *
 * @example
 * ```ts
 * import { PostgresStore } from 'ruts/postgres';
 * import { pgliteExecutor } from 'ruts/postgres/pglite';
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
  const settings = JSON.stringify(options.pglite ?? {});
  let held: SharedHandle<OpenedDatabase> | undefined;
  let closed = false;
  const db = (): Promise<PGliteLike> => {
    // Reopening after close() would hold a database open that nobody releases.
    if (closed) return Promise.reject(new Error('ruts: this pgliteExecutor has been closed.'));
    if (!owned) return Promise.resolve(source);
    if (held === undefined) {
      const handle = hold(source, options.pglite, settings);
      held = handle;
      // A failed open is given back, so a later call can try again once the cause is fixed,
      // rather than every executor of the source failing until the process restarts.
      handle.value.database.catch(() => {
        if (held === handle) held = undefined;
        handle.release();
      });
    }
    return held.value.database;
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
      const last = held?.release();
      held = undefined;
      // A database that failed to open has nothing to close.
      await last?.database.then((database) => database.close(), ignore);
    },
  };
}

function ignore(): void {}

function isPGlite(source: object): source is PGliteLike {
  const candidate = source as Partial<PGliteLike>;
  return typeof candidate.query === 'function' && typeof candidate.transaction === 'function';
}

/** A hold on the process's database for `source`, opening it if no executor has. */
function hold(
  source: string,
  options: PGliteOptions | undefined,
  settings: string,
): SharedHandle<OpenedDatabase> {
  const handle = acquireShared('pglite', databaseKey(source), () => ({
    database: open(source, options),
    settings,
  }));
  if (handle.value.settings !== settings) {
    handle.release();
    throw new ConfigError(
      `pgliteExecutor("${source}") asks for PGlite options ${settings}, but this process ` +
        `already opened that database with ${handle.value.settings}. A database is opened once ` +
        'per process; give every executor of it the same options.',
    );
  }
  return handle;
}

/** One key per database: folders by absolute path, so two spellings of one folder agree. */
function databaseKey(source: string): string {
  return source.includes('://') ? source : path.resolve(source);
}

async function open(dataDir: string, options: PGliteOptions = {}): Promise<PGlite> {
  // PGlite creates its own folder but not its parents, and says so only on the first write.
  if (!dataDir.includes('://')) await mkdir(dataDir, { recursive: true });
  return PGlite.create(dataDir, options);
}
