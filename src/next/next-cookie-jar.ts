/**
 * The seam between the core's {@link OutgoingCookie} and Next.js cookie stores: the one returned
 * by `cookies()` from `next/headers` and the one on a `NextResponse`.
 *
 * Edge-safe: it imports nothing from Next at runtime, so the edge guard may use it too.
 *
 * @packageDocumentation
 */

import type { CookieAttributes, OutgoingCookie } from '../core/cookie-options.ts';
import { ReadOnlySessionError } from '../core/errors.ts';

/**
 * Cookie options in the shape Next's `cookies().set(name, value, options)` takes, which is the
 * core's own attribute shape.
 */
export type NextCookieOptions = CookieAttributes;

/**
 * The part of Next's cookie store that sessions use. `await cookies()` satisfies it in every
 * context; so do Next's `RequestCookies`/`ResponseCookies` classes, which is how tests drive it.
 */
export interface CookieStoreLike {
  get(name: string): { value: string } | undefined;
  set(name: string, value: string, options: NextCookieOptions): unknown;
}

/** Where the read-only session says it was opened; completes the sentence "called from …". */
export const SERVER_COMPONENT_CONTEXT = 'a Server Component';

/** The context named when Next itself refused a cookie our detector thought it could set. */
const LATE_WRITE_CONTEXT =
  'a place where Next.js no longer allows setting cookies (a Server Component, a render after ' +
  'a Server Action, or after())';

/**
 * Maps core attributes to Next's option names. Absent attributes stay absent rather than
 * `undefined`, because Next's serializer tests `'maxAge' in cookie`.
 */
export function nextCookieOptions(attributes: CookieAttributes): NextCookieOptions {
  const options: NextCookieOptions = {
    httpOnly: attributes.httpOnly,
    sameSite: attributes.sameSite,
    secure: attributes.secure,
    path: attributes.path,
  };
  if (attributes.domain !== undefined) options.domain = attributes.domain;
  if (attributes.maxAge !== undefined) options.maxAge = attributes.maxAge;
  if (attributes.expires !== undefined) options.expires = attributes.expires;
  return options;
}

/** The session cookie's value, with an empty value (a cleared cookie) read as no cookie. */
export function readCookieValue(
  store: Pick<CookieStoreLike, 'get'>,
  name: string,
): string | undefined {
  return store.get(name)?.value || undefined;
}

/**
 * Whether `cookies()` handed us the read-only store of a Server Component.
 *
 * Next gives no public way to ask. Its read-only store (`RequestCookiesAdapter.seal`) answers
 * every read of `set` with one shared static function that throws, while the writable stores of
 * Server Actions and Route Handlers build a fresh wrapper function on every read of `set`. So a
 * stable identity across two reads means read-only.
 *
 * This leans on Next internals (checked against Next 16). If a future Next cached its writable
 * wrapper, this would call an action read-only and every write would throw, loudly; the tests
 * pin the behaviour against Next's real classes so an upgrade that changes it fails CI. If it
 * erred the other way, {@link applyCookie} still turns Next's own refusal into our error.
 */
export function isReadOnlyCookieStore(store: CookieStoreLike): boolean {
  const first = store.set;
  return first === store.set;
}

/**
 * Whether `error` is Next's `ReadonlyRequestCookiesError`. Matched by message, because the
 * class is renamed by minification in Next's production runtime and is not public API.
 */
export function isNextReadOnlyCookiesError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'ReadonlyRequestCookiesError' ||
      error.message.startsWith('Cookies can only be modified in a Server Action or Route Handler'))
  );
}

/**
 * Sets (or clears) the session cookie on a Next cookie store. A store that turns out to be
 * read-only despite {@link isReadOnlyCookieStore} surfaces as {@link ReadOnlySessionError}
 * (see {@link lateWriteError}). By then the store write has happened; only the cookie is lost,
 * which the error reports.
 */
export function applyCookie(store: CookieStoreLike, cookie: OutgoingCookie): void {
  try {
    store.set(cookie.name, cookie.value, nextCookieOptions(cookie.attributes));
  } catch (error) {
    if (!isNextReadOnlyCookiesError(error)) throw error;
    throw Object.assign(lateWriteError(cookie, LATE_WRITE_CONTEXT), { cause: error });
  }
}

/**
 * The error for a session cookie that came too late to be sent. The cookie callback cannot know
 * which session method triggered it, so the error names `destroy` for a removal and `set` for
 * anything else.
 */
export function lateWriteError(cookie: OutgoingCookie, context: string): ReadOnlySessionError {
  return new ReadOnlySessionError(cookie.value === '' ? 'destroy' : 'set', context);
}
