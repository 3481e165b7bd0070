import { ConfigError } from './errors.ts';

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis); asking for more is silently cut. */
export const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60;

/**
 * Options of the session cookie. Every field is optional; the defaults are the secure ones.
 *
 * The cookie only carries the sealed session id. How long the *session* lives is decided by the
 * store (see the TTL model); the cookie just has to outlive it, which is why its default
 * lifetime is long and a dead id inside a live cookie is harmless.
 */
export interface CookieOptions {
  /**
   * Base name of the cookie. When the `__Host-` prefix applies (see `hostPrefix`), the name sent
   * to the browser is `__Host-<name>`.
   * @default 'ruts'
   */
  name?: string;
  /**
   * Adds the `__Host-` prefix, which makes the browser refuse the cookie unless it is Secure,
   * has `Path=/` and no Domain: no subdomain or insecure page can plant or overwrite it.
   * `'auto'` applies it whenever the other options allow; `true` demands it (a config error if
   * they do not allow it); `false` never applies it.
   * @default 'auto'
   */
  hostPrefix?: boolean | 'auto';
  /**
   * Hides the cookie from client-side JavaScript.
   * @default true
   */
  httpOnly?: boolean;
  /**
   * `'lax'` sends the cookie on top-level navigations from other sites but not on their
   * sub-requests or form posts, which blocks most CSRF while keeping links working.
   * @default 'lax'
   */
  sameSite?: 'lax' | 'strict' | 'none';
  /**
   * Sends the cookie over https only.
   * @default true when `NODE_ENV` is `'production'`, else false
   */
  secure?: boolean;
  /**
   * Cookie lifetime in seconds, or `'session'` for a cookie the browser drops when it closes.
   * Capped at 400 days. The sealed value carries the same expiry, so an old cookie cannot be
   * replayed past it. This cookie is issued once, when the session begins, so a number shorter
   * than a session can live (its `absoluteTimeout`, else 400 days) is refused with a
   * `ConfigError`: set `absoluteTimeout` instead. A lifetime chosen per session, such as
   * "remember me", is `regenerate({ maxAge })`, whose cookie is renewed as the session is used.
   * @default the absolute timeout if one is set, else 400 days
   * @example 60 * 60 * 24 * 30 // thirty days
   */
  maxAge?: number | 'session';
  /**
   * @default '/'
   */
  path?: string;
  /**
   * Share the cookie with subdomains. Setting it rules out the `__Host-` prefix.
   * @default undefined (host-only)
   */
  domain?: string;
}

/** Attributes of a cookie as written to a response. */
export interface CookieAttributes {
  /** `HttpOnly`: client-side JavaScript cannot read the cookie. */
  httpOnly: boolean;
  /** The `SameSite` attribute. */
  sameSite: 'lax' | 'strict' | 'none';
  /** `Secure`: the browser sends the cookie over https only. */
  secure: boolean;
  /** The `Path` attribute. */
  path: string;
  /** The `Domain` attribute; absent for a host-only cookie. */
  domain?: string;
  /** Seconds; absent for a browser-session cookie. */
  maxAge?: number;
  /** The `Expires` attribute. ruts sets it only on the removal cookie, to the epoch. */
  expires?: Date;
}

/** A cookie the session wants set (or cleared, when `value` is empty and `maxAge` is 0). */
export interface OutgoingCookie {
  /** The name as sent, including any `__Host-` prefix. */
  name: string;
  /** The sealed session id, or `''` when the cookie is being cleared. */
  value: string;
  /** The attributes to write with it. */
  attributes: CookieAttributes;
}

/** Cookie options after defaults and validation. */
export interface ResolvedCookie {
  /** The name as sent, including any `__Host-` prefix. */
  name: string;
  /** Attributes of a live session cookie. */
  attributes: CookieAttributes;
  /** How long the sealed value stays valid, in seconds. */
  sealTtlSeconds: number;
}

