/**
 * The two tiers as the layered store calls them. A hot call that rejects is reported and stands
 * aside, so the caller falls back to cold; a cold call that rejects fails the operation with a
 * {@link StoreError} that names the cold tier.
 *
 * ## A cold change whose outcome is unknown
 * A cold change that rejects may have happened all the same: a commit whose reply was lost with
 * the connection fails exactly like one that never ran. Hot's entry for the session may then be
 * stale, so it must not outlive the outage. It is not deleted at once, because while cold is
 * down hot is all that can serve the session: the key is remembered as unconfirmed, hot keeps
 * answering reads of it, and the first cold call that shows cold is back, whatever its key,
 * invalidates the hot entries of every unconfirmed key before it resolves, so the next read
 * warms from cold and the tiers agree.
 *
 * A call shows cold is back when it succeeds and no cold call failed while it was under way. A
 * call already under way when a change failed may have been answered just before the outage;
 * and a server shutting down fails its connections one by one, so a call can still succeed on
 * one not yet closed while the calls around it fail. Taking either for recovery would invalidate
 * hot while cold is still down, failing every read of those sessions until it is back.
 *
 * Changes that end a session (`delete`, `rename` and an `expire` to zero) invalidate hot at once
 * instead: the caller wanted that session gone, and an outage must not keep a session readable
 * that may have been destroyed or moved away from a leaked id.
 *
 * The invalidation deletes the entry from the shared hot tier, for every process, but only this
 * process remembers which keys are unconfirmed: if it exits before cold answers it again, the
 * entries stay until they expire (at most the hot TTL), as with `hot-stale`. And a change that
 * cold was still carrying out when its call failed (a client-side timeout, a connection cut
 * before the server replied) may commit after that invalidation, behind a warm that read the
 * old data: hot then serves that until the entry is next written through or expires.
 *
 * @packageDocumentation
 */

import { RutsError, StoreError } from '../../core/errors.ts';
import type { SessionStore, WriteOptions } from '../../core/store-contract.ts';
import { hotLife } from './hot-entry.ts';
import type { LayeredEventHandler, LayeredOperation, LayeredStoreEvent } from './layered-events.ts';

/** What a hot call resolves to when it rejected. */
export const FAILED: unique symbol = Symbol('the hot tier failed');
export type Failed = typeof FAILED;

/**
 * Keys this process could not invalidate, remembered so it does not read them from hot. Bounded,
 * so a long outage cannot grow it without limit; the oldest are forgotten first.
 */
const MAX_STALE_KEYS = 10_000;

/**
 * Keys awaiting invalidation until cold answers again. Bounded the same way: an outage long and
 * busy enough to exceed it forgets the oldest keys, and reports each forgotten key as
 * `hot-stale`, since hot may then serve it stale until its entry expires.
 */
const MAX_UNCONFIRMED_KEYS = 10_000;

/**
 * When the hot entries of a cold change that rejected, and so may or may not have happened, are
 * invalidated: `'later'`, once cold answers again, hot serving them until then; `'now'`; or
 * `'never'`, for a change hot's entry cannot go stale by (a longer cold TTL).
 */
export type Invalidation = 'later' | 'now' | 'never';

/** Why a key is unconfirmed: the change that rejected, and with what. */
interface Unconfirmed {
  readonly operation: LayeredOperation;
  readonly error: unknown;
}

/** The hot store, with failure reporting and the hot TTL every hot write uses. */
export class HotTier {
  readonly store: SessionStore;
  /** The hot TTL in milliseconds. */
  readonly ttlMs: number;
  readonly #report: LayeredEventHandler;
  /** Keys whose hot entry may be stale: cold changed and hot could be neither updated nor deleted. */
  readonly #stale = new Set<string>();
  /** Keys a cold change rejected for, oldest first: see the module's notes. */
  readonly #unconfirmed = new Map<string, Unconfirmed>();
  /** Invalidations of unconfirmed keys under way, which a later confirmation waits for too. */
  #confirming: Promise<void> | undefined;

