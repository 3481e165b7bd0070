import { CookieSealer, type VerifiedCookie } from './cookie-seal.ts';
import { afterTurn } from './next-turn.ts';
import { type OwnedSessions, ownedSessions } from './owned-sessions.ts';
import { reportingSealer } from './seal-rejection.ts';
import { type OpenOptions, Session, type SessionContext } from './session.ts';
import {
  type ResolvedSessionConfig,
  resolveSessionConfig,
  type SessionConfig,
} from './session-config.ts';
import { eventEmitter } from './session-events.ts';
import { reportingStore } from './store-reporting.ts';

/**
 * The framework-free entry point: validates a config once and opens a {@link Session} per
 * request from that request's cookie, and lists and revokes an owner's sessions (see
 * {@link OwnedSessions}). The Next.js helpers are a thin layer over this.
 */
export interface SessionManager<
  T extends object = Record<string, unknown>,
  F extends object = Record<string, unknown>,
> extends OwnedSessions<T> {
  /** The config with defaults applied; `config.cookie.name` is the cookie to read. */
  readonly config: ResolvedSessionConfig;
  /**
   * Opens the session carried by `cookieValue` (the raw cookie value, or `undefined`). Nothing
   * is read until the handle is used; a cookie that fails verification is no session.
   */
  open(cookieValue: string | undefined, options?: OpenOptions): Session<T, F>;
  /** Verifies a cookie value without touching the store: the id it seals, or `undefined`. */
  verify(cookieValue: string | undefined): Promise<VerifiedCookie | undefined>;
}

/**
 * Creates a {@link SessionManager}. Throws `ConfigError` at once for a weak secret or a cookie
 * setup browsers would refuse, rather than on the first request. Without a type argument, the
 * session type is inferred from `config.schema`.
 *
 * @example
 * const sessions = createSessionManager<AppSession>({ secret, store: new MemoryStore() });
 * const session = sessions.open(cookieValue, { onCookie: (c) => response.setCookie(c) });
 * await session.set('cart', []);
 */
export function createSessionManager<
  T extends object = Record<string, unknown>,
  F extends object = Record<string, unknown>,
>(config: SessionConfig<T>): SessionManager<T, F> {
  const resolved = resolveSessionConfig(config);
  const sealer = new CookieSealer({
    secret: config.secret,
    ttlSeconds: resolved.cookie.sealTtlSeconds,
    cacheSize: config.sealCacheSize,
  });
  const emit = eventEmitter(resolved.onEvent);
  // Only a manager with `onEvent` puts reporting between the handle and its store and sealer.
  const working =
    emit === undefined ? resolved : { ...resolved, store: reportingStore(resolved.store, emit) };
  const context: SessionContext = {
    config: working,
    sealer: emit === undefined ? sealer : reportingSealer(sealer, config.secret, emit),
    now: Date.now,
    emit,
  };
  return {
    ...ownedSessions<T>(working, emit),
    config: resolved,
    open: (cookieValue, options) => new Session<T, F>(context, cookieValue, options),
    verify: (cookieValue) => afterTurn(() => sealer.unseal(cookieValue)),
  };
}
