/**
 * A session store on Postgres. Sessions and their fields live in two tables (created by the
 * Prisma migrations in `prisma/migrations`, or by {@link migrate}); every expiry is computed by
 * the database's own clock, so app servers with skewed clocks agree.
 *
 * Each call is one statement, except `setIfAbsent`, `rename` and `deleteOwned`, which are short
 * transactions, and a write the session's counters would refuse, which one decides again exactly.
 * Reads are one round trip: `getAll` fetches the session and all its live fields together.
 * Statements name sessions by key; the `bigint` id that field rows refer to never leaves SQL.
 *
 * @packageDocumentation
 */

import { ConfigError } from '../../core/errors.ts';
import type {
  ExpireMode,
  FieldTtl,
  FieldWrite,
  InsertResult,
  OwnedSessionStore,
  OwnedStoredSession,
  RenameOptions,
  RenameResult,
  SessionLimits,
  SessionStore,
  SessionTtl,
  StoredField,
  StoredSession,
  SweepableStore,
  WriteOptions,
} from '../../core/store-contract.ts';
import { limitRefusal } from '../limit-refusal.ts';
import type { PostgresExecutor } from './executor.ts';
import { extensionMs, fieldBatch, fieldParams } from './postgres-field-batch.ts';
import { type MigrationOptions, migrate } from './postgres-migration.ts';
import { buildStatements, type PostgresStatements } from './postgres-statements.ts';
import {
  DEFAULT_SWEEP_BATCH_SIZE,
  positiveInteger,
  type Sweeper,
  type SweeperOptions,
  startSweeping,
  sweepExpired,
} from './postgres-sweeper.ts';
import { type PostgresTables, resolveTables } from './postgres-tables.ts';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * Runs the store's SQL: `pgExecutor` (`ruts/postgres/pg`), `pgliteExecutor`
   * (`ruts/postgres/pglite`), `prismaExecutor` (`ruts/postgres/prisma`), `vercelExecutor`
   * (`ruts/postgres/vercel`), or your own. `close()` closes it, which releases only what the
   * executor opened itself.
   * @example new PostgresStore({ executor: pgExecutor(process.env.DATABASE_URL!) })
   */
  readonly executor: PostgresExecutor;
  /**
   * The schema holding the tables. A plain identifier, always quoted, so its case matters.
   * @default 'public'
   */
  readonly schema?: string;
  /**
   * Prepended to the table names `sessions` and `session_fields`. Empty or a plain identifier
   * of at most 33 characters (so the longest key name derived from it fits Postgres' 63 bytes);
   * it must match the names the migration created (`@@map` in the Prisma schema).
   * @default 'ruts_'
   */
  readonly tablePrefix?: string;
  /**
   * Create the tables on first use if they are missing, or add what tables of an earlier
   * version lack, from the same SQL as the Prisma migrations. For PGlite and other databases no
   * migration tool manages; with Prisma, run `prisma migrate deploy` instead.
   * @default false
   */
  readonly migrate?: boolean;
  /**
   * Rows each statement of {@link PostgresStore.sweep} deletes at most.
   * @default 1_000
   */
  readonly sweepBatchSize?: number;
}

type Row = Record<string, unknown>;

/**
 * A {@link SessionStore} on Postgres, through any {@link PostgresExecutor}.
 *
 * @example
 * ```ts
 * import { PostgresStore } from 'ruts/postgres';
 * import { pgExecutor } from 'ruts/postgres/pg';
 * const store = new PostgresStore({ executor: pgExecutor(process.env.DATABASE_URL!) });
 * store.startSweeper({ intervalMs: 60_000 });
 * ```
 */
export class PostgresStore implements SessionStore, SweepableStore, OwnedSessionStore {
  /** The schema and table names in use. */
  readonly tables: PostgresTables;
  readonly #executor: PostgresExecutor;
  readonly #sql: PostgresStatements;
  readonly #sweepBatchSize: number;
  /** The migration options while the tables may still need creating; `undefined` once ready. */
  #pendingMigration: MigrationOptions | undefined;
  #migrating: Promise<void> | undefined;
  #sweeper: Sweeper | undefined;