  constructor(store: SessionStore, ttlMs: number, report: LayeredEventHandler) {
    this.store = store;
    this.ttlMs = ttlMs;
    this.#report = report;
  }

  /**
   * Write options of every hot write. The hot TTL is the idle timeout, so an entry falls out of
   * hot once unused, lowered to the cold session's remaining TTL when that is known, so an entry
   * does not outstay its session. There is never a deadline: copies are capped one by one.
   */
  options(create: boolean, coldTtl: number | null = null): WriteOptions {
    return { create, idleMs: hotLife(this.ttlMs, coldTtl) };
  }

  /**
   * Runs `call` against the hot store. A rejection is reported and resolves {@link FAILED}. So
   * does a key whose entry may be stale, unless deleting that entry now succeeds.
   */
  attempt<R>(
    operation: LayeredOperation,
    key: string,
    call: (store: SessionStore) => Promise<R>,
  ): Promise<R | Failed> {
    // Not async, and no stale check unless some key is stale: a hot hit, on every request,
    // chains one handler onto the store's own promise and waits on nothing else.
    if (this.#stale.size > 0) {
      return this.ready(operation, key).then((ready) =>
        ready ? this.#call(operation, key, call) : FAILED,
      );
    }
    return this.#call(operation, key, call);
  }

  #call<R>(
    operation: LayeredOperation,
    key: string,
    call: (store: SessionStore) => Promise<R>,
  ): Promise<R | Failed> {
    const failed = (error: unknown): Failed => {
      this.emit({ type: 'hot-error', operation, key, error });
      return FAILED;
    };
    try {
      return call(this.store).then(undefined, failed);
    } catch (error) {
      return Promise.resolve(failed(error));
    }
  }

  /** Whether hot may be used for `key`: it is not known to be stale, or it no longer is. */
  async ready(operation: LayeredOperation, key: string): Promise<boolean> {
    if (this.#stale.size === 0 || !this.#stale.has(key)) return true;
    try {
      await this.store.delete(key);
      this.#stale.delete(key);
      return true;
    } catch (error) {
      this.emit({ type: 'hot-error', operation, key, error });
      return false;
    }
  }

  /**
   * Deletes the hot entry, after cold changed in a way hot could not follow. If even that fails,
   * other processes may read stale data from it: that is reported, and this process stops
   * reading it until a later delete succeeds.
   */
  async invalidate(operation: LayeredOperation, key: string): Promise<void> {
    try {
      await this.store.delete(key);
      this.#stale.delete(key);
    } catch (error) {
      this.#stale.delete(key);
      if (this.#stale.size >= MAX_STALE_KEYS) {
        const oldest = this.#stale.values().next();
        if (!oldest.done) this.#stale.delete(oldest.value);
      }
      this.#stale.add(key);
      this.emit({ type: 'hot-stale', operation, key, error });
    }
  }

  /**
   * Remembers `keys` as unconfirmed after a cold change for them rejected with `error`. Their
   * hot entries keep serving reads until {@link confirm}. The oldest key beyond the bound is
   * forgotten, and reported as `hot-stale` with the failure that made it unconfirmed.
   */
  unconfirmed(operation: LayeredOperation, keys: readonly string[], error: unknown): void {
    for (const key of keys) {
      this.#unconfirmed.delete(key);
      if (this.#unconfirmed.size >= MAX_UNCONFIRMED_KEYS) {
        const oldest = this.#unconfirmed.entries().next();
        if (!oldest.done) {
          const [forgotten, { operation: failed, error: why }] = oldest.value;
          this.#unconfirmed.delete(forgotten);
          this.emit({ type: 'hot-stale', key: forgotten, operation: failed, error: why });
        }
      }
      this.#unconfirmed.set(key, { operation, error });
    }
  }

  /**
   * Cold is back: invalidates the hot entry of every unconfirmed key, so the next read warms it
   * from cold. Resolves once those invalidations, and any already under way, are done.
   */
  confirm(): Promise<void> {
    if (this.#unconfirmed.size > 0) {
      const pending = [...this.#unconfirmed];
      this.#unconfirmed.clear();
      const invalidated = Promise.all([
        this.#confirming,
        ...pending.map(([key, { operation }]) => this.invalidate(operation, key)),
      ]).then(() => {
        if (this.#confirming === invalidated) this.#confirming = undefined;
      });
      this.#confirming = invalidated;
    }
    return this.confirmed();
  }

  /**
   * Resolves once the invalidations a confirmation started are done, so that no cold call that
   * succeeds resolves while hot may still serve an entry it is invalidating.
   */
  async confirmed(): Promise<void> {
    await this.#confirming;
  }

  /** Reports an event. A handler that throws must not fail the store call that reported it. */
  emit(event: LayeredStoreEvent): void {
    try {
      this.#report(event);
    } catch {
      // The handler's own failure has nowhere better to go.
    }
  }

  /** Forgets stale and unconfirmed keys; `close()` calls it. */
  clear(): void {
    this.#stale.clear();
    this.#unconfirmed.clear();
  }
}

/**
 * The cold store, whose failures fail the operation. Each call that shows cold is back first
 * lets hot invalidate the keys left unconfirmed while cold was failing.
 */
export class ColdTier {
  readonly store: SessionStore;
  readonly #hot: HotTier;
  /** Cold calls started so far: each call's number orders it against failed ones. */
  #started = 0;
  /** How many calls had started when the last store failure came: see the module's notes. */
  #failedAfter = 0;

  constructor(store: SessionStore, hot: HotTier) {
    this.store = store;
    this.#hot = hot;
  }

  /** A call that changes nothing in cold: a read. */
  call<R>(operation: LayeredOperation, call: (store: SessionStore) => Promise<R>): Promise<R> {
    return this.change(operation, [], call, 'never');
  }

  /**
   * A call that changes the sessions at `keys`. If it fails as a store failure, it may have
   * happened all the same, so hot's entries for `keys` are invalidated as `ifUnsure` says.
   * Other ruts errors (an invalid key) are refusals before anything was sent: hot is left alone.
   */
  async change<R>(
    operation: LayeredOperation,
    keys: readonly string[],
    call: (store: SessionStore) => Promise<R>,
    ifUnsure: Invalidation = 'later',
  ): Promise<R> {
    const number = ++this.#started;
    let result: R;
    try {
      result = await call(this.store);
    } catch (error) {
      const failure = coldError(operation, error);
      if (failure instanceof StoreError) {
        this.#failedAfter = this.#started;
        if (ifUnsure === 'later') this.#hot.unconfirmed(operation, keys, failure);
        if (ifUnsure === 'now') {
          await Promise.all(keys.map((key) => this.#hot.invalidate(operation, key)));
        }
      }
      throw failure;
    }
    // Only a call that started after the last failure, and so overlapped none, shows cold is back.
    await (number > this.#failedAfter ? this.#hot.confirm() : this.#hot.confirmed());
    return result;
  }
}

/** Both tiers, as every layered operation takes them. */
export interface Tiers {
  readonly hot: HotTier;
  readonly cold: ColdTier;
}

/**
 * A cold failure as the caller sees it: a {@link StoreError} naming the cold tier, with the
 * driver's error as `cause`. Other ruts errors (an invalid key, say) are not store failures and
 * pass through unchanged.
 */
function coldError(operation: LayeredOperation, error: unknown): unknown {
  const where = `${operation} on the cold tier`;
  if (error instanceof StoreError) return new StoreError(where, error.cause ?? error);
  if (error instanceof RutsError) return error;
  return new StoreError(where, error);
}
