/**
 * What the session config and the edge guard in `middleware.ts` must agree on: the secret and
 * the cookie options. This module imports no store, so the edge bundle stays small and free of
 * Node-only drivers.
 *
 * @packageDocumentation
 */

import type { CookieOptions, SecretInput } from 'ruts/next/edge';

/** Used by `next dev` only, so that sessions survive dev-server restarts. Never in production. */
const DEVELOPMENT_SECRET = 'development-only-secret-of-the-ruts-example-app';

/** `next build` evaluates modules to collect page data; no secret is needed, nor asked for. */
const BUILD_PLACEHOLDER_SECRET = 'build-time-placeholder-secret-never-seals-a-real-cookie';

/**
 * `SESSION_SECRET` is one secret, or several for key rotation: `id:secret` pairs separated by
 * commas, such as `2:<new>,1:<old>`. The highest id seals new cookies; the others still open the
 * cookies they sealed until they are removed. A lone secret is id 1, so the first rotation is
 * `2:<new>,1:<the old one>`.
 */
function resolveSecret(): SecretInput {
  const setting = process.env.SESSION_SECRET;
  if (setting !== undefined && setting !== '') return parseSecrets(setting);
  if (process.env.NODE_ENV !== 'production') return DEVELOPMENT_SECRET;
  if (process.env.NEXT_PHASE === 'phase-production-build') return BUILD_PLACEHOLDER_SECRET;
  throw new Error(
    'SESSION_SECRET is not set. In production the example app needs a secret of at least 32 ' +
      'characters to seal session cookies. Generate one with: openssl rand -base64 32',
  );
}

function parseSecrets(setting: string): SecretInput {
  const pairs = setting.split(',').map((part) => /^(\d+):(.*)$/s.exec(part.trim()));
  if (pairs.every((pair) => pair === null)) return checkedSecret('SESSION_SECRET', setting);
  const secrets: Record<string, string> = {};
  for (const pair of pairs) {
    if (pair === null) {
      throw new Error(
        'SESSION_SECRET mixes id:secret pairs with other text; write 2:<new>,1:<old>.',
      );
    }
    const [, id = '', secret = ''] = pair;
    secrets[id] = checkedSecret(`SESSION_SECRET's secret ${id}`, secret);
  }
  return secrets;
}

function checkedSecret(name: string, secret: string): string {
  if (secret.length < 32) {
    throw new Error(
      `${name} is ${secret.length} characters long; it needs at least 32. ` +
        'Generate one with: openssl rand -base64 32',
    );
  }
  return secret;
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
