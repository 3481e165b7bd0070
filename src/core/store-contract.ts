/**
 * The store contract: the whole of what a session store must do.
 *
 * A store keeps sessions field by field. It never sees a raw session id: every `key` below is
 * `<family>.<hash>`, the SHA-256 of the id (base64url) behind the id's 8-character family, so a
 * leaked dump yields no usable cookie. The family survives `regenerate()`: both keys of a
 * {@link SessionStore.rename} share it, so a sharded store can place keys by family (a Redis
 * Cluster hash tag) and keep renames atomic within one shard. Values are opaque bytes; the
 * session handle encodes and decodes them with the field's codec.
 *
 * ## Time
 * All durations are milliseconds, relative to the store's own clock (Redis `TIME`, Postgres
 * `now()`, `Date.now()` in memory), so app servers with skewed clocks agree with each other.
 *
 * ## The TTL model every store implements
 * - A session has an expiry (`ttlMs`, or `null` when persistent) and optionally a hard
 *   deadline: `absoluteMs` after creation, lowered by {@link SessionStore.expire} in `'set'`
 *   mode. Nothing outlives the deadline; nothing moves it later.
 * - Each write extends the session's expiry to at least `now + idleMs` (within the deadline).
 *   Expiry never shrinks, except through `expire` in `'set'` mode.
 * - A field either lives as long as its session (`ttlMs` undefined), or has its own TTL. A field
 *   TTL longer than the session's extends the session to match; `'persistent'` makes the session
 *   persistent. So a session lives at least as long as its longest-lived field.
 * - Writing a field replaces its value and its TTL.
 * - Expired fields and sessions are never returned, whether or not they have been purged yet.
 * - Writes with `create: false` to a missing or expired session change nothing and resolve
 *   `null`. That is how the handle refuses to adopt unknown ids and to resurrect destroyed ones.
 *
 * A store passes `test/conformance/store-conformance.ts` or it isn't done.
 *
 * @packageDocumentation
 */

/**
 * Which tier a write must reach, for a store that keeps sessions in more than one: `'through'`
 * all of them, `'cold'` the durable one, `'hot'` the fast one alone. A store of one tier honours
 * every strategy by writing, since its one tier is both.
 */
export type WriteStrategy = 'through' | 'hot' | 'cold';

/** A field's own lifetime: milliseconds, or `'persistent'` for no expiry. */
export type FieldTtl = number | 'persistent';

/** One field to write. */
export interface FieldWrite {
  /** The field's name, usually a session key. Stores treat it as opaque text. */
  readonly field: string;
  /** The encoded value. */
  readonly value: Uint8Array;
  /**
   * The field's own TTL: a positive number of ms, or `'persistent'`. Leave it undefined for a
   * field that lives as long as its session.
   */
  readonly ttlMs?: FieldTtl;
}

/**
 * Bounds on one session, counted over its live fields: a field counts its name (UTF-8 bytes) and
 * its encoded value. The store checks them in the same atomic step as the write, so racing
 * writes cannot pass them between them, and refuses a write that would take a count above its
 * limit with `SessionTooLargeError`, writing nothing of it. A write that does not grow a count
 * (replacing a field with one of the same size or smaller) is never refused.
 */
export interface SessionLimits {
  /** Most live fields a session may hold. */
  readonly maxFields: number;
  /** Most bytes its live fields may take, names and encoded values together. */
  readonly maxSessionBytes: number;
}

/** Options every write carries. */
export interface WriteOptions {
  /** Create the session if it does not exist. With `false`, a missing session resolves `null`. */
  readonly create: boolean;
  /** The idle timeout: the write extends the session's expiry to at least `now + idleMs`. */
  readonly idleMs: number;
  /** Absolute lifetime from creation. Only read when this write creates the session. */
  readonly absoluteMs?: number;
  /** Which tier the write must reach. @default 'through' */
  readonly write?: WriteStrategy;
  /** The session's bounds; without them the store writes whatever it is given. */
  readonly limits?: SessionLimits;
  /**
   * The owner to bind the session to when this write creates it (see
   * {@link OwnedSessionStore}); ignored when the session exists. Only given to stores that
   * index owners.
   */
  readonly owner?: string;
}

