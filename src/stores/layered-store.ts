/**
 * `ruts/layered`: a fast hot store in front of a durable cold one, for long-lived sessions that
 * should occupy hot memory only while they are in use.
 *
 * - **Cold is the source of truth.** It decides whether a session exists, and every TTL,
 *   creation time and deadline the layered store reports is cold's (`'hot'` fields excepted).
 *   Operations that change cold data change cold first.
 * - **Hot answers only for complete sessions.** A read that misses reads the session whole
 *   from cold and writes it to hot ("warming"). Hot holds each copy no longer than the hot TTL,
 *   nor than the field or the session lives in cold. Writes update hot only where it already
 *   holds the session: they never warm.
 * - **Each write picks its tier** through `WriteOptions.write` (the session handle passes
 *   `session.set(key, value, { write })` down): `'through'` (the default) writes cold then hot,
 *   `'cold'` writes cold and keeps the field out of hot, `'hot'` keeps ephemeral data in hot only.
 * - **Hot failing is not an outage.** Its errors go to `onEvent` and the call carries on from
 *   cold. Cold failing is: writes reject with a `StoreError` that names the cold tier. Such a
 *   write may have reached cold all the same, so hot serves its session only until cold
 *   answers again (`delete` and `rename` not even that).
 *
 * All processes that share the cold store must share the hot one too (a Redis, say), or run as
 * a single process: a hot tier private to one process (a `MemoryStore`) cannot see the other
 * processes' writes and would serve their old values until its copies expire.
 *
 * @packageDocumentation
 * @module ruts/layered
 */

import { ConfigError } from '../core/errors.ts';
import {
  canSweep,
  type ExpireMode,
  type FieldTtl,
  type FieldWrite,
  type InsertResult,
  type RenameOptions,
  type RenameResult,
  type SessionStore,
  type SessionTtl,
  type StoredSession,
  type SweepableStore,
  type WriteOptions,
} from '../core/store-contract.ts';
import { insertHot, writeHot } from './layered/hot-writes.ts';
import type {
  LayeredEventHandler,
  LayeredOperation,
  LayeredStoreEvent,
} from './layered/layered-events.ts';
import { deleteSession, expire, remove, rename, take } from './layered/lifecycle.ts';
import { readField, readSession } from './layered/reads.ts';
import { ColdTier, HotTier, type Tiers } from './layered/tiers.ts';
import { insertCold, insertThrough, writeCold, writeThrough } from './layered/writes.ts';
import { MemoryStore } from './memory/memory-store.ts';

export type {
  LayeredEventHandler,
  LayeredOperation,
  LayeredStoreEvent,
} from './layered/layered-events.ts';

/** Options of {@link LayeredStore}. */
export interface LayeredStoreOptions {
  /**
   * The fast tier, such as a `RedisStore` or a `MemoryStore`. It holds copies of recently used
   * sessions, and the fields written with `'hot'`. It must be shared by every process that
   * shares `cold`, unless there is only one. It must not be the same store as `cold`.
   * @example new RedisStore({ client: redis, prefix: 'hot:' })
   */
  readonly hot: SessionStore;
  /**
   * The durable tier and source of truth, such as a `PostgresStore`.
   * @example new PostgresStore({ executor: pgExecutor(process.env.DATABASE_URL!) })
   */
  readonly cold: SessionStore;
  /**
   * Seconds a session stays in hot after it was last warmed or written through; an unused
   * session then leaves hot and lives on in cold alone. Nothing stays in hot longer than in cold.
   * It also bounds how long another process could read stale data after a hot failure.
   * @default 3_600 (one hour)
   * @example new LayeredStore({ hot, cold, hotTtl: 15 * 60 })
   */
  readonly hotTtl?: number;
  /**
   * Receives what the store worked around rather than threw: hot failures, and hot entries it
   * could not invalidate (see {@link LayeredStoreEvent}). What the handler throws is ignored.
   * @default an event handler that logs each event with `console.warn`
   * @example new LayeredStore({ hot, cold, onEvent: (e) => logger.warn(e, 'session tier') })
   */
  readonly onEvent?: LayeredEventHandler;
}

const DEFAULT_HOT_TTL = 60 * 60;

const STORE_METHODS = [
  'get',
  'getAll',
  'set',
  'setIfAbsent',
  'setMany',
  'remove',
  'take',
  'delete',
  'rename',
  'expire',
] as const satisfies readonly (keyof SessionStore)[];

/**
 * A {@link SessionStore} in two tiers: `hot` answers reads of sessions in use, `cold` keeps
 * everything. Neither store is closed by {@link LayeredStore.close}: they are the caller's.
 *
 * @example
 * ```ts
 * import { LayeredStore } from 'ruts/layered';
 * const store = new LayeredStore({
 *   hot: new RedisStore({ client: redis }),
 *   cold: new PostgresStore({ executor: pgExecutor(process.env.DATABASE_URL!) }),
 *   hotTtl: 30 * 60,
 * });
 * await session.set('csrf', nonce, { write: 'hot' });
 * ```
 */
export class LayeredStore implements SessionStore, SweepableStore {
  /** The hot tier, as given. */
  readonly hot: SessionStore;
  /** The cold tier, as given. */
  readonly cold: SessionStore;
  readonly #tiers: Tiers;
  readonly #hot: HotTier;

