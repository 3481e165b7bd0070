import { cookies, headers } from 'next/headers.js';
import type { OutgoingCookie } from '../core/cookie-options.ts';
import type { OwnedSessions } from '../core/owned-sessions.ts';
import type { Session } from '../core/session.ts';
import type { SessionConfig } from '../core/session-config.ts';
import { createSessionManager, type SessionManager } from '../core/session-manager.ts';
import { type Guard, type GuardOptions, withPrivateCaching } from './guard-response.ts';
import {
  applyCookie,
  type CookieStoreLike,
  isReadOnlyCookieStore,
  lateWriteError,
  readCookieValue,
  SERVER_COMPONENT_CONTEXT,
} from './next-cookie-jar.ts';
import { createProxyGuard } from './proxy-guard.ts';
import { readRequestCookie } from './request-cookie.ts';
import { routeSessions } from './route-sessions.ts';

/** Where a write that came after `route()` sent its response was made. */
const AFTER_ROUTE_CONTEXT =
  'a Route Handler that had already returned its response (await every session write before ' +
  'returning)';

/**
 * A Route Handler that receives the request's session alongside the request.
 *
 * @typeParam R the request type Next passes (`NextRequest`)
 * @typeParam C the handler's second argument, such as `{ params: Promise<{ id: string }> }`
 */
export type SessionRouteHandler<
  T extends object,
  F extends object,
  R extends Request = Request,
  C = unknown,
> = (request: R, session: Session<T, F>, context: C) => Response | Promise<Response>;

/** What {@link createSessions} returns: everything a Next.js app needs, bound to one config. */
export interface Sessions<
  T extends object = Record<string, unknown>,
  F extends object = Record<string, unknown>,
> extends OwnedSessions<T> {
  /**
   * The current request's session. Every call while handling one request returns the same
   * handle, so the store is read at most once per request.
   *
   * In Server Components the handle is read-only: writes throw `ReadOnlySessionError`, because
   * Next cannot set cookies while rendering. In Server Actions and Route Handlers writes set the
   * cookie through `cookies()`. Inside {@link Sessions.route} it returns the route's session.
   *
   * @example
   * const session = await getSession();
   * const cart = (await session.get('cart')) ?? [];
   */
  getSession(): Promise<Session<T, F>>;

  /**
   * Wraps a Route Handler so that it receives the session, and so that a response whose
   * request set or cleared the session cookie is marked `Cache-Control: private, no-store`
   * (a CDN must never cache a response that sets someone's session cookie).
   *
   * The cookie is read from the request, and a changed one is set through `cookies()` when the
   * handler returns or throws (so a `redirect()` carries it): a request that only reads never
   * builds Next's mutable cookie store, which costs more than the session read. `getSession()`
   * called inside the handler returns the same session. A write that changes the cookie after
   * the handler returned throws `ReadOnlySessionError`: await every write before returning.
   *
   * @example
   * export const POST = route(async (request, session) => {
   *   await session.set('theme', (await request.json()).theme);
   *   return Response.json({ ok: true });
   * });
   */
  route<R extends Request = Request, C = unknown>(
    handler: SessionRouteHandler<T, F, R, C>,
  ): (request: R, context: C) => Promise<Response>;

  /**
   * A guard for `proxy.ts` that checks the cookie's seal and that the store holds the session.
   * For `middleware.ts` on the edge runtime, use `createEdgeGuard` from `ruts/next/edge`.
   *
   * @example
   * // proxy.ts
   * export const proxy = sessions.guard({ redirectTo: '/login' });
   * export const config = { matcher: ['/account/:path*'] };
   */
  guard(options?: GuardOptions): Guard;

  /** The framework-free manager underneath, for code outside the App Router. */
  readonly manager: SessionManager<T, F>;
}

/**
 * Creates the session helpers of a Next.js App Router app. Call it once, in a module of its
 * own, and import the helpers from there. Throws `ConfigError` at once for a bad config.
 *
 * @typeParam T the session data's shape, so `session.get('cart')` is typed; inferred from
 * `config.schema` when one is given without a type argument
 * @typeParam F the flash messages' shape
 * @example
 * // lib/session.ts
 * export const { getSession, route, guard } = createSessions<AppSession>({
 *   secret: process.env.SESSION_SECRET!,
 *   store: new MemoryStore(),
 * });
 * @example
 * // typed, and checked on every write and read, by a schema
 * export const { getSession } = createSessions({
 *   secret: process.env.SESSION_SECRET!,
 *   store: new MemoryStore(),
 *   schema: { userId: z.string(), cart: z.array(z.string()) },
 * });
 */
