import { type OutgoingCookie, removalCookie, sessionCookie } from './cookie-options.ts';
import type { SessionLifetimes, VerifiedCookie } from './cookie-seal.ts';
import { ReadOnlySessionError, SessionCollisionError, StoreError } from './errors.ts';
import { fieldTtl, toStoreTtl } from './field-encoder.ts';
import { assertValidKey, flashField, isFlashField } from './field-keys.ts';
import { afterTurn } from './next-turn.ts';
import { ownerIndex } from './owned-sessions.ts';
import { ABSENT, type ReadField, SessionFields } from './session-fields.ts';
import { generateSessionId, hashSessionId, sessionFamily, sessionHandle } from './session-id.ts';
import { cookieDue, idleMsOf, resolveLifetimes, touchAfterMsOf } from './session-lifetimes.ts';
import { SessionSnapshot } from './session-snapshot.ts';
import type {
  OpenOptions,
  RegenerateOptions,
  SessionContext,
  SessionInfo,
  SessionKey,
  SetOptions,
} from './session-types.ts';
import { storeCall } from './store-call.ts';
import type { FieldWrite, SessionTtl, WriteOptions, WriteStrategy } from './store-contract.ts';

export type { OpenOptions, RegenerateOptions, SessionContext, SessionInfo, SessionKey, SetOptions };

/**
 * One request's handle on its session. Writes go to the store at once, field by field, so two
 * requests that change different fields never lose each other's work. Reads come from one
 * `getAll` per request, kept current by the request's own writes.
 *
 * The id in the cookie is never trusted on its own: it is used only once the store confirms the
 * session is live. A write that finds it unknown, expired or destroyed mints a fresh id.
 *
 * @typeParam T the session data's shape
 * @typeParam F the flash messages' shape
 */
export class Session<
  T extends object = Record<string, unknown>,
  F extends object = Record<string, unknown>,
