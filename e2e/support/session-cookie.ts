/**
 * Reading the session cookie out of a browser context, checking its attributes, and replaying
 * a captured cookie from outside the browser to ask the server what it holds.
 */

import { type APIRequestContext, type BrowserContext, type Cookie, expect } from '@playwright/test';

/** The example app's cookie: Secure, Path=/ and no Domain earn it the `__Host-` prefix. */
export const SESSION_COOKIE = '__Host-ruts';

/** The session cookie the browser holds, if any. */
export async function findSessionCookie(context: BrowserContext): Promise<Cookie | undefined> {
  const cookies = await context.cookies();
  return cookies.find((cookie) => cookie.name === SESSION_COOKIE && cookie.value !== '');
}

/**
 * The session cookie the browser holds, after checking every attribute the app promises:
 * Secure, HttpOnly, SameSite=Lax, Path=/, host-only, and an expiry in the future.
 */
export async function expectSessionCookie(context: BrowserContext): Promise<Cookie> {
  const cookie = await findSessionCookie(context);
  expect(cookie, `the browser holds a ${SESSION_COOKIE} cookie`).toBeDefined();
  const found = cookie as Cookie;
  expect(found).toMatchObject({
    name: SESSION_COOKIE,
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
    path: '/',
  });
  // Host-only: the browser records the request's host, not a `.domain` set by the server.
  expect(found.domain.startsWith('.')).toBe(false);
  // A persistent cookie (-1 would be a browser-session cookie) that has not expired.
  expect(found.expires).toBeGreaterThan(Date.now() / 1000);
  return found;
}

/** The session's fields as `GET /api/session` reports them for a replayed cookie value. */
export async function fieldsForCookie(
  request: APIRequestContext,
  baseURL: string,
  cookieValue: string,
): Promise<Record<string, unknown>> {
  const response = await request.get(new URL('/api/session', baseURL).href, {
    headers: { cookie: `${SESSION_COOKIE}=${cookieValue}` },
    maxRedirects: 0,
  });
  expect(response.status()).toBe(200);
  // Reading never sets (or clears) the cookie, not even for a dead session.
  expect(response.headers()['set-cookie']).toBeUndefined();
  const body = (await response.json()) as { fields: Record<string, unknown> };
  return body.fields;
}

/** The cookie value with one character of its seal changed, so that the seal no longer verifies. */
export function tamperWith(value: string): string {
  const at = Math.floor(value.length / 2);
  const replacement = value[at] === 'A' ? 'B' : 'A';
  return `${value.slice(0, at)}${replacement}${value.slice(at + 1)}`;
}

/**
 * Puts a session cookie with `value` into a browser context, as the app would have set it.
 * A `__Host-` cookie must be host-only, so it is given by domain and path, not by URL.
 */
export async function plantSessionCookie(
  context: BrowserContext,
  baseURL: string,
  value: string,
): Promise<void> {
  await context.addCookies([
    {
      name: SESSION_COOKIE,
      value,
      domain: new URL(baseURL).hostname,
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'Lax',
    },
  ]);
}
