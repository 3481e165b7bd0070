/**
 * An optional capability: a store that can keep copies of another store's sessions, such as the
 * hot tier of a `LayeredStore`. A copy is trusted for a lease and holds no field past its own
 * expiry. Every change to a key's cached state installs a new `token` (a string the caller
 * picks and never uses twice), and changes that must not act on a state they did not see are conditional on
 * the token they saw, so a change that lost a race drops the copy instead of overwriting a newer
 * one. Beside the copy, a key may hold local fields: data kept in the cache alone.
 *
 * `RedisStore` and `MemoryStore` implement it; `test/stores/session-cache.test.ts` holds every
 * implementation to it.
 *
 * @packageDocumentation
 */

import type {
  FieldWrite,
  InsertResult,
  SessionLimits,
  StoredField,
  StoredSession,
} from './store-contract.ts';

/** A key's cached state as read. */
export interface CachedSession {
  /** The key's current token; `''` when the cache holds nothing for the key, and never forgot one. */
  readonly token: string;
  /** The copy, when the cache holds one within its lease. */
  readonly copy: StoredSession | undefined;
  /** The key's live local fields (whether or not it holds a copy). */
  readonly local: ReadonlyMap<string, StoredField>;
}

/** A change made to the source, to apply to the copy. */
export interface CopyChange {
  /** Fields written. */
  readonly set?: readonly FieldWrite[];
  /** Fields removed. */
  readonly remove?: readonly string[];
  /** The session's remaining life after the change, as the source reported it. */
  readonly ttlMs?: number | null;
}

/** The token condition and lifetimes of a change to a key's cached state. */
export interface CacheStep {
  /**
   * The token the caller saw. A fill or an update acts only if the key's token still equals
   * it; `''` matches a key the cache holds nothing for.
   */
  readonly expected: string;
  /** The token the step installs: an update's whether it acted or not, a fill's if it did. */
  readonly next: string;
  /**
   * How long the key's token is kept at least, and, for a fill, how long the copy is trusted:
   * the lease.
   */
  readonly leaseMs: number;
}

/** What {@link SessionCache.updateCopy} did. */
export interface CopyUpdate {
  /** `true` when the change was applied to the copy; `false` when the copy was dropped. */
  readonly applied: boolean;
  /** The values of local fields that {@link CopyChange.remove} removed. */
  readonly removed: ReadonlyMap<string, Uint8Array>;
}

/** What a store needs to cache sessions. Every method is atomic on its own. */
export interface SessionCache {
  /** The key's token, live copy and local fields. */
  readCopy(key: string): Promise<CachedSession>;

  /**
   * Stores `copy` as the key's copy for at most `step.leaseMs` (less when a field or the session
   * ends sooner), if the key's token is `step.expected`. Local fields are kept. Resolves whether
   * it stored the copy.
   */
  fillCopy(key: string, copy: StoredSession, step: CacheStep): Promise<boolean>;

  /**
   * Applies `change` to the copy if the key's token is `step.expected`, and drops the copy
   * otherwise. Local fields named by the change are removed either way: a field written or
   * removed in the source is no longer local. Never extends the copy's lease.
   */
  updateCopy(key: string, change: CopyChange, step: CacheStep): Promise<CopyUpdate>;

  /**
   * Writes local fields, only while the key holds a copy (so only for a session the source
   * holds), to live as long as the copy's session (a day at most). With `ifAbsent`, writes the
   * one entry only if the field is neither local nor in the copy. With `limits`, refuses with
   * `SessionTooLargeError` fields that would take the session as read (the copy with the local
   * fields over it) past one. Resolves `null` without a copy, else whether it wrote and the
   * session's remaining life as the copy knows it.
   */
  writeLocal(
    key: string,
    entries: readonly FieldWrite[],
    ifAbsent: boolean,
    limits?: SessionLimits,
  ): Promise<InsertResult | null>;

  /**
   * Drops the key's copy and local fields and installs `next`, kept for `leaseMs`. With
   * `moveTo`, the local fields move to that key (of the same family), replacing its own.
   */
  evict(key: string, next: string, leaseMs: number, moveTo?: string): Promise<void>;
}

/** Whether `store` offers {@link SessionCache}. */
export function canCache(store: unknown): store is SessionCache {
  const methods = ['readCopy', 'fillCopy', 'updateCopy', 'writeLocal', 'evict'] as const;
  return methods.every(
    (method) => typeof (store as Partial<Record<string, unknown>> | null)?.[method] === 'function',
  );
}
