import type { RegenerateOptions } from 'ruts/next';
import type { AppSession } from './session';

/** Usernames: 1 to 40 letters, digits, dots, underscores or hyphens. */
const USERNAME = /^[A-Za-z0-9._-]{1,40}$/;

export const USERNAME_RULE = 'Use 1 to 40 letters, digits, dots, underscores or hyphens.';

/** The username if it follows {@link USERNAME_RULE}, else `undefined`. */
export function validUsername(value: unknown): string | undefined {
  return typeof value === 'string' && USERNAME.test(value) ? value : undefined;
}

/** The user id the shop derives from a username. */
export function userIdFor(username: string): string {
  return `u_${username.toLowerCase()}`;
}

/** How long "Remember me" keeps a browser signed in after its last visit: thirty days. */
export const REMEMBER_ME_SECONDS = 30 * 24 * 60 * 60;

/**
 * What signing in writes in the one `regenerate()` step: the user, and the owner binding that
 * lets "Your sessions" list this session and sign it out from another device. `device` labels
 * the session on that page. `remember` picks the cookie: thirty days from the last visit, or
 * one the browser drops when it closes; left out, the configured cookie.
 */
export function signInWrite(
  username: string,
  device?: string,
  remember?: boolean,
): RegenerateOptions<AppSession> {
  const userId = userIdFor(username);
  return {
    owner: userId,
    set: device === undefined ? { userId, username } : { userId, username, device },
    ...(remember === undefined ? {} : { maxAge: remember ? REMEMBER_ME_SECONDS : 'session' }),
  };
}

/**
 * The path to return to after signing in, if `value` is a path on this site: it must start with
 * a single `/`, so `//evil.example` or `/\evil.example` cannot send the user elsewhere.
 */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/') || /^\/[/\\]/.test(value)) {
    return undefined;
  }
  const base = 'http://shop.invalid';
  try {
    const url = new URL(value, base);
    return url.origin === base ? url.pathname + url.search + url.hash : undefined;
  } catch {
    return undefined;
  }
}