  constructor(options: PostgresStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigError(
        'PostgresStore needs options with an executor, such as ' +
          "{ executor: pgExecutor(process.env.DATABASE_URL) } from 'ruts/postgres/pg'.",
      );
    }
    this.tables = resolveTables(options.schema, options.tablePrefix);
    this.#executor = executorFrom(options);
    this.#sql = buildStatements(this.tables);
    this.#sweepBatchSize = positiveInteger(
      'sweepBatchSize',
      options.sweepBatchSize,
      DEFAULT_SWEEP_BATCH_SIZE,
    );
    if (options.migrate) {
      this.#pendingMigration = { schema: this.tables.schema, tablePrefix: this.tables.prefix };
    }
  }

  /** The executor the store runs on, for escape hatches such as your own queries. */
  get executor(): PostgresExecutor {
    return this.#executor;
  }

  async getAll(key: string): Promise<StoredSession | undefined> {
    const rows = await this.#query(this.#sql.getAll, [key]);
    let session: Row | undefined;
    const fields = new Map<string, StoredField>();
    for (const row of rows) {
      // The session's own row is the one without a name; the statement does not order rows.
      if (row.name === null) session = row;
      else fields.set(row.name as string, { value: bytes(row.value), ttlMs: ms(row.ttl_ms) });
    }
    if (session === undefined) return undefined;
    return {
      fields,
      ttlMs: ms(session.ttl_ms),
      maxTtlMs: ms(session.max_ttl_ms),
      createdAt: Number(session.created_ms),
      ...(typeof session.owner === 'string' && { owner: session.owner }),
    };
  }

  async set(key: string, entry: FieldWrite, options: WriteOptions): Promise<SessionTtl | null> {
    const { ttlMs } = entry;
    // The common write, one field to a live session, skips the batch's arrays. A TTL of zero or
    // less (a delete) and the first write (which creates the session) go the general way.
    if (options.create || (typeof ttlMs === 'number' && !(ttlMs > 0))) {
      return this.#write(key, [entry], options);
    }
    const [row] = await this.#query(this.#sql.updateOne, [
      key,
      entry.field,
      entry.value,
      typeof ttlMs === 'number' ? ttlMs : null,
      extensionMs([entry], options.idleMs),
      ...limitParams(options.limits),
    ]);
    return this.#settle(key, [entry], options, row);
  }

  async setMany(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
  ): Promise<SessionTtl | null> {
    return this.#write(key, entries, options);
  }

  async setIfAbsent(
    key: string,
    entry: FieldWrite,
    options: WriteOptions,
  ): Promise<InsertResult | null> {
    await this.#ready();
    // Two statements, because the second must see the field as it is once the session row is
    // locked, and a statement's snapshot is taken before it waits for any lock.
    const row = await this.#exactly(key, [entry], options, true);
    return row && { written: row.written === true, ttlMs: ms(row.ttl_ms) };
  }

  async remove(key: string, field: string): Promise<boolean> {
    return (await this.#query(this.#sql.remove, [key, field])).length > 0;
  }

  async take(key: string, field: string): Promise<Uint8Array | undefined> {
    const [row] = await this.#query(this.#sql.take, [key, field]);
    return row && bytes(row.value);
  }

  async delete(key: string): Promise<boolean> {
    const [row] = await this.#query(this.#sql.delete, [key]);
    return row?.live === true;
  }

  async rename(from: string, to: string, options: RenameOptions): Promise<RenameResult> {
    await this.#ready();
    const set = options.set ?? [];
    const batch = fieldBatch(set, options.idleMs);
    const sql = this.#sql;
    // A deleteOwned holding the owner's lock makes the claim give way; the next attempt waits
    // for the lock before it locks any row (see postgres-statements.ts, Owners).
    for (let waitForOwner = false; ; waitForOwner = true) {
      const result = await this.#executor.transaction(async (tx) => {
        if (waitForOwner) await tx.query(sql.lockSourceOwner, [from]);
        const [claim] = await tx.query(sql.renameClaim, [
          from,
          to,
          batch.extendMs,
          options.owner ?? null,
        ]);
        if (claim?.found !== true) return { status: 'missing' } as const;
        // Only the source row was locked so far: committing changes nothing.
        if (claim.contended === true) return undefined;
        if (claim.claimed !== true) return { status: 'collision' } as const;
        await tx.query(sql.renameMove, [from, to]);
        if (set.length > 0) {
          // The expiry is already settled: extending it again by the same amount changes nothing.
          const [row] = await tx.query(sql.writeExact, [
            ...fieldParams(to, batch),
            batch.extendMs,
            ...limitParams(options.limits),
            null,
            false,
            null,
          ]);
          refuse(row, set, options.limits);
        }
        return { status: 'renamed', ttlMs: ms(claim.ttl_ms) } as const;
      });
      if (result !== undefined) return result;
    }
  }

  async expire(key: string, ttlMs: FieldTtl, mode: ExpireMode): Promise<SessionTtl | null> {
    const sql = this.#sql;
    const [row] =
      ttlMs === 'persistent'
        ? await this.#query(sql.persist, [key])
        : mode === 'extend'
          ? await this.#query(sql.extend, [key, ttlMs])
          : ttlMs > 0
            ? await this.#query(sql.end, [key, ttlMs])
            : await this.#query(sql.endNow, [key]);
    return row ? { ttlMs: ms(row.ttl_ms) } : null;
  }

  /**
   * The owner's live sessions, oldest first, with the live fields among `fields`: one statement
   * through the owner index.
   */
  async listOwned(owner: string, fields: readonly string[]): Promise<OwnedStoredSession[]> {
    const rows = await this.#query(this.#sql.listOwned, [owner, [...fields]]);
    type Listed = { row?: Row; fields: Map<string, StoredField> };
    const sessions = new Map<string, Listed>();
    for (const row of rows) {
      const key = row.key as string;
      const session: Listed = sessions.get(key) ?? { fields: new Map() };
      sessions.set(key, session);
      // As in getAll: the session's own row has no name, and rows come in no order within it.
      if (row.name === null) session.row = row;
      else
        session.fields.set(row.name as string, { value: bytes(row.value), ttlMs: ms(row.ttl_ms) });
    }
    const listed: OwnedStoredSession[] = [];
    for (const [key, { row, fields: live }] of sessions) {
      if (row === undefined) continue;
      listed.push({
        key,
        createdAt: Number(row.created_ms),
        ttlMs: ms(row.ttl_ms),
        lastActiveAt: ms(row.active_ms),
        fields: live,
      });
    }
    return listed;
  }

  /**
   * Deletes the owner's sessions but `except`, under the owner's lock, so that a session renamed
   * meanwhile cannot escape; resolves the keys of those that were live.
   */
  async deleteOwned(owner: string, except?: string): Promise<string[]> {
    await this.#ready();
    const sql = this.#sql;
    return this.#executor.transaction(async (tx) => {
      await tx.query(sql.lockOwner, [owner]);
      // A statement of its own, so its snapshot is taken once the lock is held.
      const rows = await tx.query(sql.deleteOwned, [owner, except ?? null]);
      return rows.filter((row) => row.live === true).map((row) => row.key as string);
    });
  }

  /**
   * Deletes expired sessions (their fields go with them) and expired fields of live sessions,
   * in batches of `sweepBatchSize` rows. Resolves how many sessions were removed.
   */
  async sweep(): Promise<number> {
    await this.#ready();
    return sweepExpired(this.#executor, this.#sql, this.#sweepBatchSize);
  }

  /**
   * Sweeps every `intervalMs` in the background until {@link close}. Failed sweeps go to
   * `onError` and the sweeper carries on. One sweeper per store.
   *
   * @example store.startSweeper({ intervalMs: 60_000, onError: (error) => log.warn(error) })
   */
  startSweeper(options: SweeperOptions = {}): Sweeper {
    if (this.#sweeper !== undefined) {
      throw new ConfigError('PostgresStore already has a sweeper running; stop it first.');
    }
    const sweeper = startSweeping(
      async (batchSize) => {
        await this.#ready();
        return sweepExpired(this.#executor, this.#sql, batchSize);
      },
      options,
      this.#sweepBatchSize,
    );
    const handle: Sweeper = {
      stop: async () => {
        if (this.#sweeper === handle) this.#sweeper = undefined;
        await sweeper.stop();
      },
    };
    this.#sweeper = handle;
    return handle;
  }

  /** Stops the sweeper, then closes the executor, which releases only what it opened itself. */
  async close(): Promise<void> {
    await this.#sweeper?.stop();
    await this.#migrating?.catch(() => undefined);
    await this.#executor.close();
  }

  async #write(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
  ): Promise<SessionTtl | null> {
    const batch = fieldBatch(entries, options.idleMs);
    const params = [...fieldParams(key, batch), batch.extendMs, ...limitParams(options.limits)];
    const [row] = options.create
      ? await this.#query(this.#sql.create, [
          ...params,
          options.absoluteMs ?? null,
          options.owner ?? null,
        ])
      : await this.#query(this.#sql.update, params);
    return this.#settle(key, entries, options, row);
  }

  /**
   * The outcome of a one-statement write. One that did not write (the session is missing, or
   * its counters refused the write or were not known) is decided again from the session's
   * fields, when it has limits; without them, only a missing session writes nothing.
   */
  async #settle(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
    row: Row | undefined,
  ): Promise<SessionTtl | null> {
    if (row?.written === true) return { ttlMs: ms(row.ttl_ms) };
    if (options.limits === undefined) return null;
    const exact = await this.#exactly(key, entries, options, false);
    return exact && { ttlMs: ms(exact.ttl_ms) };
  }

  /**
   * Writes in a short transaction that locks the session row (claiming it when `create`) and
   * then decides the limits from the fields themselves, throwing {@link SessionTooLargeError}
   * (which rolls everything back) when the write would pass one. `null` when the session is
   * missing and `create` is false.
   */
  async #exactly(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
    ifAbsent: boolean,
  ): Promise<Row | null> {
    const sql = this.#sql;
    const batch = fieldBatch(entries, options.idleMs);
    return this.#executor.transaction(async (tx) => {
      if (options.create) await tx.query(sql.claimSession, [key]);
      else if ((await tx.query(sql.lockSession, [key])).length === 0) return null;
      const [row] = await tx.query(sql.writeExact, [
        ...fieldParams(key, batch),
        batch.extendMs,
        ...limitParams(options.limits),
        options.absoluteMs ?? null,
        ifAbsent,
        options.owner ?? null,
      ]);
      refuse(row, entries, options.limits);
      return row ?? {};
    });
  }

  async #query(sql: string, params: readonly unknown[]): Promise<Row[]> {
    if (this.#pendingMigration !== undefined) await this.#ready();
    return this.#executor.query(sql, params);
  }

  /**
   * With `migrate`, the first call creates the tables and the others wait for it. A failed
   * migration is retried by the next call rather than failing the store for good.
   */
  #ready(): Promise<void> | undefined {
    const pending = this.#pendingMigration;
    if (pending === undefined) return undefined;
    this.#migrating ??= migrate(this.#executor, pending).then(
      () => {
        this.#pendingMigration = undefined;
      },
      (error: unknown) => {
        this.#migrating = undefined;
        throw error;
      },
    );
    return this.#migrating;
  }
}