export function createSessions<
  T extends object = Record<string, unknown>,
  F extends object = Record<string, unknown>,
>(config: SessionConfig<T>): Sessions<T, F> {
  return createSessionsWith<T, F>(config, cookies, headers);
}

/**
 * {@link createSessions} with the source of the cookie store passed in, and of an object that
 * identifies the request (Next's `headers()`). Internal: it lets tests drive the helpers with
 * Next's real cookie classes outside a Next request. Without `requestKey`, `route()` reads and
 * writes the cookie through the cookie store.
 *
 * @internal
 */
export function createSessionsWith<T extends object, F extends object>(
  config: SessionConfig<T>,
  cookieStore: () => Promise<CookieStoreLike>,
  requestKey?: () => Promise<object>,
): Sessions<T, F> {
  const manager = createSessionManager<T, F>(config);
  const cookieName = manager.config.cookie.name;
  // Next hands out one cookie store object per request (per phase), so it identifies the
  // request; weak keys let each request's handle go with it.
  const handles = new WeakMap<CookieStoreLike, Session<T, F>>();

  const routed = requestKey && { requestKey, sessions: routeSessions() };

  async function getSession(): Promise<Session<T, F>> {
    const store = await cookieStore();
    let session = handles.get(store);
    if (!session && routed !== undefined) {
      // Asked after `cookies()`, so that whatever Next says of cookies in this place it still
      // says first.
      const ofRequest = routed.sessions.get(await routed.requestKey());
      session = ofRequest?.get(cookieName) as Session<T, F> | undefined;
      if (session) handles.set(store, session);
    }
    if (!session) {
      const value = readCookieValue(store, cookieName);
      session = isReadOnlyCookieStore(store)
        ? manager.open(value, { readOnly: SERVER_COMPONENT_CONTEXT })
        : manager.open(value, { onCookie: (cookie) => applyCookie(store, cookie) });
      handles.set(store, session);
    }
    return session;
  }

  /**
   * `route()` proper: the cookie is read from the request and a changed one is handed to
   * `cookies()` once the handler is done (Next adds it to the response, a redirect's included),
   * so a request that only reads never builds Next's mutable cookie store.
   */
  async function serveRoute<R extends Request, C>(
    sessions: Map<string, unknown>,
    request: R,
    context: C,
    handler: SessionRouteHandler<T, F, R, C>,
  ): Promise<Response> {
    let pending: OutgoingCookie | undefined;
    let returned = false;
    const session = manager.open(readRequestCookie(request, cookieName), {
      onCookie: (cookie) => {
        if (returned) throw lateWriteError(cookie, AFTER_ROUTE_CONTEXT);
        pending = cookie;
      },
    });
    sessions.set(cookieName, session);
    try {
      const response = await handler(request, session, context);
      return session.cookieChanged ? withPrivateCaching(response) : response;
    } finally {
      returned = true;
      if (pending !== undefined) applyCookie(await cookieStore(), pending);
    }
  }

  return {
    getSession,
    route:
      <R extends Request, C>(handler: SessionRouteHandler<T, F, R, C>) =>
      async (request: R, context: C) => {
        if (routed === undefined) {
          const session = await getSession();
          const response = await handler(request, session, context);
          return session.cookieChanged ? withPrivateCaching(response) : response;
        }
        const key = await routed.requestKey();
        let sessions = routed.sessions.get(key);
        if (sessions === undefined) {
          sessions = new Map();
          routed.sessions.set(key, sessions);
        }
        const outer = sessions.get(cookieName) as Session<T, F> | undefined;
        // The outermost route() sends the cookie of a route() called inside it.
        if (outer !== undefined) return handler(request, outer, context);
        return serveRoute(sessions, request, context, handler);
      },
    guard: (options) => createProxyGuard(manager, options),
    listSessions: manager.listSessions,
    revokeSession: manager.revokeSession,
    revokeSessions: manager.revokeSessions,
    manager,
  };
}
