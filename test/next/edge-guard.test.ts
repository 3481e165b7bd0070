import './support/next-runtime.ts';
import { NextRequest } from 'next/server.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import { createEdgeGuard } from '../../src/next/edge-guard.ts';
import { memoryStore } from '../support/memory-store.ts';
import { liveSessionCookie, tamper } from './support/session-cookies.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const cookie = { secure: false };
/** The sessions' absolute timeout, which the cookie and its seal follow. */
const absoluteTimeout = 24 * 60 * 60;

function setup() {
  const manager = createSessionManager({ secret, store: memoryStore(), cookie, absoluteTimeout });
  const guard = createEdgeGuard({ secret, cookie, absoluteTimeout, redirectTo: '/login' });
  return { manager, guard };
}

function request(cookieValue?: string): NextRequest {
  return new NextRequest('https://example.com/account', {
    headers: cookieValue === undefined ? {} : { cookie: `ruts=${cookieValue}` },
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the edge guard', () => {
  it('lets a request with a validly sealed cookie through', async () => {
    const { manager, guard } = setup();
    const response = await guard(request(await liveSessionCookie(manager)));
    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('redirects a request without a cookie to redirectTo with the path to return to', async () => {
    const { guard } = setup();
    const location = new URL((await guard(request())).headers.get('Location') ?? '');
    expect(location.pathname).toBe('/login');
    expect(location.searchParams.get('next')).toBe('/account');
  });

  it('redirects a tampered cookie, clears it and marks the response private', async () => {
    const { manager, guard } = setup();
    const response = await guard(request(tamper(await liveSessionCookie(manager))));
    expect(response.status).toBe(307);
    expect(response.headers.getSetCookie()[0]).toMatch(/^ruts=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
  });

  it('rejects a cookie sealed with another secret', async () => {
    const { guard } = setup();
    const other = createSessionManager({
      secret: 'another-secret-that-is-long-enough-9876543210',
      store: memoryStore(),
      cookie,
    });
    expect((await guard(request(await liveSessionCookie(other)))).status).toBe(307);
  });

  it('lets a session destroyed in the store through, as it cannot see the store', async () => {
    // The documented difference from the proxy guard, which redirects this request.
    const { manager, guard } = setup();
    const value = await liveSessionCookie(manager);
    await manager.open(value).destroy();
    const response = await guard(request(value));
    expect(response.headers.get('x-middleware-next')).toBe('1');
  });

  it('rejects a cookie whose seal has expired', async () => {
    // Faked before the guard exists, since the sealer keeps the clock it was built with.
    vi.useFakeTimers({ toFake: ['Date'] });
    const { manager, guard } = setup();
    const value = await liveSessionCookie(manager);
    expect((await guard(request(value))).status).toBe(200);
    vi.setSystemTime(Date.now() + 2 * absoluteTimeout * 1000);
    expect((await guard(request(value))).status).toBe(307);
  });

  it('looks for the __Host- cookie when the cookie options are secure', async () => {
    const manager = createSessionManager({
      secret,
      store: memoryStore(),
      cookie: { secure: true },
    });
    const guard = createEdgeGuard({ secret, cookie: { secure: true } });
    const value = await liveSessionCookie(manager);
    const response = await guard(
      new NextRequest('https://example.com/', { headers: { cookie: `__Host-ruts=${value}` } }),
    );
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(
      await guard.verifySessionCookie(
        new Request('https://example.com/', { headers: { cookie: `__Host-ruts=${value}` } }),
      ),
    ).toBe(true);
  });
});

describe('createEdgeGuard options', () => {
  it('rejects a weak secret and a non-positive absoluteTimeout at creation', () => {
    expect(() => createEdgeGuard({ secret: 'short' })).toThrow(ConfigError);
    expect(() => createEdgeGuard({ secret, absoluteTimeout: 0 })).toThrow(/absoluteTimeout/);
  });
});

describe('verifySessionCookie', () => {
  it('tells whether a plain Request carries a validly sealed session cookie', async () => {
    const { manager, guard } = setup();
    const value = await liveSessionCookie(manager);
    const withCookie = (v: string) =>
      new Request('https://example.com/', { headers: { cookie: `ruts=${v}` } });
    expect(await guard.verifySessionCookie(withCookie(value))).toBe(true);
    expect(await guard.verifySessionCookie(withCookie(tamper(value)))).toBe(false);
    expect(await guard.verifySessionCookie(withCookie(''))).toBe(false);
    expect(await guard.verifySessionCookie(new Request('https://example.com/'))).toBe(false);
  });
});
