/**
 * The sessions `route()` opened, by request and cookie name, so that `getSession()` inside a
 * Route Handler returns the route's own. That lets `route()` read the cookie from the request
 * instead of from `cookies()`, which in a Route Handler builds Next's mutable cookie store at a
 * cost larger than the session read. A request is known by the object `headers()` resolves to,
 * one per request and cheap to get; an `AsyncLocalStorage` would have been simpler, but on
 * Node 20 each one slows every promise of the process. The map is in the process registry, so
 * every copy of this module (Turbopack may load it twice) sees the same requests.
 *
 * @packageDocumentation
 */

import { acquireShared } from '../core/process-registry.ts';

/**
 * Each request's route sessions by cookie name. Typed loosely: two `createSessions` calls that
 * share a cookie name share its session in a request, as they share the cookie.
 */
export type RouteSessions = WeakMap<object, Map<string, unknown>>;

/** The process's route sessions. */
export function routeSessions(): RouteSessions {
  return acquireShared('route-sessions', '', (): RouteSessions => new WeakMap()).value;
}
