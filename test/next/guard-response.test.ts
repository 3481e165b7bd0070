import { NextRequest } from 'next/server.js';
import { describe, expect, it } from 'vitest';
import { resolveCookieOptions } from '../../src/core/cookie-options.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { createGuard, type GuardOptions } from '../../src/next/guard-response.ts';
import { parseSetCookies } from './support/next-request.ts';

const cookie = resolveCookieOptions({ secure: false });

/** A guard whose idea of a live session is the cookie value 'live'. */
function guard(options: GuardOptions = {}) {
  const checked: string[] = [];
  const run = createGuard(cookie, options, async (value) => {
    checked.push(value);
    return value === 'live';
  });
  return { run, checked };
}

function request(path: string, cookieHeader?: string, method = 'GET'): NextRequest {
  return new NextRequest(`https://example.com${path}`, {
    method,
    headers: cookieHeader ? { cookie: cookieHeader } : {},
  });
}

describe('a guard with redirectTo', () => {
  it('redirects a request without a cookie, carrying its path and query', async () => {
    const { run, checked } = guard({ redirectTo: '/login' });
    const response = await run(request('/account/orders?page=2'));
    expect(response.status).toBe(307);
    const location = new URL(response.headers.get('Location') ?? '');
    expect(location.pathname).toBe('/login');
    expect(location.searchParams.get('next')).toBe('/account/orders?page=2');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
    expect(checked).toEqual([]);
  });

  it('lets a live session through untouched', async () => {
    const { run } = guard({ redirectTo: '/login' });
    const response = await run(request('/account', 'ruts=live'));
    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(response.headers.get('x-middleware-override-headers')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('Cache-Control')).toBeNull();
  });

  it('redirects a dead cookie and clears it with its attributes repeated', async () => {
    const { run } = guard({ redirectTo: '/login' });
    const response = await run(request('/account', 'ruts=forged'));
    expect(response.status).toBe(307);
    expect(response.headers.getSetCookie()).toEqual([
      'ruts=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=lax',
    ]);
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
  });

  it('uses the configured return parameter and keeps the target query', async () => {
    const { run } = guard({ redirectTo: '/login?reason=expired', returnToParam: 'returnTo' });
    const location = new URL((await run(request('/a?b=c'))).headers.get('Location') ?? '');
    expect(location.searchParams.get('reason')).toBe('expired');
    expect(location.searchParams.get('returnTo')).toBe('/a?b=c');
  });

  it('never hands the sign-in page a return path that reads as another origin', async () => {
    const { run } = guard({ redirectTo: '/login' });
    const location = new URL(
      (await run(request('//evil.example/x'))).headers.get('Location') ?? '',
    );
    expect(location.origin).toBe('https://example.com');
    expect(location.searchParams.get('next')).toBe('/evil.example/x');
  });

  it('redirects to an absolute URL on another origin', async () => {
    const { run } = guard({ redirectTo: 'https://auth.example.net/sign-in' });
    const location = new URL((await run(request('/a'))).headers.get('Location') ?? '');
    expect(location.origin).toBe('https://auth.example.net');
    expect(location.pathname).toBe('/sign-in');
    expect(location.searchParams.get('next')).toBe('/a');
  });

  it('answers a form post with 303, so the sign-in page is fetched rather than posted to', async () => {
    const { run } = guard({ redirectTo: '/login' });
    expect((await run(request('/account', undefined, 'POST'))).status).toBe(303);
  });

  it('lets requests for the redirect target itself through, so it cannot loop', async () => {
    const { run } = guard({ redirectTo: '/login' });
    const response = await run(request('/login?next=%2Fa'));
    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(response.headers.get('Location')).toBeNull();
  });
});

describe('a guard without redirectTo', () => {
  it('lets a request without a cookie continue unchanged', async () => {
    const { run } = guard();
    const response = await run(request('/account', 'theme=dark'));
    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(response.headers.get('x-middleware-override-headers')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('clears a dead cookie and forwards the request without it, other cookies intact', async () => {
    const { run } = guard();
    const response = await run(request('/account', 'theme=dark; ruts=forged; consent=a%3Db'));
    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(response.headers.get('x-middleware-override-headers')?.split(',')).toContain('cookie');
    expect(response.headers.get('x-middleware-request-cookie')).toBe('theme=dark; consent=a%3Db');
    const [removal] = parseSetCookies(response.headers.getSetCookie());
    expect(removal).toMatchObject({ name: 'ruts', path: '/', httpOnly: true });
    expect(removal?.value ?? '').toBe('');
    expect(removal?.expires).toEqual(new Date(0));
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
  });

  it('drops the Cookie header from the forwarded request when the session cookie was its only one', async () => {
    const { run } = guard();
    const response = await run(request('/account', 'ruts=forged'));
    const overridden = response.headers.get('x-middleware-override-headers')?.split(',') ?? [];
    expect(overridden).not.toContain('cookie');
    expect(response.headers.get('x-middleware-request-cookie')).toBeNull();
  });

  it('clears an empty session cookie without checking it', async () => {
    const { run, checked } = guard();
    const response = await run(request('/account', 'ruts='));
    expect(checked).toEqual([]);
    expect(response.headers.getSetCookie()).toHaveLength(1);
  });
});

describe('createGuard options', () => {
  it.each(['login', '//evil.example/login', 'javascript:alert(1)'])(
    'rejects redirectTo %j',
    (redirectTo) => {
      expect(() => guard({ redirectTo })).toThrow(ConfigError);
    },
  );

  it('rejects an empty returnToParam', () => {
    expect(() => guard({ redirectTo: '/login', returnToParam: '' })).toThrow(ConfigError);
  });
});