/** A session's remaining life after an operation, as the handle needs it for the cookie. */
export interface SessionTtl {
  /** Remaining milliseconds, or `null` for a persistent session. */
  readonly ttlMs: number | null;
}

/** A stored field as read back. */
export interface StoredField {
  /** The encoded value. */
  readonly value: Uint8Array;
  /** The field's own remaining TTL in ms, or `null` when it lives as long as its session. */
  readonly ttlMs: number | null;
}

/** A whole live session as read back. */
export interface StoredSession extends SessionTtl {
  /** Remaining ms until the session's hard deadline, or `null` when it has none. */
  readonly maxTtlMs: number | null;
  /** Live fields only. A Map, so keys such as `__proto__` are plain data. */
  readonly fields: Map<string, StoredField>;
  /** Creation time, epoch milliseconds on the store's clock. */
  readonly createdAt: number;
  /** The owner the session is bound to; absent when it has none. */
  readonly owner?: string;
}

/** What a conditional write reports. */
export interface InsertResult extends SessionTtl {
  /** `true` when the field was absent (or expired) and has been written. */
  readonly written: boolean;
}

/** Options of an atomic rename. */
export interface RenameOptions {
  /** Fields written in the same atomic step, so no reader sees the new id without them. */
  readonly set?: readonly FieldWrite[];
  /** The idle timeout: the rename extends the session's expiry to at least `now + idleMs`. */
  readonly idleMs: number;
  /** The session's bounds, checked against the session with `set` applied. */
  readonly limits?: SessionLimits;
  /**
   * Binds the session to this owner under its new key, in the same atomic step as the move
   * (see {@link OwnedSessionStore}). Without it the session keeps the owner it had.
   */
  readonly owner?: string;
}

/** Outcome of a rename. A collision changes nothing: renames never merge. */
export type RenameResult =
  | ({
      /** The session now lives under the new key, with the remaining life in `ttlMs`. */
      readonly status: 'renamed';
    } & SessionTtl)
  | {
      /** The old key holds no live session; nothing changed. */
      readonly status: 'missing';
    }
  | {
      /** The new key already holds a live session; nothing changed. */
      readonly status: 'collision';
    };

/**
 * How {@link SessionStore.expire} applies a TTL.
 *
 * - `'set'` ends the session `ttlMs` from now at the latest: it replaces the expiry and lowers
 *   the hard deadline to it, so later activity cannot extend the session past it. A TTL of zero
 *   or less deletes the session. `'persistent'` clears the expiry but keeps any deadline.
 * - `'extend'` only ever lengthens the expiry, within the deadline: it is how reads keep an
 *   active session alive. `'persistent'` clears the expiry here too (still within the deadline).
 */
export type ExpireMode = 'set' | 'extend';

/**
 * The contract between the session handle and a storage backend. Every method is atomic on its
 * own; every method resolves or rejects, never both writes part of its work.
 */
export interface SessionStore {
  /** The live session with its live fields, or `undefined` when missing or expired. */
  getAll(key: string): Promise<StoredSession | undefined>;

  /** Upserts one field. Resolves `null` when the session is missing and `create` is false. */
  set(key: string, entry: FieldWrite, options: WriteOptions): Promise<SessionTtl | null>;

  /** Writes the field only if it is absent or expired. `null` as for {@link set}. */
  setIfAbsent(key: string, entry: FieldWrite, options: WriteOptions): Promise<InsertResult | null>;

  /**
   * Upserts several fields in one atomic step. With none it only creates the session (when
   * `create` is true) or extends it, as any write does. `null` as for {@link set}.
   */
  setMany(
    key: string,
    entries: readonly FieldWrite[],
    options: WriteOptions,
  ): Promise<SessionTtl | null>;

  /** Removes one field. Resolves whether a live field was removed. */
  remove(key: string, field: string): Promise<boolean>;

  /**
   * Reads and removes one field in one atomic step, so of many concurrent takers exactly one
   * receives the value. Used for flash messages.
   */
  take(key: string, field: string): Promise<Uint8Array | undefined>;

  /** Deletes the whole session. Resolves whether a live session was deleted. */
  delete(key: string): Promise<boolean>;

