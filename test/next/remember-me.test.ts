/**
 * "Remember me" through the public `ruts/next` entry, with Next's real cookie classes: the
 * Set-Cookie a login sends for a remembered and a not-remembered session, and the renewal of a
 * remembered cookie by the requests that can set cookies (Server Actions, Route Handlers and the
 * `proxy.ts` guard), never by a Server Component. Simulated clock on a MemoryStore.
 */

import './support/next-runtime.ts';
import { NextRequest } from 'next/server.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSessions } from '../../src/next/index.ts';
import { memoryStore } from '../support/memory-store.ts';
import { NextBrowser, NextRequestScope } from './support/next-request.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const DAY = 24 * 60 * 60;
const HOUR = 60 * 60 * 1000;

interface AppSession {
  userId: string;
  cart: string[];
}

afterEach(() => {
  vi.useRealTimers();
});

function setup() {
  const sessions = createSessions<AppSession>({
    secret,
    store: memoryStore(),
    cookie: { secure: false },
    idleTimeout: 60 * 60,
  });
  return { sessions, browser: new NextBrowser() };
}

/** Signs the browser in from a Server Action; resolves the response's Set-Cookie lines. */
async function signIn(
  { sessions, browser }: ReturnType<typeof setup>,
  remember: boolean,
): Promise<string[]> {
  const scope = new NextRequestScope('server-action', browser.cookieHeader());
  await scope.run(async () => {
    const session = await sessions.getSession();
    await session.set('cart', ['book']);
    await session.regenerate({ set: { userId: 'u1' }, maxAge: remember ? 30 * DAY : 'session' });
  });
  browser.receive(scope.setCookies);
  return scope.setCookies;
}

/** The store key of the browser's session. */
async function keyOf({ sessions, browser }: ReturnType<typeof setup>) {
  return (await sessions.manager.verify(browser.cookies.get('ruts')))?.key;
}

describe('a login form with "Remember me"', () => {
  it('sends a remembered session a cookie of that Max-Age, and a forgotten one a browser-session cookie', async () => {
    const remembered = await signIn(setup(), true);
    expect(remembered.at(-1)).toMatch(/^ruts=[^;]+; Path=\/; Expires=[^;]+; Max-Age=2592000; /);
    const forgotten = await signIn(setup(), false);
    expect(forgotten.at(-1)).toMatch(/^ruts=[^;]+; Path=\/; HttpOnly; SameSite=lax$/);
  });

  it('renews a remembered cookie once it is a touchAfter old, where cookies can be set', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const s = setup();
    await signIn(s, true);
    const key = await keyOf(s);
    const request = async (context: 'server-component' | 'server-action' | 'route-handler') => {
      const scope = new NextRequestScope(context, s.browser.cookieHeader());
      const userId = await scope.run(async () => (await s.sessions.getSession()).get('userId'));
      s.browser.receive(scope.setCookies);
      return { userId, setCookies: scope.setCookies };
    };

    // Fresh: nothing to renew. A Server Component never can.
    vi.setSystemTime(start + 5 * 60_000);
    expect(await request('server-action')).toEqual({ userId: 'u1', setCookies: [] });
    vi.setSystemTime(start + 2 * HOUR);
    expect(await request('server-component')).toEqual({ userId: 'u1', setCookies: [] });

    // Older than touchAfter (6 minutes: a tenth of the 1-hour idle timeout): renewed, same session.
    for (const context of ['server-action', 'route-handler'] as const) {
      vi.setSystemTime(Date.now() + HOUR);
      const { userId, setCookies } = await request(context);
      expect(userId).toBe('u1');
      expect(setCookies, context).toHaveLength(1);
      expect(setCookies[0]).toMatch(/Max-Age=2592000; /);
      expect(await keyOf(s)).toBe(key);
      expect(await request(context)).toEqual({ userId: 'u1', setCookies: [] });
    }

    // The proxy guard renews it too, on the response that lets the request through.
    const guard = s.sessions.guard({ redirectTo: '/login' });
    const atGuard = async () =>
      guard(
        new NextRequest('https://example.com/account', {
          headers: { cookie: s.browser.cookieHeader() ?? '' },
        }),
      );
    vi.setSystemTime(Date.now() + HOUR);
    const renewed = await atGuard();
    expect(renewed.headers.get('x-middleware-next')).toBe('1');
    expect(renewed.headers.getSetCookie()).toHaveLength(1);
    expect(renewed.headers.getSetCookie()[0]).toMatch(/^ruts=[^;]+;.*Max-Age=2592000/);
    expect(renewed.headers.get('Cache-Control')).toBe('private, no-store');
    s.browser.receive(renewed.headers.getSetCookie());
    expect(await keyOf(s)).toBe(key);
    const again = await atGuard();
    expect(again.headers.get('x-middleware-next')).toBe('1');
    expect(again.headers.getSetCookie()).toEqual([]);

    // Nearly thirty days of inactivity later the session is still there, past the 1-hour idle
    // timeout; just after thirty, it is gone. Asked of the store, which a read would extend.
    const { store } = s.sessions.manager.config;
    const renewedAt = Date.now();
    vi.setSystemTime(renewedAt + 30 * DAY * 1000 - HOUR);
    expect(await store.getAll(key as string)).toBeDefined();
    vi.setSystemTime(renewedAt + 30 * DAY * 1000 + 1000);
    expect(await store.getAll(key as string)).toBeUndefined();
    expect((await request('server-component')).userId).toBeUndefined();
  });

  it('never renews a cookie of the configured lifetime, which covers the whole session', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const s = setup();
    await s.browser.request('server-action', async () => {
      await (await s.sessions.getSession()).regenerate({ set: { userId: 'u1' } });
    });
    vi.setSystemTime(Date.now() + 50 * 60_000);
    const scope = new NextRequestScope('server-action', s.browser.cookieHeader());
    await scope.run(async () => (await s.sessions.getSession()).set('cart', []));
    expect(scope.setCookies).toEqual([]);
  });
});
