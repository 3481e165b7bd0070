/**
 * `ruts/layered`: a fast hot store in front of a durable cold one. Cold is the source of truth:
 * every change goes to cold first, and hot keeps copies of sessions in use, each trusted for a
 * lease (`hotTtl`) and then read again from cold. Each change to a key in hot installs a token
 * never used before; a write applies its change to hot's copy only if the copy still has the token
 * this process saw before it wrote cold, and a read fills hot only if no change reached hot
 * since it looked. Any other order drops the copy, so racing writes never leave hot holding a
 * value cold did not keep. A change cold fails to confirm marks the copy doubtful: it is served
 * only while cold cannot answer. Revocations (delete, rename, expiry) evict hot with retries, and
 * reject when hot cannot confirm it; the lease bounds how long another process could then
 * still serve the old id.
 *
 * @packageDocumentation
 * @module ruts/layered
 */

import { ConfigError, RutsError, StoreError } from '../core/errors.ts';
import { type CachedSession, canCache, type SessionCache } from '../core/session-cache.ts';
import {
  canIndexOwners,
  canSweep,
  type ExpireMode,
  type FieldTtl,
  type FieldWrite,
  type InsertResult,
  type ObservableStore,
  type OwnedSessionStore,
  type OwnedStoredSession,
  type RenameOptions,
  type RenameResult,
  type SessionLimits,
  type SessionStore,
  type SessionTtl,
  type StoredField,
  type StoredSession,
  type StoreEvent,
  type SweepableStore,
  type WriteOptions,
} from '../core/store-contract.ts';
import { HotTier, isDoubtful } from './layered/hot-tier.ts';
import type {
  LayeredEventHandler,
  LayeredOperation,
  LayeredStoreEvent,
} from './layered/layered-events.ts';

export type {
  LayeredEventHandler,
  LayeredOperation,
  LayeredStoreEvent,
} from './layered/layered-events.ts';

/** Options of {@link LayeredStore}. */
export interface LayeredStoreOptions {
  /**
   * The fast tier: a `RedisStore` (or, for a single process, a `MemoryStore`). It holds copies
   * of sessions in use and the fields written with `'hot'`. Every process that shares `cold`
   * must share it too.
   * @example new RedisStore({ client: redis, prefix: 'hot:' })
   */
  readonly hot: SessionStore & SessionCache;
  /**
   * The durable tier and source of truth, such as a `PostgresStore`.
   * @example new PostgresStore({ executor: pgExecutor(process.env.DATABASE_URL!) })
   */
  readonly cold: SessionStore;
  /**
   * Seconds a copy in hot is trusted before it is read again from cold. It bounds how long a
   * session that ended while hot could not be told is still served from hot. Shorter means
   * more cold reads: one per session in use per `hotTtl`.
   * @default 30
   * @example new LayeredStore({ hot, cold, hotTtl: 10 })
   */
  readonly hotTtl?: number;
  /**
   * Seconds a hot call may take before it counts as failed, and the call goes on without hot
   * (noticed within a quarter more: one timer checks every call in flight).
   * @default 1
   * @example new LayeredStore({ hot, cold, hotTimeout: 0.25 })
   */
  readonly hotTimeout?: number;
  /**
   * Receives what the store worked around rather than threw: hot calls that failed (see
   * {@link LayeredStoreEvent}). What the handler throws is ignored. A session manager whose
   * config has `onEvent` receives them too, as `hot-error` events.
   * @default an event handler that logs each event with `console.warn`, unless a session
   * manager with `onEvent` receives them
   * @example new LayeredStore({ hot, cold, onEvent: (e) => logger.warn(e, 'session tier') })
   */
  readonly onEvent?: LayeredEventHandler;
}

