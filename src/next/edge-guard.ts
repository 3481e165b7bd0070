/**
 * A guard for `middleware.ts` on the edge runtime, where no store client runs. It checks the
 * cookie's seal with Web Crypto and nothing else.
 *
 * This file and everything it imports must stay free of `next/headers`, msgpackr, the codecs,
 * the session handle and the stores: the edge runtime rejects code that evaluates strings, and
 * msgpackr contains `new Function`. `test/next/edge-import-graph.test.ts` enforces it.
 *
 * @packageDocumentation
 */

import { type CookieOptions, resolveCookieOptions } from '../core/cookie-options.ts';
import { CookieVerifier, type SecretInput } from '../core/cookie-seal.ts';
import { ConfigError } from '../core/errors.ts';
import { createGuard, type Guard, type GuardOptions } from './guard-response.ts';
import { readRequestCookie } from './request-cookie.ts';

/**
 * Options of {@link createEdgeGuard}. `secret`, `cookie` and `absoluteTimeout` must match the
 * config given to `createSessions`, or the guard will look for another cookie or reject every
 * seal.
 */
export interface EdgeGuardOptions extends GuardOptions {
  /** The same secret (or rotation map) as the session config. */
  secret: SecretInput;
  /** The same cookie options as the session config. */
  cookie?: CookieOptions;
  /** The same absolute timeout as the session config, in seconds; it bounds the seal's life. */
  absoluteTimeout?: number;
  /**
   * How many verified cookies to remember so that repeat requests skip the crypto.
   * @default the sealer's default
   */
  sealCacheSize?: number;
}

/** The edge guard: call it as the middleware, or use its check on its own. */
export interface EdgeGuard extends Guard {
  /**
   * Whether the request carries a session cookie with a valid, unexpired seal. It does not
   * consult the store, so `true` does not mean the session still exists.
   */
  verifySessionCookie(request: Request): Promise<boolean>;
}

/**
 * Creates a guard for `middleware.ts` on the edge runtime. Requests whose session cookie is
 * missing or fails verification are redirected to `redirectTo` (or continue, without it); a
 * tampered or expired cookie is cleared.
 *
 * It cannot know whether a session was destroyed server-side (logout on another device, an
 * expired store entry): a correctly sealed cookie passes until its seal expires. Use it to keep
 * anonymous visitors off protected paths cheaply; the full check is `sessions.guard()` in a
 * Node `proxy.ts`, or `getSession()` in the page itself.
 *
 * @example
 * // middleware.ts
 * import { createEdgeGuard } from 'ruts/next/edge';
 * export const middleware = createEdgeGuard({ secret: process.env.SESSION_SECRET!, redirectTo: '/login' });
 * export const config = { matcher: ['/account/:path*'] };
 */
export function createEdgeGuard(options: EdgeGuardOptions): EdgeGuard {
  const { absoluteTimeout } = options;
  if (
    absoluteTimeout !== undefined &&
    (typeof absoluteTimeout !== 'number' ||
      !Number.isFinite(absoluteTimeout) ||
      absoluteTimeout <= 0)
  ) {
    throw new ConfigError(
      `absoluteTimeout must be a positive number of seconds (got ${String(absoluteTimeout)}).`,
    );
  }
  const cookie = resolveCookieOptions(options.cookie, absoluteTimeout);
  const sealer = new CookieVerifier({
    secret: options.secret,
    ttlSeconds: cookie.sealTtlSeconds,
    ...(options.sealCacheSize === undefined ? {} : { cacheSize: options.sealCacheSize }),
  });
  const isSealed = async (value: string) => (await sealer.unseal(value)) !== undefined;
  const guard = createGuard(cookie, options, isSealed);
  return Object.assign(guard, {
    verifySessionCookie: async (request: Request) => {
      const value = readRequestCookie(request, cookie.name);
      return value !== undefined && isSealed(value);
    },
  });
}
