import './support/next-runtime.ts';
import {
  MutableRequestCookiesAdapter,
  RequestCookiesAdapter,
} from 'next/dist/server/web/spec-extension/adapters/request-cookies.js';
import { RequestCookies } from 'next/dist/server/web/spec-extension/cookies.js';
import { describe, expect, it } from 'vitest';
import {
  removalCookie,
  resolveCookieOptions,
  sessionCookie,
} from '../../src/core/cookie-options.ts';
import { ReadOnlySessionError } from '../../src/core/errors.ts';
import {
  applyCookie,
  type CookieStoreLike,
  isNextReadOnlyCookiesError,
  isReadOnlyCookieStore,
  nextCookieOptions,
  readCookieValue,
} from '../../src/next/next-cookie-jar.ts';
import { NextRequestScope } from './support/next-request.ts';

const resolved = resolveCookieOptions({ secure: true, maxAge: 3600 }, 3600);

/** Next's ReadonlyRequestCookiesError, which its type declarations do not export. */
const nextRefusal = captureError(() =>
  RequestCookiesAdapter.seal(requestCookies()).set('a', 'b'),
) as Error;

function requestCookies(header?: string): RequestCookies {
  return new RequestCookies(new Headers(header ? { cookie: header } : {}));
}

function writableStore(header?: string) {
  const result = { lines: [] as string[], store: undefined as unknown as CookieStoreLike };
  result.store = MutableRequestCookiesAdapter.wrap(requestCookies(header), (lines) => {
    result.lines = lines;
  });
  return result;
}

describe('isReadOnlyCookieStore', () => {
  it("recognises a Server Component's sealed cookie store", () => {
    expect(isReadOnlyCookieStore(RequestCookiesAdapter.seal(requestCookies()))).toBe(true);
  });

  it('recognises the writable store of actions and route handlers', () => {
    expect(isReadOnlyCookieStore(writableStore().store)).toBe(false);
  });

  it('agrees with what cookies() returns in each phase of a real request', async () => {
    const scope = new NextRequestScope('server-action');
    expect(isReadOnlyCookieStore(scope.requestStore.userspaceMutableCookies)).toBe(false);
    scope.endAction();
    expect(isReadOnlyCookieStore(scope.requestStore.cookies)).toBe(true);
    const render = new NextRequestScope('server-component');
    expect(isReadOnlyCookieStore(render.requestStore.cookies)).toBe(true);
  });
});

describe('readCookieValue', () => {
  it('reads the value of the named cookie', () => {
    expect(readCookieValue(requestCookies('a=1; ruts=sealed'), 'ruts')).toBe('sealed');
  });

  it('reads a missing or empty cookie as undefined', () => {
    expect(readCookieValue(requestCookies('a=1'), 'ruts')).toBeUndefined();
    expect(readCookieValue(requestCookies('ruts='), 'ruts')).toBeUndefined();
  });
});

describe('nextCookieOptions', () => {
  it('leaves absent attributes out rather than undefined', () => {
    const options = nextCookieOptions({
      httpOnly: true,
      sameSite: 'lax',
      secure: false,
      path: '/',
    });
    expect(options).toEqual({ httpOnly: true, sameSite: 'lax', secure: false, path: '/' });
    expect('maxAge' in options).toBe(false);
    expect('domain' in options).toBe(false);
  });
});

describe('applyCookie', () => {
  it('sets the cookie so that later reads in the same request see it', () => {
    const jar = writableStore('__Host-ruts=old');
    applyCookie(jar.store, sessionCookie(resolved, 'sealed*value~2'));
    expect(readCookieValue(jar.store, '__Host-ruts')).toBe('sealed*value~2');
  });

  it('serialises a live cookie as the browser must receive it', () => {
    const jar = writableStore();
    applyCookie(jar.store, sessionCookie(resolved, 'sealed*value~2'));
    expect(jar.lines).toHaveLength(1);
    expect(jar.lines[0]).toMatch(
      /^__Host-ruts=sealed\*value~2; Path=\/; Expires=[^;]+; Max-Age=3600; Secure; HttpOnly; SameSite=lax$/,
    );
  });

  it('serialises a removal with Max-Age=0, the epoch and the same Path, Secure and HttpOnly', () => {
    const jar = writableStore('__Host-ruts=old');
    applyCookie(jar.store, removalCookie(resolved));
    expect(jar.lines).toEqual([
      '__Host-ruts=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly; SameSite=lax',
    ]);
  });

  it("turns Next's refusal into ReadOnlySessionError naming the likely operation", () => {
    const sealed = RequestCookiesAdapter.seal(requestCookies());
    const live = captureError(() => applyCookie(sealed, sessionCookie(resolved, 'v')));
    const removal = captureError(() => applyCookie(sealed, removalCookie(resolved)));
    expect(live).toBeInstanceOf(ReadOnlySessionError);
    expect((live as ReadOnlySessionError).operation).toBe('set');
    expect((removal as ReadOnlySessionError).operation).toBe('destroy');
    expect((live as Error).cause).toBeInstanceOf(nextRefusal.constructor);
  });

  it('lets other errors through unchanged', () => {
    const failure = new Error('disk on fire');
    const broken: CookieStoreLike = {
      get: () => undefined,
      set: () => {
        throw failure;
      },
    };
    expect(captureError(() => applyCookie(broken, sessionCookie(resolved, 'v')))).toBe(failure);
  });
});

describe('isNextReadOnlyCookiesError', () => {
  it("matches Next's error by message, as production builds rename the class", () => {
    const renamed = new Error(nextRefusal.message);
    expect(isNextReadOnlyCookiesError(nextRefusal)).toBe(true);
    expect(isNextReadOnlyCookiesError(renamed)).toBe(true);
    expect(isNextReadOnlyCookiesError(new Error('other'))).toBe(false);
    expect(isNextReadOnlyCookiesError('Cookies can only be modified')).toBe(false);
  });
});

function captureError(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