  constructor(options: LayeredStoreOptions) {
    const { hot, cold, hotTtl = DEFAULT_HOT_TTL, onEvent = warnOf } = options ?? {};
    assertStore('hot', hot);
    assertStore('cold', cold);
    if (hot === cold || sameMemoryStore(hot, cold)) {
      throw new ConfigError(
        'LayeredStore hot and cold must be two different stores: the hot tier keeps its own ' +
          'bookkeeping beside its copies. Give each tier a store (or a key prefix, or a MemoryStore name) of its own.',
      );
    }
    if (typeof hotTtl !== 'number' || !Number.isFinite(hotTtl) || hotTtl * 1000 < 1) {
      throw new ConfigError(
        `LayeredStore hotTtl must be a positive number of seconds, got ${String(hotTtl)}. ` +
          `Leave it out for the default of ${DEFAULT_HOT_TTL} (one hour).`,
      );
    }
    if (typeof onEvent !== 'function') {
      throw new ConfigError(
        'LayeredStore onEvent must be a function receiving each event, such as ' +
          '(event) => logger.warn(event).',
      );
    }
    this.hot = hot;
    this.cold = cold;
    this.#hot = new HotTier(hot, Math.round(hotTtl * 1000), onEvent);
    this.#tiers = { hot: this.#hot, cold: new ColdTier(cold, this.#hot) };
  }

  get(key: string, field: string): Promise<Uint8Array | undefined> {
    return readField(this.#tiers, 'get', key, field);
  }

  getAll(key: string): Promise<StoredSession | undefined> {
    return readSession(this.#tiers, 'getAll', key);
  }

  set(key: string, entry: FieldWrite, options: WriteOptions): Promise<SessionTtl | null> {
    return this.#write('set', key, [entry], options);
  }

  setMany(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
  ): Promise<SessionTtl | null> {
    return this.#write('setMany', key, entries, options);
  }

  /** Decided by cold, or by hot for `'hot'` (once cold is known not to hold the field). */
  setIfAbsent(key: string, entry: FieldWrite, options: WriteOptions): Promise<InsertResult | null> {
    switch (options.write) {
      case 'hot':
        return insertHot(this.#tiers, key, entry, options);
      case 'cold':
        return insertCold(this.#tiers, key, entry, options);
      default:
        return insertThrough(this.#tiers, key, entry, options);
    }
  }

  remove(key: string, field: string): Promise<boolean> {
    return remove(this.#tiers, key, field);
  }

  take(key: string, field: string): Promise<Uint8Array | undefined> {
    return take(this.#tiers, key, field);
  }

  delete(key: string): Promise<boolean> {
    return deleteSession(this.#tiers, key);
  }

  rename(from: string, to: string, options: RenameOptions): Promise<RenameResult> {
    return rename(this.#tiers, from, to, options);
  }

  expire(key: string, ttlMs: FieldTtl, mode: ExpireMode): Promise<SessionTtl | null> {
    return expire(this.#tiers, key, ttlMs, mode);
  }

  /**
   * Sweeps each tier that can be swept, and resolves how many sessions cold removed. A hot tier
   * that fails to sweep is reported, not thrown.
   */
  async sweep(): Promise<number> {
    const { hot, cold } = this;
    const hotSweep = canSweep(hot) ? hot.sweep() : Promise.resolve(0);
    const [removed] = await Promise.all([
      canSweep(cold) ? cold.sweep() : 0,
      hotSweep.catch((error: unknown) => {
        this.#hot.emit({ type: 'hot-error', operation: 'sweep', key: '', error });
      }),
    ]);
    return removed;
  }

  /**
   * Forgets this store's own state. The tiers are the caller's, so they stay open: close them
   * yourself once nothing uses them.
   */
  async close(): Promise<void> {
    this.#hot.clear();
  }

  #write(
    operation: LayeredOperation,
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
  ): Promise<SessionTtl | null> {
    switch (options.write) {
      case 'hot':
        return writeHot(this.#tiers, operation, key, entries, options);
      case 'cold':
        return writeCold(this.#tiers, operation, key, entries, options);
      default:
        return writeThrough(this.#tiers, operation, key, entries, options);
    }
  }
}

/** Two `MemoryStore`s of one name hold the same sessions: to the tiers, they are one store. */
function sameMemoryStore(hot: SessionStore, cold: SessionStore): boolean {
  return hot instanceof MemoryStore && cold instanceof MemoryStore && hot.name === cold.name;
}

function assertStore(tier: 'hot' | 'cold', store: unknown): asserts store is SessionStore {
  const missing = STORE_METHODS.filter(
    (method) => typeof (store as Partial<SessionStore> | undefined)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new ConfigError(
      `LayeredStore ${tier} must be a session store (such as a MemoryStore, RedisStore or ` +
        `PostgresStore); it lacks ${missing.join(', ')}.`,
    );
  }
}

function warnOf(event: LayeredStoreEvent): void {
  const detail = event.error instanceof Error ? event.error.message : String(event.error);
  const what = {
    'hot-error': 'the hot tier failed; served from cold',
    'hot-stale': 'the hot entry could not be invalidated and may serve stale data until it expires',
    'cold-error': 'a cold step failed after the call succeeded',
  }[event.type];
  console.warn(`ruts: LayeredStore ${event.operation} of ${event.key}: ${what}: ${detail}`);
}
