/**
 * The two tiers as the layered store calls them. A hot call that rejects is reported and stands
 * aside, so the caller falls back to cold; a cold call that rejects fails the operation with a
 * {@link StoreError} that names the cold tier.
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

/** The hot store, with failure reporting and the hot TTL every hot write uses. */
export class HotTier {
  readonly store: SessionStore;
  /** The hot TTL in milliseconds. */
  readonly ttlMs: number;
  readonly #report: LayeredEventHandler;
  /** Keys whose hot entry may be stale: cold changed and hot could be neither updated nor deleted. */
  readonly #stale = new Set<string>();

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
  async attempt<R>(
    operation: LayeredOperation,
    key: string,
    call: (store: SessionStore) => Promise<R>,
  ): Promise<R | Failed> {
    if (!(await this.ready(operation, key))) return FAILED;
    try {
      return await call(this.store);
    } catch (error) {
      this.emit({ type: 'hot-error', operation, key, error });
      return FAILED;
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

  /** Reports an event. A handler that throws must not fail the store call that reported it. */
  emit(event: LayeredStoreEvent): void {
    try {
      this.#report(event);
    } catch {
      // The handler's own failure has nowhere better to go.
    }
  }

  /** Forgets stale keys; `close()` calls it. */
  clear(): void {
    this.#stale.clear();
  }
}

/** The cold store, whose failures fail the operation. */
export class ColdTier {
  readonly store: SessionStore;

  constructor(store: SessionStore) {
    this.store = store;
  }

  async call<R>(
    operation: LayeredOperation,
    call: (store: SessionStore) => Promise<R>,
  ): Promise<R> {
    try {
      return await call(this.store);
    } catch (error) {
      throw coldError(operation, error);
    }
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
