import './support/next-runtime.ts';
import { NextRequest } from 'next/server.js';
import { describe, expect, it } from 'vitest';
import { createSessions } from '../../src/next/create-sessions.ts';
import { memoryStore } from '../support/memory-store.ts';
import { liveSessionCookie, tamper } from './support/session-cookies.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

function setup() {
  const store = memoryStore();
  const sessions = createSessions({ secret, store, cookie: { secure: false } });
  return { store, sessions, guard: sessions.guard({ redirectTo: '/login' }) };
}

function request(cookieValue?: string): NextRequest {
  return new NextRequest('https://example.com/account?tab=orders', {
    headers: cookieValue === undefined ? {} : { cookie: `ruts=${cookieValue}` },
  });
}

describe('the proxy guard', () => {
  it('lets a request with a live session through', async () => {
    const { sessions, guard } = setup();
    const response = await guard(request(await liveSessionCookie(sessions.manager)));
    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('redirects a request without a cookie to redirectTo with the path to return to', async () => {
    const { guard } = setup();
    const response = await guard(request());
    const location = new URL(response.headers.get('Location') ?? '');
    expect(location.pathname).toBe('/login');
    expect(location.searchParams.get('next')).toBe('/account?tab=orders');
  });

  it('redirects a tampered cookie, clears it and marks the response private', async () => {
    const { sessions, guard } = setup();
    const response = await guard(request(tamper(await liveSessionCookie(sessions.manager))));
    expect(response.status).toBe(307);
    expect(response.headers.getSetCookie()[0]).toMatch(/^ruts=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
  });

  it('redirects and clears a validly sealed cookie whose session was destroyed in the store', async () => {
    const { sessions, guard } = setup();
    const value = await liveSessionCookie(sessions.manager);
    await sessions.manager.open(value).destroy();
    const response = await guard(request(value));
    expect(response.status).toBe(307);
    expect(response.headers.getSetCookie()[0]).toMatch(/^ruts=;/);
  });

  it('continues without redirectTo, forwarding the request without the dead cookie', async () => {
    const { sessions } = setup();
    const value = await liveSessionCookie(sessions.manager);
    await sessions.manager.open(value).destroy();
    const response = await sessions.guard()(
      new NextRequest('https://example.com/', { headers: { cookie: `a=1; ruts=${value}` } }),
    );
    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(response.headers.get('x-middleware-request-cookie')).toBe('a=1');
    expect(response.headers.getSetCookie()[0]).toMatch(/^ruts=;/);
  });
});