function isProduction(): boolean {
  // `process` is absent in some edge runtimes; Next.js inlines NODE_ENV where it exists.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  return env?.NODE_ENV === 'production';
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Applies defaults to cookie options and rejects combinations browsers would refuse.
 *
 * @param absoluteTimeoutSeconds the session's absolute timeout, which bounds the default maxAge
 */
export function resolveCookieOptions(
  options: CookieOptions = {},
  absoluteTimeoutSeconds?: number,
): ResolvedCookie {
  const baseName = options.name ?? 'ruts';
  if (!COOKIE_NAME.test(baseName)) {
    throw new ConfigError(
      `cookie.name ${JSON.stringify(baseName)} is not a valid cookie name. ` +
        "Use letters, digits and !#$%&'*+-.^_`|~ only.",
    );
  }
  if (/^__(host|secure)-/i.test(baseName)) {
    throw new ConfigError(
      `cookie.name ${JSON.stringify(baseName)} already carries a prefix. ` +
        'Give the bare name and let `hostPrefix` add `__Host-`.',
    );
  }
  const sameSite = options.sameSite ?? 'lax';
  const secure = options.secure ?? isProduction();
  if (sameSite === 'none' && !secure) {
    throw new ConfigError(
      "cookie.sameSite 'none' requires cookie.secure: browsers reject SameSite=None cookies " +
        'that are not Secure.',
    );
  }
  const path = options.path ?? '/';
  if (!path.startsWith('/')) {
    throw new ConfigError(`cookie.path must start with "/" (got ${JSON.stringify(path)}).`);
  }
  const hostPrefixAllowed = secure && path === '/' && options.domain === undefined;
  const hostPrefix = options.hostPrefix ?? 'auto';
  if (hostPrefix === true && !hostPrefixAllowed) {
    throw new ConfigError(
      'cookie.hostPrefix is true, but the __Host- prefix needs secure: true, path "/" and no ' +
        'domain. Change those options or set hostPrefix to "auto".',
    );
  }
  const usePrefix = hostPrefix === true || (hostPrefix === 'auto' && hostPrefixAllowed);

  let maxAge: number | undefined;
  if (options.maxAge === 'session') {
    maxAge = undefined;
  } else {
    // The longest a session can live, as far as a cookie can follow it.
    const longest = Math.min(
      absoluteTimeoutSeconds ?? MAX_COOKIE_AGE_SECONDS,
      MAX_COOKIE_AGE_SECONDS,
    );
    const requested = options.maxAge ?? longest;
    if (!Number.isFinite(requested) || requested <= 0) {
      throw new ConfigError(
        `cookie.maxAge must be a positive number of seconds or 'session' (got ${requested}).`,
      );
    }
    if (requested < longest) throw shortCookie(requested, absoluteTimeoutSeconds);
    maxAge = Math.min(Math.ceil(requested), MAX_COOKIE_AGE_SECONDS);
  }

  const attributes: CookieAttributes = {
    httpOnly: options.httpOnly ?? true,
    sameSite,
    secure,
    path,
  };
  if (options.domain !== undefined) attributes.domain = options.domain;
  if (maxAge !== undefined) attributes.maxAge = maxAge;

  return {
    name: usePrefix ? `__Host-${baseName}` : baseName,
    attributes,
    // A browser-session cookie still needs a bounded seal: the browser may never close.
    sealTtlSeconds: Math.ceil(maxAge ?? absoluteTimeoutSeconds ?? MAX_COOKIE_AGE_SECONDS),
  };
}

/**
 * A cookie shorter than its session would end an active session when the browser drops it, and
 * a new one would start: the cookie and its seal are issued once, when the session begins.
 */
function shortCookie(maxAge: number, absoluteTimeoutSeconds: number | undefined): ConfigError {
  const lives =
    absoluteTimeoutSeconds === undefined
      ? 'as long as it is used (there is no absoluteTimeout)'
      : `up to its absoluteTimeout of ${absoluteTimeoutSeconds} s`;
  return new ConfigError(
    `cookie.maxAge of ${maxAge} s is shorter than a session can live (${lives}): the browser ` +
      `would drop the cookie of an active session and sign its user out. To end sessions ` +
      `${maxAge} s after they start, set absoluteTimeout: ${maxAge} and leave cookie.maxAge ` +
      `out (the cookie follows it); for a cookie the browser drops when it closes, use ` +
      `maxAge: 'session'; for a cookie that lasts ${maxAge} s after the last visit, such as ` +
      `"remember me", leave cookie.maxAge out and pass regenerate({ maxAge: ${maxAge} }) at ` +
      `login (that cookie is renewed as the session is used).`,
  );
}

/**
 * The cookie that sets a live session.
 *
 * @param maxAge the session's own cookie lifetime (`regenerate({ maxAge })`), replacing the
 * configured one: whole seconds, or `'session'` for no `Max-Age`
 */
export function sessionCookie(
  resolved: ResolvedCookie,
  sealed: string,
  maxAge?: number | 'session',
): OutgoingCookie {
  const attributes = { ...resolved.attributes };
  if (maxAge === 'session') delete attributes.maxAge;
  else if (maxAge !== undefined) attributes.maxAge = maxAge;
  return { name: resolved.name, value: sealed, attributes };
}

/**
 * The cookie that removes the session cookie. It repeats Path, Domain, Secure and HttpOnly,
 * because browsers only replace a cookie whose Path and Domain match.
 */
export function removalCookie(resolved: ResolvedCookie): OutgoingCookie {
  const { maxAge: _live, ...rest } = resolved.attributes;
  return {
    name: resolved.name,
    value: '',
    attributes: { ...rest, maxAge: 0, expires: new Date(0) },
  };
}