  /**
   * Moves a live session, with its fields, creation time and deadline, from `from` to `to` in
   * one atomic step, optionally writing fields as part of it. The old key is dead at once.
   * Fails with `collision` (changing nothing) when `to` holds a live session.
   */
  rename(from: string, to: string, options: RenameOptions): Promise<RenameResult>;

  /**
   * Sets or extends the session's expiry (see {@link ExpireMode}). Resolves `null` when the
   * session is missing, and `{ ttlMs: 0 }` when a `'set'` of zero or less deleted it.
   */
  expire(key: string, ttlMs: FieldTtl, mode: ExpireMode): Promise<SessionTtl | null>;

  /** Releases what the store itself opened (connections, timers). Never closes a user's client. */
  close?(): Promise<void>;
}

/** Optional capability: stores that can purge expired data in bulk implement it. */
export interface SweepableStore {
  /** Deletes expired sessions and fields. Resolves how many sessions were removed. */
  sweep(): Promise<number>;
}

/** Whether a store offers {@link SweepableStore}. */
export function canSweep(store: SessionStore): store is SessionStore & SweepableStore {
  return typeof (store as Partial<SweepableStore>).sweep === 'function';
}

/** One live session of an owner, as {@link OwnedSessionStore.listOwned} reports it. */
export interface OwnedStoredSession {
  /** The session's store key. */
  readonly key: string;
  /** Creation time, epoch milliseconds on the store's clock. */
  readonly createdAt: number;
  /** Remaining milliseconds, or `null` for a persistent session. */
  readonly ttlMs: number | null;
  /**
   * When the store last saw a write or an extension of the session, epoch milliseconds on its
   * clock; `null` when it does not know.
   */
  readonly lastActiveAt: number | null;
  /** The live fields among those asked for. */
  readonly fields: Map<string, StoredField>;
}

/**
 * Optional capability: stores that index sessions by owner, for "sign out everywhere",
 * implement it. A session is bound to an owner when a write creates it with
 * {@link WriteOptions.owner} or a rename gives it {@link RenameOptions.owner}; it keeps the
 * owner through later renames and leaves the index when it is deleted or expires.
 *
 * - The index never hides a live session: {@link listOwned} resolves exactly the sessions bound
 *   to the owner and live while it ran.
 * - {@link deleteOwned} ends every session bound to the owner when it was called, including one
 *   renamed while it runs; a session bound while it runs is either deleted or listed afterwards.
 * - Both cost in proportion to the owner's sessions, never to all sessions.
 */
export interface OwnedSessionStore {
  /** The owner's live sessions, each with the live fields among `fields`. */
  listOwned(owner: string, fields: readonly string[]): Promise<OwnedStoredSession[]>;
  /** Deletes every session bound to `owner` except the one at `except`; resolves their keys. */
  deleteOwned(owner: string, except?: string): Promise<string[]>;
}

/** Whether a store offers {@link OwnedSessionStore}. */
export function canIndexOwners(store: SessionStore): store is SessionStore & OwnedSessionStore {
  const owned = store as Partial<OwnedSessionStore>;
  return typeof owned.listOwned === 'function' && typeof owned.deleteOwned === 'function';
}

/** What a store reports of a failure it worked around instead of throwing. */
export interface StoreEvent {
  /** `'hot-error'`: a tier of the store failed or timed out, and the call went on without it. */
  readonly type: 'hot-error';
  /** The store method during which it happened. */
  readonly operation: string;
  /** The session key concerned (a hash, never a session id). */
  readonly key: string;
  /** What the failing tier rejected with. */
  readonly error: unknown;
}

/**
 * Optional capability: a store that reports {@link StoreEvent}s to whoever subscribes, as
 * `LayeredStore` does. A manager whose config has `onEvent` subscribes once for its life.
 */
export interface ObservableStore {
  /** Calls `listener` with each event from now on; the function returned stops it. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

/** Whether a store offers {@link ObservableStore}. */
export function canObserve(store: SessionStore): store is SessionStore & ObservableStore {
  return typeof (store as Partial<ObservableStore>).subscribe === 'function';
}