> {
  private identity: Promise<VerifiedCookie | undefined>;
  /** Whether the store has confirmed `identity` is live during this request. */
  private live = false;
  /** The request's view of the session once read; `undefined` until read or after invalidation. */
  private loaded: SessionSnapshot | undefined;
  private loading: Promise<SessionSnapshot> | undefined;
  /** Serialises this request's store calls, so parallel calls cannot mint two ids. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly hadCookie: boolean;
  private readonly fields: SessionFields;
  private emitted = false;

  /**
   * Sessions are opened by a manager: `createSessionManager(config).open(cookie)`.
   * @internal
   */
  constructor(
    private readonly ctx: SessionContext,
    cookieValue: string | undefined,
    private readonly options: OpenOptions = {},
  ) {
    this.fields = new SessionFields(ctx.config, ctx.emit);
    this.hadCookie = Boolean(cookieValue);
    // Verified with the other requests of this turn of the event loop (see next-turn.ts).
    this.identity = cookieValue
      ? afterTurn(() => ctx.sealer.unseal(cookieValue))
      : Promise.resolve(undefined);
  }

  /** `true` once this handle has set or cleared the session cookie. */
  get cookieChanged(): boolean {
    return this.emitted;
  }

  /** `true` when writes throw, as in a Server Component. */
  get readOnly(): boolean {
    return this.options.readOnly !== undefined;
  }

  /** The value of `key`, or `undefined` when it is absent or expired. */
  async get<K extends SessionKey<T>>(key: K): Promise<T[K] | undefined> {
    assertValidKey(key);
    const snapshot = await this.load();
    return (await this.readField(snapshot, key)).value as T[K] | undefined;
  }

  /** Whether `key` holds a live value (one that reads, see the config's `onInvalid`). */
  async has(key: SessionKey<T>): Promise<boolean> {
    assertValidKey(key);
    return (await this.readField(await this.load(), key)).present;
  }

  /** Every live field, flash messages left out. */
  async getAll(): Promise<Partial<T>> {
    const snapshot = await this.load();
    const result: Record<string, unknown> = {};
    // Fields checked by async validators are awaited together, after the rest.
    let pending: Promise<void>[] | undefined;
    try {
      for (const name of snapshot.names()) {
        if (isFlashField(name)) continue;
        const read = this.readField(snapshot, name);
        if (read instanceof Promise) {
          pending ??= [];
          pending.push(read.then((settled) => assignField(result, name, settled)));
        } else {
          assignField(result, name, read);
        }
      }
    } catch (error) {
      // With onInvalid: 'throw', reads already started must not fail unhandled.
      if (pending) void Promise.allSettled(pending);
      throw error;
    }
    if (pending) await Promise.all(pending);
    return result as Partial<T>;
  }

  /** Whether the store holds a live session for this request's cookie (or a write made one). */
  async exists(): Promise<boolean> {
    await this.load();
    return this.live;
  }

  /**
   * Creation and expiry times of the session and its fields, its owner and handle, or
   * `undefined` without a session.
   */
  async info(): Promise<SessionInfo | undefined> {
    const snapshot = await this.load();
    const identity = await this.identity;
    if (!this.live || snapshot.createdAt === null || identity === undefined) return undefined;
    const fields: SessionInfo['fields'] = {};
    for (const name of snapshot.names()) {
      if (isFlashField(name)) continue;
      const expiresAt = snapshot.field(name)?.expiresAt ?? null;
      Object.defineProperty(fields, name, {
        value: { expiresAt: expiresAt === null ? null : new Date(expiresAt) },
        enumerable: true,
      });
    }
    return {
      createdAt: new Date(snapshot.createdAt),
      expiresAt: snapshot.expiresAt === null ? null : new Date(snapshot.expiresAt),
      owner: snapshot.owner,
      handle: sessionHandle(identity.key),
      fields,
    };
  }

  /**
   * The store key of this request's session once the queue has settled, for the manager's
   * `revokeSessions(owner, { except: session })`.
   * @internal
   */
  async storeKey(): Promise<string | undefined> {
    return this.enqueue(async () => (await this.identity)?.key);
  }

  /** Writes `key` (insert or replace) and its TTL, creating the session if there is none. */
  async set<K extends SessionKey<T>>(key: K, value: T[K], options: SetOptions = {}): Promise<void> {
    this.assertWritable('set');
    // Checked before queueing and awaited in the queue: an async schema cannot reorder writes.
    const prepared = this.fields.prepare(key, value, options.ttl);
    await this.enqueue(async () => {
      const entry = await prepared;
      const ttl = await this.writeLive(
        'set',
        (k, o) => this.ctx.config.store.set(k, entry, o),
        options.write,
      );
      this.record([entry], ttl);
    });
  }

  /** Writes `key` only if it holds no live value. Resolves whether it wrote. */
  async insert<K extends SessionKey<T>>(
    key: K,
    value: T[K],
    options: SetOptions = {},
  ): Promise<boolean> {
    this.assertWritable('insert');
    const prepared = this.fields.prepare(key, value, options.ttl);
    return this.enqueue(async () => {
      const entry = await prepared;
      const result = await this.writeLive(
        'insert',
        (k, o) => this.ctx.config.store.setIfAbsent(k, entry, o),
        options.write,
      );
      if (result.written) {
        this.record([entry], result);
      } else {
        // Another request holds the field; reload rather than guess its value.
        this.loaded = undefined;
      }
      return result.written;
    });
  }

  /** Removes `key`. Resolves whether it held a live value. */
  async remove(key: SessionKey<T>): Promise<boolean> {
    this.assertWritable('remove');
    assertValidKey(key);
    return this.enqueue(async () => {
      const identity = await this.identity;
      if (!identity) return false;
      const removed = await storeCall('remove', () =>
        this.ctx.config.store.remove(identity.key, key),
      );
      this.loaded?.delete(key);
      return removed;
    });
  }

  /**
   * Deletes the session from the store and clears the cookie. A later write in the same request
   * starts a new session under a new id; the old id never comes back.
   */
  async destroy(): Promise<void> {
    this.assertWritable('destroy');
    await this.enqueue(() => this.destroyNow());
  }

  /**
   * Moves the session to a new id in one atomic store step, keeping its data: the old id is
   * dead at once. Call it on login and on any change of privilege, against session fixation.
   * `set` writes fields in the same step, so no reader ever sees the new id without them;
   * `owner` binds the session to a user, for `listSessions` and `revokeSessions`; `maxAge` and
   * `idleTimeout` give it lifetimes of its own ("remember me"), which its later cookies and
   * later `regenerate()` calls keep. Without a session, one is created when `set`, `owner` or a
   * lifetime is given.
   *
   * @example await session.regenerate({ set: { userId: user.id }, owner: user.id })
   * @example await session.regenerate({ set: { userId }, maxAge: remember ? 60 * 60 * 24 * 30 : 'session' })
   */
  async regenerate(options: RegenerateOptions<T> = {}): Promise<void> {
    this.assertWritable('regenerate');
    const { owner } = options;
    if (owner !== undefined) ownerIndex(this.ctx.config.store, owner);
    const lifetimes = resolveLifetimes(options, this.ctx.config);
    const prepared: (FieldWrite | Promise<FieldWrite>)[] = [];
    for (const [key, value] of Object.entries(options.set ?? {})) {
      prepared.push(this.fields.prepare(key, value, undefined));
    }
    await this.enqueue(async () => {
      // One refused value refuses them all: nothing is renamed or written.
      const entries = await Promise.all(prepared);
      const { store, limits } = this.ctx.config;
      const current = await this.identity;
      if (current) {
        // Lifetimes given replace the session's own; none given keeps them.
        const kept = lifetimes ?? current.lifetimes;
        const idleMs = idleMsOf(kept, this.ctx.config);
        // Same family, new secret part: the rename stays within one shard of a sharded store.
        // A collision with a fresh 256-bit id means the store refused the key (an owner index
        // may retire keys), so one more fresh id is worth a try.
        for (let attempt = 1; ; attempt++) {
          const next = newIdentity(sessionFamily(current.id));
          const result = await storeCall('rename', () =>
            store.rename(current.key, next.key, { set: entries, idleMs, limits, owner }),
          );
          if (result.status === 'collision') {
            if (attempt < 2) continue;
            throw new SessionCollisionError();
          }
          if (result.status === 'missing') break;
          await this.adopt(next, kept);
          this.ctx.emit?.({ type: 'regenerated' });
          this.record(entries, result);
          if (this.loaded && owner !== undefined) this.loaded.owner = owner;
          return;
        }
        this.forgetExpired();
      }
      // Nothing to carry over: the fields, the owner or the lifetimes, if any, start a fresh
      // session (a dead session's lifetimes died with it).
      if (entries.length > 0 || owner !== undefined || lifetimes !== undefined) {
        const ttl = await this.writeLive(
          'regenerate',
          (k, o) => store.setMany(k, entries, o),
          undefined,
          owner,
          lifetimes,
        );
        this.record(entries, ttl);
        if (this.loaded) this.loaded.owner = owner ?? null;
      }
    });
  }

  /**
   * Ends the session `seconds` from now at the latest: later activity no longer extends it
   * past that point (the idle timeout still applies within it). Zero or less destroys the
   * session now. `'persistent'` lifts the idle timeout, within any deadline already set.
   *
   * @example await session.expire(60 * 60) // ends within the hour, however active
   */
  async expire(seconds: number | 'persistent'): Promise<void> {
    this.assertWritable('expire');
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds <= 0) {
      await this.enqueue(() => this.destroyNow());
      return;
    }
    const ttl = toStoreTtl(seconds) ?? 'persistent';
    await this.enqueue(async () => {
      const identity = await this.identity;
      if (!identity) return;
      const result = await storeCall('expire', () =>
        this.ctx.config.store.expire(identity.key, ttl, 'set'),
      );
      if (result === null) return this.forgetExpired();
      this.loaded?.applyTtl(result);
    });
  }

  /** Stores a message that the next {@link takeFlash} of `key` reads once and removes. */
  async flash<K extends SessionKey<F>>(
    key: K,
    value: F[K],
    options: SetOptions = {},
  ): Promise<void> {
    this.assertWritable('flash');
    const prepared = this.fields.prepare(key, value, options.ttl, flashField(key));
    await this.enqueue(async () => {
      const entry = await prepared;
      await this.writeLive(
        'flash',
        (k, o) => this.ctx.config.store.set(k, entry, o),
        options.write,
      );
    });
  }

  /**
   * Reads and removes a flash message in one atomic store step: of parallel requests exactly one
   * receives it. Allowed in Server Components, since it sets no cookie.
   */
  async takeFlash<K extends SessionKey<F>>(key: K): Promise<F[K] | undefined> {
    const field = flashField(key);
    return this.enqueue(async () => {
      const identity = await this.identity;
      if (!identity) return undefined;
      const bytes = await storeCall('takeFlash', () =>
        this.ctx.config.store.take(identity.key, field),
      );
      if (bytes === undefined) return undefined;
      return (await this.fields.read(key, bytes)).value as F[K] | undefined;
    });
  }

  // --- internals -------------------------------------------------------------------------

  private assertWritable(operation: string): void {
    if (this.options.readOnly !== undefined) {
      throw new ReadOnlySessionError(operation, this.options.readOnly);
    }
  }

  private enqueue<R>(task: () => Promise<R>): Promise<R> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The request's snapshot, read once. The read is queued behind pending writes, so it sees
   * them; tasks already in the queue use `loaded` directly and never wait on a later read.
   */
  private load(): Promise<SessionSnapshot> {
    if (this.loaded) return Promise.resolve(this.loaded);
    this.loading ??= this.enqueue(async () => {
      try {
        this.loaded = await this.fetchSnapshot();
        return this.loaded;
      } finally {
        // Cleared on failure too, so the next read retries instead of failing the request.
        this.loading = undefined;
      }
    });
    return this.loading;
  }

  private async fetchSnapshot(): Promise<SessionSnapshot> {
    const { store } = this.ctx.config;
    const identity = await this.identity;
    if (!identity) return SessionSnapshot.empty(this.ctx.now);
    const stored = await storeCall('getAll', () => store.getAll(identity.key));
    if (!stored) {
      this.forgetExpired();
      return SessionSnapshot.empty(this.ctx.now);
    }
    this.live = true;
    const snapshot = SessionSnapshot.fromStore(stored, this.ctx.now);
    const idleMs = idleMsOf(identity.lifetimes, this.ctx.config);
    const touchAfterMs = touchAfterMsOf(idleMs, this.ctx.config);
    // A renewed cookie promises the session for its Max-Age, so the session is extended with it.
    const renew = this.renewsCookies() && cookieDue(identity, touchAfterMs, this.ctx.now());
    // Sliding expiry without a write per read: extend only once the session has gone stale,
    // and never toward a deadline that no touch can move.
    const target = Math.min(idleMs, stored.maxTtlMs ?? Number.POSITIVE_INFINITY);
    if (renew || (stored.ttlMs !== null && stored.ttlMs < target - touchAfterMs)) {
      // A failed touch costs only the extension, not the read the caller asked for; the next
      // read or write extends the session again.
      const touched = await store.expire(identity.key, idleMs, 'extend').catch(() => null);
      if (touched) {
        snapshot.applyTtl(touched);
        if (renew) await this.adopt(identity, identity.lifetimes);
      }
    }
    return snapshot;
  }

  /**
   * Runs a write against the live session, or against a fresh one. The cookie's id is tried
   * with `create: false`; if the store does not know it, it is dropped, never adopted. Each
   * session is extended by its own idle timeout; `lifetimes` are those of a session it creates.
   */
  private async writeLive<R extends SessionTtl>(
    operation: string,
    write: (key: string, options: WriteOptions) => Promise<R | null>,
    strategy: WriteStrategy | undefined,
    owner?: string,
    lifetimes?: SessionLifetimes,
  ): Promise<R> {
    const { absoluteMs, limits } = this.ctx.config;
    const options = { absoluteMs, limits, write: strategy, owner };
    const current = await this.identity;
    if (current) {
      const idleMs = idleMsOf(current.lifetimes, this.ctx.config);
      const result = await storeCall(operation, () =>
        write(current.key, { ...options, idleMs, create: false }),
      );
      if (result !== null) {
        this.live = true;
        // The write extended the session (a 'hot' one does not), so a cookie due for renewal
        // can promise it again.
        const touchAfterMs = touchAfterMsOf(idleMs, this.ctx.config);
        const extended = strategy !== 'hot';
        if (extended && this.renewsCookies() && cookieDue(current, touchAfterMs, this.ctx.now())) {
          await this.adopt(current, current.lifetimes);
        }
        return result;
      }
      this.forgetExpired();
    }
    const idleMs = idleMsOf(lifetimes, this.ctx.config);
    // A fresh 256-bit key is refused only when the store has retired it (an owner index may),
    // so a second fresh key is worth a try.
    let fresh = newIdentity();
    const create = { ...options, idleMs, create: true };
    let result = await storeCall(operation, () => write(fresh.key, create));
    if (result === null) {
      fresh = newIdentity();
      result = await storeCall(operation, () => write(fresh.key, create));
    }
    if (result === null) {
      throw new StoreError(operation, new Error('the store refused to create a session'));
    }
    await this.adopt(fresh, lifetimes);
    this.ctx.emit?.({ type: 'created' });
    this.loaded = SessionSnapshot.empty(this.ctx.now);
    return result;
  }

  private async destroyNow(): Promise<void> {
    const identity = await this.identity;
    try {
      const ended =
        identity !== undefined &&
        (await storeCall('destroy', () => this.ctx.config.store.delete(identity.key)));
      if (ended) this.ctx.emit?.({ type: 'destroyed' });
    } finally {
      // Even when the store could not confirm the delete, this browser stops presenting the id.
      this.forget();
      this.loaded = SessionSnapshot.empty(this.ctx.now);
      if (this.hadCookie || this.emitted) this.emit(removalCookie(this.ctx.config.cookie));
    }
  }

  /** Drops an id the store does not know, so nothing is ever written under it. */
  private forget(): void {
    this.identity = Promise.resolve(undefined);
    this.live = false;
  }

  /** {@link forget}, for a verified id whose session the store no longer holds. */
  private forgetExpired(): void {
    this.ctx.emit?.({ type: 'expired' });
    this.forget();
  }

  /**
   * Makes a freshly created or renamed id this request's session and sends its cookie, sealing
   * the session's lifetimes with it; for a live id, renews its cookie.
   */
  private async adopt(identity: VerifiedCookie, lifetimes?: SessionLifetimes): Promise<void> {
    const { id, key } = identity;
    const sealed = await this.ctx.sealer.seal(id, lifetimes);
    const maxAge = lifetimes?.maxAge;
    this.identity = Promise.resolve(
      lifetimes === undefined
        ? { id, key }
        : {
            id,
            key,
            lifetimes,
            // The seal's own expiry, near enough to tell when the cookie is due for renewal.
            expiresAt: typeof maxAge === 'number' ? this.ctx.now() + maxAge * 1000 : undefined,
          },
    );
    this.live = true;
    this.emit(sessionCookie(this.ctx.config.cookie, sealed, maxAge));
  }

  /** Whether cookies this handle sets reach the browser, so renewing one is worth its seal. */
  private renewsCookies(): boolean {
    return this.options.onCookie !== undefined && this.options.readOnly === undefined;
  }

  /** Keeps a loaded snapshot current with this request's own writes; nothing if none is loaded. */
  private record(entries: readonly FieldWrite[], ttl: SessionTtl): void {
    if (!this.loaded) return;
    for (const entry of entries) this.loaded.write(entry.field, entry.value, fieldTtl(entry.ttlMs));
    this.loaded.applyTtl(ttl);
  }

  private emit(cookie: OutgoingCookie): void {
    this.emitted = true;
    this.options.onCookie?.(cookie);
  }

  /** The field as read, decoded and checked once per snapshot: later reads reuse it. */
  private readField(snapshot: SessionSnapshot, name: string): ReadField | Promise<ReadField> {
    const field = snapshot.field(name);
    if (!field) return ABSENT;
    field.decoded ??= this.fields.read(name, field.bytes);
    return field.decoded;
  }
}

/** Adds a field that reads to `result`. */
function assignField(result: Record<string, unknown>, name: string, read: ReadField): void {
  if (!read.present) return;
  // Assigning `__proto__` would set the prototype; only that key needs defineProperty, which
  // is several times slower than an assignment and this runs for every field of every read.
  if (name === '__proto__') {
    Object.defineProperty(result, name, {
      value: read.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    result[name] = read.value;
  }
}

function newIdentity(family?: string): VerifiedCookie {
  const id = generateSessionId(family);
  return { id, key: hashSessionId(id) };
}
