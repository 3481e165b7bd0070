/**
 * Per-session lifetimes, as a "remember me" login needs them: checking what
 * `regenerate({ maxAge, idleTimeout })` was given, and the timeouts a handle then works with.
 * The lifetimes travel sealed in the cookie (see `cookie-payload.ts`), so every request knows
 * them before its first store call.
 *
 * @packageDocumentation
 */

import { MAX_COOKIE_AGE_SECONDS } from './cookie-options.ts';
import type { SessionLifetimes } from './cookie-payload.ts';
import { InvalidLifetimeError } from './errors.ts';
import { MAX_TTL_SECONDS } from './field-encoder.ts';
import type { ResolvedSessionConfig } from './session-config.ts';

/** The lifetime options of `regenerate()`, in seconds. */
export interface LifetimeOptions {
  maxAge?: number | 'session';
  idleTimeout?: number;
}

type Timeouts = Pick<ResolvedSessionConfig, 'idleMs' | 'absoluteMs' | 'touchAfterMs'>;

/**
 * The lifetimes `options` give a session, or `undefined` when they give none, so the session
 * keeps those it has. Either option sets both: the one left out follows the config.
 *
 * @throws {InvalidLifetimeError} for a value that is not a positive number of seconds (or
 * `'session'` for `maxAge`), or an `idleTimeout` shorter than a numeric `maxAge`.
 */
export function resolveLifetimes(
  options: LifetimeOptions,
  config: Timeouts,
): SessionLifetimes | undefined {
  const { maxAge, idleTimeout } = options;
  if (maxAge === undefined && idleTimeout === undefined) return undefined;
  const lifetimes: { maxAge?: number | 'session'; idleMs?: number } = {};
  if (maxAge !== undefined) {
    if (maxAge !== 'session' && !isPositive(maxAge)) {
      throw new InvalidLifetimeError(
        'maxAge',
        maxAge,
        "maxAge must be a positive number of seconds, or 'session' for a cookie the browser " +
          'drops when it closes. For thirty days, pass 60 * 60 * 24 * 30.',
      );
    }
    // No cookie needs to outlive the absolute timeout, and browsers cut any past 400 days.
    const longest = Math.min(
      config.absoluteMs ?? Number.POSITIVE_INFINITY,
      MAX_COOKIE_AGE_SECONDS * 1000,
    );
    lifetimes.maxAge =
      maxAge === 'session' ? maxAge : Math.min(Math.ceil(maxAge), Math.ceil(longest / 1000));
  }
  if (idleTimeout !== undefined) {
    if (!isPositive(idleTimeout) || idleTimeout > MAX_TTL_SECONDS) {
      throw new InvalidLifetimeError(
        'idleTimeout',
        idleTimeout,
        'idleTimeout must be a positive number of seconds, at most 100 years. Leave it out to ' +
          "use the config's idleTimeout.",
      );
    }
    lifetimes.idleMs = Math.max(1, Math.round(idleTimeout * 1000));
    if (typeof lifetimes.maxAge === 'number' && lifetimes.idleMs < lifetimes.maxAge * 1000) {
      throw new InvalidLifetimeError(
        'idleTimeout',
        idleTimeout,
        `it is shorter than maxAge (${lifetimes.maxAge} s), so the session would end while its ` +
          'cookie still says it lives. Leave idleTimeout out (the session then lives as long as ' +
          `its cookie), or pass maxAge: ${idleTimeout}.`,
      );
    }
  }
  return lifetimes;
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * The idle timeout, in ms, that keeps a session with `lifetimes` alive: its own or the config's,
 * and never less than its cookie's `maxAge`, so the session lives as long as its cookie says.
 */
export function idleMsOf(lifetimes: SessionLifetimes | undefined, config: Timeouts): number {
  const idleMs = lifetimes?.idleMs ?? config.idleMs;
  const maxAge = lifetimes?.maxAge;
  return typeof maxAge === 'number' ? Math.max(idleMs, maxAge * 1000) : idleMs;
}

/**
 * How stale a session of idle timeout `idleMs` may become before a read extends it. The
 * config's, cut to a tenth of the timeout when the session's own is shorter than the config's,
 * or reads would never extend it.
 */
export function touchAfterMsOf(idleMs: number, config: Timeouts): number {
  return idleMs < config.idleMs ? Math.min(config.touchAfterMs, idleMs / 10) : config.touchAfterMs;
}

/**
 * Whether the cookie of a session with a numeric `maxAge` is due to be issued again: it is
 * more than `touchAfterMs` old. Such a cookie is renewed as the session is used, so an active
 * session keeps it; other cookies are issued once and cover the session's whole life.
 */
export function cookieDue(
  cookie: { lifetimes?: SessionLifetimes; expiresAt?: number },
  touchAfterMs: number,
  now: number,
): boolean {
  const maxAge = cookie.lifetimes?.maxAge;
  if (typeof maxAge !== 'number' || cookie.expiresAt === undefined) return false;
  return cookie.expiresAt - now < maxAge * 1000 - touchAfterMs;
}