const DEFAULT_HOT_TTL = 30;
const DEFAULT_HOT_TIMEOUT = 1;

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
 * });
 * await session.set('csrf', nonce, { write: 'hot' });
 * ```
 */
export class LayeredStore
  implements SessionStore, SweepableStore, OwnedSessionStore, ObservableStore
{
  /** The hot tier, as given. */
  readonly hot: SessionStore & SessionCache;
  /** The cold tier, as given. */
  readonly cold: SessionStore;
  readonly #hot: HotTier;
  /** The last change queued per key: this process changes a session one call at a time. */
  readonly #changing = new Map<string, Promise<unknown>>();
  readonly #onEvent: LayeredEventHandler | undefined;
  /** Subscribers (session managers with `onEvent`), each in a box so one can subscribe twice. */
  readonly #listeners = new Set<{ listener: (event: StoreEvent) => void }>();

  constructor(options: LayeredStoreOptions) {
    const { hot, cold, hotTtl = DEFAULT_HOT_TTL, hotTimeout = DEFAULT_HOT_TIMEOUT } = options ?? {};
    const { onEvent } = options ?? {};
    if (!canCache(hot)) {
      throw new ConfigError(
        'LayeredStore hot must be a store that can cache sessions: a RedisStore, or a ' +
          'MemoryStore for a single process.',
      );
    }
    assertStore(cold);
    if ((hot as unknown) === cold) {
      throw new ConfigError('LayeredStore hot and cold must be two different stores.');
    }
    assertSeconds('hotTtl', hotTtl, DEFAULT_HOT_TTL);
    assertSeconds('hotTimeout', hotTimeout, DEFAULT_HOT_TIMEOUT);
    if (onEvent !== undefined && typeof onEvent !== 'function') {
      throw new ConfigError(
        'LayeredStore onEvent must be a function receiving each event, such as ' +
          '(event) => logger.warn(event).',
      );
    }
    this.hot = hot;
    this.cold = cold;
    this.#onEvent = onEvent;
    this.#hot = new HotTier(
      hot,
      Math.round(hotTtl * 1000),
      Math.round(hotTimeout * 1000),
      (event) => this.#report(event),
    );
  }

  /**
   * Calls `listener` with each {@link LayeredStoreEvent} from now on, besides `onEvent`; the
   * function returned stops it. Session managers whose config has `onEvent` subscribe.
   */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    const entry = { listener };
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  #report(event: LayeredStoreEvent): void {
    // The default warning stands in only for a store nobody listens to.
    const own = this.#onEvent ?? (this.#listeners.size === 0 ? warnOf : undefined);
    for (const handler of [own, ...[...this.#listeners].map((entry) => entry.listener)]) {
      try {
        handler?.(event);
      } catch {
        // One failing handler must neither fail the call nor keep the event from the others.
      }
    }
  }

  getAll(key: string): Promise<StoredSession | undefined> {
    // A callback rather than async/await: a hot hit is the path to keep short.
    return this.#hot
      .read('getAll', key)
      .then((cached) =>
        cached?.copy && !isDoubtful(cached.token)
          ? withLocal(cached.copy, cached.local)
          : this.#readCold(key, cached),
      );
  }

  /**
   * A read hot could not answer: from cold, filling hot's copy if hot could be reached. A
   * doubtful copy (see {@link HotTier.doubt}) is what it serves when cold cannot answer.
   */
  async #readCold(
    key: string,
    cached: CachedSession | undefined,
  ): Promise<StoredSession | undefined> {
    const startedAt = performance.now();
    let session: StoredSession | undefined;
    try {
      session = await this.#cold('getAll', () => this.cold.getAll(key));
    } catch (error) {
      if (cached?.copy === undefined || !(error instanceof StoreError)) throw error;
      return withLocal(cached.copy, cached.local);
    }
    if (cached === undefined) return session;
    if (session === undefined) {
      if (cached.copy !== undefined) await this.#hot.evict('getAll', key, false);
      return undefined;
    }
    await this.#hot.fill(key, session, cached.token, startedAt);
    return withLocal(session, cached.local);
  }

  async set(key: string, entry: FieldWrite, options: WriteOptions): Promise<SessionTtl | null> {
    const result = await this.#write('set', key, [entry], options);
    return result && { ttlMs: result.ttlMs };
  }

  async setMany(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
  ): Promise<SessionTtl | null> {
    const result = await this.#write('setMany', key, entries, options);
    return result && { ttlMs: result.ttlMs };
  }

  setIfAbsent(key: string, entry: FieldWrite, options: WriteOptions): Promise<InsertResult | null> {
    return this.#write('setIfAbsent', key, [entry], options);
  }

  async remove(key: string, field: string): Promise<boolean> {
    return this.#inOrder(key, async () => {
      const expected = this.#hot.seen(key);
      const removed = await this.#coldChange('remove', key, 'keeps', () =>
        this.cold.remove(key, field),
      );
      const update = await this.#hot.update('remove', key, { remove: [field] }, expected);
      return removed || (update?.removed.has(field) ?? false);
    });
  }

  async take(key: string, field: string): Promise<Uint8Array | undefined> {
    return this.#inOrder(key, async () => {
      const expected = this.#hot.seen(key);
      const value = await this.#coldChange('take', key, 'keeps', () => this.cold.take(key, field));
      const update = await this.#hot.update('take', key, { remove: [field] }, expected);
      return value ?? update?.removed.get(field);
    });
  }

  async delete(key: string): Promise<boolean> {
    return this.#inOrder(key, async () => {
      const existed = await this.#coldChange('delete', key, 'ends', () => this.cold.delete(key));
      await this.#hot.evict('delete', key, true);
      return existed;
    });
  }

  async rename(from: string, to: string, options: RenameOptions): Promise<RenameResult> {
    if (options.owner !== undefined) this.#coldIndex();
    return this.#inOrder(from, async () => {
      const result = await this.#coldChange('rename', from, 'ends', () =>
        this.cold.rename(from, to, options),
      );
      if (result.status === 'renamed') await this.#hot.evict('rename', from, true, to);
      if (result.status === 'missing') await this.#hot.evict('rename', from, false);
      return result;
    });
  }

  async expire(key: string, ttlMs: FieldTtl, mode: ExpireMode): Promise<SessionTtl | null> {
    return this.#inOrder(key, async () => {
      // Only an extension applies on top of the copy; a new deadline drops it.
      const expected = mode === 'extend' ? this.#hot.seen(key) : '';
      // A new deadline may end the session; an extension cannot.
      const effect = mode === 'set' ? 'ends' : 'keeps';
      const result = await this.#coldChange('expire', key, effect, () =>
        this.cold.expire(key, ttlMs, mode),
      );
      if (result === null || result.ttlMs === 0) {
        await this.#hot.evict('expire', key, result !== null);
      } else {
        await this.#hot.update('expire', key, { ttlMs: result.ttlMs }, expected);
      }
      return result;
    });
  }

  /** The owner's sessions as cold lists them; fields written `'hot'` alone are not among them. */
  async listOwned(owner: string, fields: readonly string[]): Promise<OwnedStoredSession[]> {
    const cold = this.#coldIndex();
    return this.#cold('listOwned', () => cold.listOwned(owner, fields));
  }

  /**
   * Revokes in cold, then evicts each revoked session's copy from hot as `delete` does: it
   * rejects when hot cannot confirm a copy gone, and the lease (`hotTtl`) bounds the rest.
   */
  async deleteOwned(owner: string, except?: string): Promise<string[]> {
    const cold = this.#coldIndex();
    const ended = await this.#cold('deleteOwned', () => cold.deleteOwned(owner, except));
    const evicted = await Promise.allSettled(
      ended.map((key) => this.#inOrder(key, () => this.#hot.evict('deleteOwned', key, true))),
    );
    const failed = evicted.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    return ended;
  }

  /** Sweeps cold, if it can be swept; hot's copies and tokens expire by themselves. */
  async sweep(): Promise<number> {
    return canSweep(this.cold) ? this.cold.sweep() : 0;
  }

  /** The tiers are the caller's, so they stay open: close them once nothing uses them. */
  async close(): Promise<void> {}

  #write(
    operation: 'set' | 'setMany' | 'setIfAbsent',
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
  ): Promise<InsertResult | null> {
    if (options.owner !== undefined && options.create) this.#coldIndex();
    return this.#inOrder(key, async () => {
      // Nothing is created in hot alone: a 'hot' write that would create a session goes to cold.
      if (options.write === 'hot' && !options.create) {
        const local = await this.#writeLocal(operation, key, entries, options.limits);
        if (local !== undefined) return local;
      }
      const expected = options.write === 'cold' ? '' : this.#hot.seen(key);
      const [first] = entries as [FieldWrite];
      const result = await this.#coldChange(operation, key, 'keeps', async () => {
        if (operation === 'setIfAbsent') return this.cold.setIfAbsent(key, first, options);
        const ttl = await (operation === 'set'
          ? this.cold.set(key, first, options)
          : this.cold.setMany(key, entries, options));
        return ttl && { written: true, ttlMs: ttl.ttlMs };
      });
      if (result === null) {
        await this.#hot.evict(operation, key, false);
      } else if (result.written) {
        await this.#hot.update(operation, key, { set: entries, ttlMs: result.ttlMs }, expected);
      }
      return result;
    });
  }

  /** Cold as an owner index; owners live in cold alone. */
  #coldIndex(): SessionStore & OwnedSessionStore {
    if (canIndexOwners(this.cold)) return this.cold;
    throw new ConfigError(
      'LayeredStore keeps owners in its cold tier, and this cold store does not index them ' +
        '(listOwned, deleteOwned). Use a PostgresStore, RedisStore or MemoryStore as cold.',
    );
  }

  /**
   * Writes fields to hot alone, on a session cold holds: hot takes them only beside a copy, so
   * without one, the session is read from cold first. `undefined` when hot could not take them.
   */
  async #writeLocal(
    operation: 'set' | 'setMany' | 'setIfAbsent',
    key: string,
    entries: readonly FieldWrite[],
    limits: SessionLimits | undefined,
  ): Promise<InsertResult | null | undefined> {
    const ifAbsent = operation === 'setIfAbsent';
    const written = await this.#hot.writeLocal(operation, key, entries, ifAbsent, limits);
    if (written !== null) return written;
    if ((await this.getAll(key)) === undefined) return null;
    return (await this.#hot.writeLocal(operation, key, entries, ifAbsent, limits)) ?? undefined;
  }

  /**
   * Runs `change` once this process's earlier changes of `key` have settled. Two changes in
   * flight at once would each find the other's token in hot and drop the copy; in order, each
   * applies on top of the last.
   */
  #inOrder<R>(key: string, change: () => Promise<R>): Promise<R> {
    const previous = this.#changing.get(key);
    const result = previous === undefined ? change() : previous.then(change, change);
    this.#changing.set(key, result);
    const done = () => {
      if (this.#changing.get(key) === result) this.#changing.delete(key);
    };
    result.then(done, done);
    return result;
  }

  /**
   * A change to cold of `key`. When cold fails, it may have made the change all the same: one
   * that may have ended the session evicts hot's copy, rather than risk serving an ended session;
   * any other marks the copy doubtful, served while cold cannot answer and replaced by the first
   * read that reaches cold.
   */
  async #coldChange<R>(
    operation: LayeredOperation,
    key: string,
    effect: 'ends' | 'keeps',
    call: () => Promise<R>,
  ): Promise<R> {
    try {
      return await this.#cold(operation, call);
    } catch (error) {
      if (effect === 'ends') await this.#hot.evict(operation, key, false);
      else if (error instanceof StoreError) await this.#hot.doubt(operation, key);
      throw error;
    }
  }

  #cold<R>(operation: LayeredOperation, call: () => Promise<R>): Promise<R> {
    return call().catch((error: unknown) => {
      const where = `${operation} on the cold tier`;
      if (error instanceof StoreError) throw new StoreError(where, error.cause ?? error);
      // Bad input is the caller's to fix, not an outage.
      if (error instanceof RutsError) throw error;
      throw new StoreError(where, error);
    });
  }
}

/** The session with hot's local fields over cold's. */
function withLocal(session: StoredSession, local: ReadonlyMap<string, StoredField>): StoredSession {
  if (local.size === 0) return session;
  return { ...session, fields: new Map([...session.fields, ...local]) };
}

function assertStore(store: unknown): asserts store is SessionStore {
  const methods = [
    'getAll',
    'set',
    'setIfAbsent',
    'setMany',
    'remove',
    'take',
    'delete',
    'rename',
    'expire',
  ];
  const missing = methods.filter(
    (method) => typeof (store as Record<string, unknown> | undefined)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new ConfigError(
      'LayeredStore cold must be a session store (such as a PostgresStore); it lacks ' +
        `${missing.join(', ')}.`,
    );
  }
}

function assertSeconds(name: string, value: unknown, fallback: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value * 1000 < 1) {
    throw new ConfigError(
      `LayeredStore ${name} must be a positive number of seconds, got ${String(value)}. ` +
        `Leave it out for the default of ${fallback}.`,
    );
  }
}

function warnOf(event: LayeredStoreEvent): void {
  const detail = event.error instanceof Error ? event.error.message : String(event.error);
  console.warn(
    `ruts: LayeredStore ${event.operation} of ${event.key}: the hot tier failed; went on ` +
      `from cold: ${detail}`,
  );
}
