/**
 * What the session config and the edge guard in `middleware.ts` must agree on: the secret and
 * the cookie options. This module imports no store, so the edge bundle stays small and free of
 * Node-only drivers.
 *
 * @packageDocumentation
 */

import type { CookieOptions } from 'ruts/next/edge';

/** Used by `next dev` only, so that sessions survive dev-server restarts. Never in production. */
const DEVELOPMENT_SECRET = 'development-only-secret-of-the-ruts-example-app';

/** `next build` evaluates modules to collect page data; no secret is needed, nor asked for. */
const BUILD_PLACEHOLDER_SECRET = 'build-time-placeholder-secret-never-seals-a-real-cookie';

function resolveSecret(): string {
  const secret = process.env.SESSION_SECRET;
  if (secret !== undefined && secret !== '') {
    if (secret.length < 32) {
      throw new Error(
        `SESSION_SECRET is ${secret.length} characters long; it needs at least 32. ` +
          'Generate one with: openssl rand -base64 32',
      );
    }
    return secret;
  }
  if (process.env.NODE_ENV !== 'production') return DEVELOPMENT_SECRET;
  if (process.env.NEXT_PHASE === 'phase-production-build') return BUILD_PLACEHOLDER_SECRET;
  throw new Error(
    'SESSION_SECRET is not set. In production the example app needs a secret of at least 32 ' +
      'characters to seal session cookies. Generate one with: openssl rand -base64 32',
  );
}

/** The secret that seals session cookies. Throws at startup in production when it is missing. */
export const sessionSecret = resolveSecret();

/**
 * Production-like cookies: Secure (hence named `__Host-ruts`), HttpOnly, SameSite=Lax, Path=/.
 * Browsers treat http://localhost as a secure context, so this works locally too;
 * `COOKIE_SECURE=false` turns Secure off for other plain-http hosts.
 */
export const cookieOptions: CookieOptions = {
  secure: process.env.COOKIE_SECURE === 'false' ? false : process.env.NODE_ENV === 'production',
};
