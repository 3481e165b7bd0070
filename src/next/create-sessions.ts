import { cookies } from 'next/headers.js';
import type { OwnedSessions } from '../core/owned-sessions.ts';
import type { Session } from '../core/session.ts';
import type { SessionConfig } from '../core/session-config.ts';
import { createSessionManager, type SessionManager } from '../core/session-manager.ts';
import { type Guard, type GuardOptions, withPrivateCaching } from './guard-response.ts';
import {
  applyCookie,
  type CookieStoreLike,
  isReadOnlyCookieStore,
  readCookieValue,
  SERVER_COMPONENT_CONTEXT,
} from './next-cookie-jar.ts';
import { createProxyGuard } from './proxy-guard.ts';

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
   * cookie through `cookies()`.
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
  return createSessionsWith<T, F>(config, cookies);
}

/**
 * {@link createSessions} with the source of the cookie store passed in. Internal: it lets
 * tests drive the helpers with Next's real cookie classes outside a Next request.
 *
 * @internal
 */
export function createSessionsWith<T extends object, F extends object>(
  config: SessionConfig<T>,
  cookieStore: () => Promise<CookieStoreLike>,
): Sessions<T, F> {
  const manager = createSessionManager<T, F>(config);
  const cookieName = manager.config.cookie.name;
  // Next hands out one cookie store object per request (per phase), so it identifies the
  // request; weak keys let each request's handle go with it.
  const handles = new WeakMap<CookieStoreLike, Session<T, F>>();

  async function getSession(): Promise<Session<T, F>> {
    const store = await cookieStore();
    let session = handles.get(store);
    if (!session) {
      const value = readCookieValue(store, cookieName);
      session = isReadOnlyCookieStore(store)
        ? manager.open(value, { readOnly: SERVER_COMPONENT_CONTEXT })
        : manager.open(value, { onCookie: (cookie) => applyCookie(store, cookie) });
      handles.set(store, session);
    }
    return session;
  }

  return {
    getSession,
    route:
      <R extends Request, C>(handler: SessionRouteHandler<T, F, R, C>) =>
      async (request: R, context: C) => {
        const session = await getSession();
        const response = await handler(request, session, context);
        return session.cookieChanged ? withPrivateCaching(response) : response;
      },
    guard: (options) => createProxyGuard(manager, options),
    listSessions: manager.listSessions,
    revokeSession: manager.revokeSession,
    revokeSessions: manager.revokeSessions,
    manager,
  };
}
