import type { OutgoingCookie } from './cookie-options.ts';
import type { CookieSealer } from './cookie-seal.ts';
import type { ResolvedSessionConfig } from './session-config.ts';
import type { EmitEvent } from './session-events.ts';
import type { WriteStrategy } from './store-contract.ts';

/** String keys of the session data type. */
export type SessionKey<T> = Extract<keyof T, string>;

/** Options of a field write. */
export interface SetOptions {
  /**
   * The field's own lifetime in seconds, or `'persistent'`. Without it the field lives as long
   * as the session. A longer TTL than the session's keeps the session alive that long.
   */
  ttl?: number | 'persistent';
  /**
   * Which tier the write must reach, for a store of several (a `LayeredStore`): `'through'`
   * (all), `'cold'` (the durable one) or `'hot'` (the fast one alone, for ephemeral data). A
   * store of one tier writes it in every case.
   * @default 'through'
   */
  write?: WriteStrategy;
}

/** What `Session.info` reports about the session, for account and debug pages. */
export interface SessionInfo {
  /** When the session was created. `regenerate()` keeps it. */
  createdAt: Date;
  /** When the session expires unless activity extends it; `null` for a persistent session. */
  expiresAt: Date | null;
  /** The owner `regenerate({ owner })` bound the session to, or `null`. */
  owner: string | null;
  /**
   * The session's handle, as `listSessions` reports it: compare the two to mark "this device".
   * It changes with the id on `regenerate()`.
   */
  handle: string;
  /**
   * Each live field's own expiry, by key (flash messages excepted); `null` when the field lives
   * as long as the session.
   */
  fields: Record<
    string,
    {
      /** The field's own expiry, or `null` when it lives as long as the session. */
      expiresAt: Date | null;
    }
  >;
}

/** Options of `Session.regenerate`. */
export interface RegenerateOptions<T> {
  /** Fields written in the same atomic step as the move to the new id. */
  set?: Partial<T>;
  /**
   * Binds the session to this owner (1 to 256 characters, typically the user's id) in the same
   * atomic step, so `listSessions(owner)` lists it and `revokeSessions(owner)` can end it.
   * Without it the session keeps the owner it has. The store must index owners (every store
   * ruts ships does).
   */
  owner?: string;
  /**
   * This session's cookie lifetime in seconds ("remember me"), or `'session'` for a cookie the
   * browser drops when it closes. A number is renewed as the session is used, so it counts from
   * the last visit, and the session lives at least as long (its idle timeout is raised to it).
   * Capped at `absoluteTimeout` and 400 days. Giving `maxAge` or `idleTimeout` sets both (the
   * other follows the config); giving neither keeps the session's. `InvalidLifetimeError` for a
   * value that cannot work.
   * @example await session.regenerate({ set: { userId }, maxAge: remember ? 60 * 60 * 24 * 30 : 'session' })
   */
  maxAge?: number | 'session';
  /**
   * This session's idle timeout in seconds, in place of the config's; not less than a numeric
   * `maxAge`. It never shortens the expiry the session already has.
   */
  idleTimeout?: number;
}

/** What the handle needs from the manager that opened it. */
export interface SessionContext {
  readonly config: ResolvedSessionConfig;
  /** The manager's sealer, or, with `onEvent`, one that reports the cookies it refuses. */
  readonly sealer: Pick<CookieSealer, 'seal' | 'unseal'>;
  readonly now: () => number;
  /** Reports lifecycle events; `undefined` without `onEvent`. */
  readonly emit?: EmitEvent;
}

/** Options of `SessionManager.open`. */
export interface OpenOptions {
  /** Receives each cookie the session decides on during the request; the last one wins. */
  onCookie?: (cookie: OutgoingCookie) => void;
  /** When set, every write throws `ReadOnlySessionError` naming this context. */
  readOnly?: string;
}
