import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  MAX_COOKIE_AGE_SECONDS,
  removalCookie,
  resolveCookieOptions,
  sessionCookie,
} from '../../src/core/cookie-options.ts';
import { ConfigError } from '../../src/core/errors.ts';

describe('resolveCookieOptions', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('defaults to HttpOnly, SameSite=Lax, Path=/ and a long-lived cookie', () => {
    const { name, attributes, sealTtlSeconds } = resolveCookieOptions({ secure: false });
    expect(name).toBe('ruts');
    expect(attributes).toEqual({
      httpOnly: true,
      sameSite: 'lax',
      secure: false,
      path: '/',
      maxAge: MAX_COOKIE_AGE_SECONDS,
    });
    expect(sealTtlSeconds).toBe(MAX_COOKIE_AGE_SECONDS);
  });

  it('is Secure with the __Host- prefix in production', () => {
    vi.stubEnv('NODE_ENV', 'production');
    const resolved = resolveCookieOptions();
    expect(resolved.attributes.secure).toBe(true);
    expect(resolved.name).toBe('__Host-ruts');
  });

  it('is not Secure outside production, so http://localhost works', () => {
    vi.stubEnv('NODE_ENV', 'development');
    const resolved = resolveCookieOptions();
    expect(resolved.attributes.secure).toBe(false);
    expect(resolved.name).toBe('ruts');
  });

  it('applies __Host- only where the options allow it', () => {
    expect(resolveCookieOptions({ secure: true }).name).toBe('__Host-ruts');
    expect(resolveCookieOptions({ secure: true, domain: 'example.com' }).name).toBe('ruts');
    expect(resolveCookieOptions({ secure: true, path: '/app' }).name).toBe('ruts');
    expect(resolveCookieOptions({ secure: true, hostPrefix: false }).name).toBe('ruts');
  });

  it('refuses a demanded __Host- prefix that the options rule out', () => {
    expect(() => resolveCookieOptions({ hostPrefix: true, secure: false })).toThrow(ConfigError);
    expect(() =>
      resolveCookieOptions({ hostPrefix: true, secure: true, domain: 'example.com' }),
    ).toThrow(/__Host- prefix needs secure: true, path "\/" and no domain/);
  });

  it('refuses SameSite=None without Secure, bad names, and a non-positive maxAge', () => {
    expect(() => resolveCookieOptions({ sameSite: 'none', secure: false })).toThrow(
      /requires cookie.secure/,
    );
    expect(() => resolveCookieOptions({ name: 'has space' })).toThrow(ConfigError);
    expect(() => resolveCookieOptions({ name: '__Host-x' })).toThrow(/already carries a prefix/);
    expect(() => resolveCookieOptions({ maxAge: 0 })).toThrow(/positive number of seconds/);
    expect(() => resolveCookieOptions({ path: 'app' })).toThrow(/must start with "\/"/);
  });

  it('bounds maxAge by the absolute timeout and by the 400-day browser cap', () => {
    expect(resolveCookieOptions({}, 3600).attributes.maxAge).toBe(3600);
    expect(resolveCookieOptions({ maxAge: 10 ** 9 }).attributes.maxAge).toBe(
      MAX_COOKIE_AGE_SECONDS,
    );
  });

  it("makes a browser-session cookie for maxAge 'session', with a bounded seal", () => {
    const resolved = resolveCookieOptions({ maxAge: 'session' }, 7200);
    expect(resolved.attributes.maxAge).toBeUndefined();
    expect(resolved.sealTtlSeconds).toBe(7200);
  });

  it('writes live cookies with a positive Max-Age and removals that repeat every scope attribute', () => {
    const resolved = resolveCookieOptions({ secure: true, domain: 'example.com', path: '/shop' });
    const live = sessionCookie(resolved, 'sealed');
    expect(live.value).toBe('sealed');
    expect(live.attributes.maxAge).toBeGreaterThan(0);
    const removal = removalCookie(resolved);
    expect(removal).toEqual({
      name: 'ruts',
      value: '',
      attributes: {
        httpOnly: true,
        sameSite: 'lax',
        secure: true,
        path: '/shop',
        domain: 'example.com',
        maxAge: 0,
        expires: new Date(0),
      },
    });
  });
});