function executorFrom(options: PostgresStoreOptions): PostgresExecutor {
  const { executor } = options;
  if (
    typeof executor !== 'object' ||
    executor === null ||
    typeof executor.query !== 'function' ||
    typeof executor.transaction !== 'function'
  ) {
    const legacy = 'pool' in options || 'connectionString' in options;
    throw new ConfigError(
      'PostgresStore needs an `executor` with query() and transaction(), such as ' +
        "pgExecutor(process.env.DATABASE_URL) from 'ruts/postgres/pg'" +
        (legacy
          ? '. The `pool` and `connectionString` options are gone: pass them to pgExecutor().'
          : '.'),
    );
  }
  return executor;
}

/** A plain Uint8Array view of what the driver returned (a Buffer from `pg`), without copying. */
function bytes(value: unknown): Uint8Array {
  const view = value as Uint8Array;
  return view.constructor === Uint8Array
    ? view
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** The limit parameters of a statement: `NULL` for none. */
function limitParams(limits: SessionLimits | undefined): [number | null, number | null] {
  return [limits?.maxFields ?? null, limits?.maxSessionBytes ?? null];
}

/** Throws the refusal `writeExact` reported, if it reported one. */
function refuse(
  row: Row | undefined,
  entries: readonly FieldWrite[],
  limits: SessionLimits | undefined,
): void {
  const refusal = limitRefusal(row?.refused, limits, entries);
  if (refusal) throw refusal;
}

function ms(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
