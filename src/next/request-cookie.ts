/**
 * A request's session cookie, read from its `Cookie` header exactly as Next reads it for
 * `cookies()` and `request.cookies` (the `RequestCookies` of `@edge-runtime/cookies`). A header
 * can carry one name twice: without the `__Host-` prefix, a sibling subdomain or an old `Path`
 * can plant a second cookie. The guards must then pick the one the page will see, or they
 * judge one session and the page serves another.
 *
 * @packageDocumentation
 */

/**
 * The value of cookie `name` in `header`, as Next reads it: pairs split at `;` and the spaces
 * after it, names compared as they stand, values percent-decoded, a pair whose value does not
 * decode skipped, and of several pairs of one name the last one. `undefined` when absent; `''`
 * when present but empty.
 */
export function cookieFromHeader(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  let found: string | undefined;
  for (const pair of header.split(/; */)) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    // Next reads a pair without `=` as a cookie of that name set to "true".
    if (at === -1) {
      if (pair === name) found = 'true';
      continue;
    }
    if (pair.slice(0, at) !== name) continue;
    try {
      found = decodeURIComponent(pair.slice(at + 1));
    } catch {
      // Next drops a value it cannot decode, keeping any earlier one.
    }
  }
  return found;
}

/** The value of cookie `name` in a request, with an empty value read as no cookie. */
export function readRequestCookie(request: Request, name: string): string | undefined {
  return cookieFromHeader(request.headers.get('cookie'), name) || undefined;
}

/**
 * The `Cookie` header without any pair of cookie `name`. Other cookies keep their bytes exactly,
 * which a parse-and-reserialize round trip would not promise.
 */
export function withoutCookie(header: string, name: string): string {
  return header
    .split(/; */)
    .filter((pair) => {
      const at = pair.indexOf('=');
      return pair !== '' && (at === -1 ? pair : pair.slice(0, at)) !== name;
    })
    .join('; ');
}
