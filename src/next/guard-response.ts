/**
 * What both guards do once they know whether a request's session is live: continue, redirect,
 * or clear a dead cookie. The proxy guard and the edge guard differ only in how they decide
 * "live", so each passes that decision in as a function.
 *
 * Edge-safe: imports only `next/server` and edge-safe parts of the core.
 *
 * @packageDocumentation
 */

import { type NextRequest, NextResponse } from 'next/server.js';
import { type OutgoingCookie, type ResolvedCookie, removalCookie } from '../core/cookie-options.ts';
import { ConfigError } from '../core/errors.ts';
import { nextCookieOptions } from './next-cookie-jar.ts';
import { cookieFromHeader, withoutCookie } from './request-cookie.ts';

/** Options shared by the proxy guard and the edge guard. */
export interface GuardOptions {
  /**
   * Where requests without a live session are sent, such as `'/login'`: a path on this site or
   * an absolute http(s) URL. The original path and query travel along in `returnToParam`.
   * Requests to this path itself always continue, so a broad matcher cannot loop.
   * Without it, every request continues and pages decide for themselves.
   * @default undefined (continue)
   * @example '/login'
   */
  redirectTo?: string;
  /**
   * The query parameter that carries the original path and query to the `redirectTo` page,
   * so that it can send the user back after signing in. It always starts with a single `/`,
   * but it comes from the request: check it is a path on your site before redirecting to it.
   * @default 'next'
   */
  returnToParam?: string;
}

/** A guard as `proxy.ts` or `middleware.ts` exports it. */
export type Guard = (request: NextRequest) => Promise<NextResponse>;

/**
 * The value of `Cache-Control` on every response that depends on the session cookie. A shared
 * cache that stored a response setting a session cookie would hand that session to strangers.
 */
export const PRIVATE_NO_STORE = 'private, no-store';

interface ResolvedGuardOptions {
  redirectTo: string | undefined;
  returnToParam: string;
}

const ABSOLUTE_URL = /^https?:\/\//i;

function resolveGuardOptions(options: GuardOptions): ResolvedGuardOptions {
  const { redirectTo, returnToParam = 'next' } = options;
  if (
    redirectTo !== undefined &&
    !ABSOLUTE_URL.test(redirectTo) &&
    !(redirectTo.startsWith('/') && !redirectTo.startsWith('//'))
  ) {
    throw new ConfigError(
      `guard redirectTo must be a path starting with "/" or an http(s) URL (got ${JSON.stringify(redirectTo)}).`,
    );
  }
  if (returnToParam === '') {
    throw new ConfigError('guard returnToParam must not be empty.');
  }
  return { redirectTo, returnToParam };
}

/**
 * Marks a response as private to the browser. Headers of some responses (`Response.redirect`,
 * a proxied `fetch`) are immutable; those are copied into a new response.
 */
export function withPrivateCaching<R extends Response>(response: R): R | Response {
  try {
    response.headers.set('Cache-Control', PRIVATE_NO_STORE);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set('Cache-Control', PRIVATE_NO_STORE);
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  }
}

function redirectTarget(request: NextRequest, redirectTo: string, returnToParam: string): URL {
  // One leading slash only: a path such as `//evil.example` would read as another origin to
  // a sign-in page that redirects back to it without checking.
  const returnTo = request.nextUrl.pathname.replace(/^\/+/, '/') + request.nextUrl.search;
  let target: URL;
  if (ABSOLUTE_URL.test(redirectTo)) {
    target = new URL(redirectTo);
  } else {
    // Cloning nextUrl keeps Next's basePath and locale handling for the target path.
    const parsed = new URL(redirectTo, 'http://placeholder');
    const next = request.nextUrl.clone();
    next.pathname = parsed.pathname;
    next.search = parsed.search;
    target = new URL(next.href);
  }
  target.searchParams.set(returnToParam, returnTo);
  return target;
}

function isRedirectTarget(request: NextRequest, redirectTo: string): boolean {
  if (ABSOLUTE_URL.test(redirectTo)) {
    const target = new URL(redirectTo);
    return target.origin === request.nextUrl.origin && target.pathname === request.nextUrl.pathname;
  }
  return new URL(redirectTo, 'http://placeholder').pathname === request.nextUrl.pathname;
}

/**
 * Builds a guard from a liveness check. With no cookie the check is skipped; a cookie that
 * fails it is cleared on the response and stripped from the request the render receives, so
 * the page sees what the browser will see.
 *
 * @param isLive resolves whether a (non-empty) cookie value belongs to a live session; it may
 * hand `renew` a renewed cookie for a live one, which the response then sets
 */
export function createGuard(
  cookie: ResolvedCookie,
  options: GuardOptions,
  isLive: (cookieValue: string, renew: (renewed: OutgoingCookie) => void) => Promise<boolean>,
): Guard {
  const resolved = resolveGuardOptions(options);
  return async (request) => {
    const value = cookieFromHeader(request.headers.get('cookie'), cookie.name);
    let renewed: OutgoingCookie | undefined;
    const renew = (next: OutgoingCookie) => {
      renewed = next;
    };
    const live = value !== undefined && value !== '' && (await isLive(value, renew));
    // A present but dead cookie is cleared whatever happens next; an absent one needs nothing.
    const clear = !live && value !== undefined;

    const { redirectTo, returnToParam } = resolved;
    let response: NextResponse;
    if (!live && redirectTo !== undefined && !isRedirectTarget(request, redirectTo)) {
      const safe = request.method === 'GET' || request.method === 'HEAD';
      // 303 turns a POST into a GET of the sign-in page instead of re-posting the form to it.
      response = NextResponse.redirect(
        redirectTarget(request, redirectTo, returnToParam),
        safe ? 307 : 303,
      );
    } else if (clear) {
      const headers = new Headers(request.headers);
      const rest = withoutCookie(headers.get('cookie') ?? '', cookie.name);
      if (rest) headers.set('cookie', rest);
      else headers.delete('cookie');
      response = NextResponse.next({ request: { headers } });
    } else if (renewed === undefined) {
      return NextResponse.next();
    } else {
      // A "remember me" cookie renewed by the check: same session, a fresh Max-Age.
      response = NextResponse.next();
      response.cookies.set(renewed.name, renewed.value, nextCookieOptions(renewed.attributes));
    }

    if (clear) {
      const removal = removalCookie(cookie);
      response.cookies.set(removal.name, removal.value, nextCookieOptions(removal.attributes));
    }
    // Redirects depend on the cookie too: a cached one would bounce signed-in users.
    response.headers.set('Cache-Control', PRIVATE_NO_STORE);
    return response;
  };
}
