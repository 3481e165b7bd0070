import { defaults, seal as ironSeal } from 'iron-webcrypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CookieSealer,
  type CookieSealerOptions,
  normalizeSecrets,
} from '../../src/core/cookie-seal.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { generateSessionId, hashSessionId } from '../../src/core/session-id.ts';
import { HmacSha256 } from '../../src/core/sha256.ts';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const NEW_SECRET = 'newer-secret-0123456789-abcdefghijklmno';
const OTHER_SECRET = 'other-secret-0123456789-abcdefghijklmno';
const TTL_SECONDS = 3600;

function sealer(options: Partial<CookieSealerOptions> = {}): CookieSealer {
  return new CookieSealer({ secret: SECRET, ttlSeconds: TTL_SECONDS, ...options });
}

/**
 * Counts every call into crypto: Web Crypto's, and on Node the `node:crypto` functions ruts
 * reaches at run time, which is where all the sealing's and hashing's work goes.
 */
function countCryptoCalls(): () => number {
  const methods = [
    'importKey',
    'deriveKey',
    'deriveBits',
    'sign',
    'verify',
    'encrypt',
    'decrypt',
    'digest',
  ] as const;
  const node = process.getBuiltinModule('node:crypto');
  const nodeMethods = [
    'pbkdf2Sync',
    'createHash',
    'createHmac',
    'createCipheriv',
    'createDecipheriv',
  ] as const;
  const spies = [
    ...methods.map((method) => vi.spyOn(crypto.subtle, method)),
    ...nodeMethods.map((method) => vi.spyOn(node, method)),
    // The HMAC is ruts' own, in JavaScript.
    vi.spyOn(HmacSha256.prototype, 'digest'),
    vi.spyOn(HmacSha256.prototype, 'verify'),
  ];
  return () => spies.reduce((total, spy) => total + spy.mock.calls.length, 0);
}

/** Swaps one character for another of the same kind, so the result still looks like a seal. */
function flipAt(value: string, index: number): string {
  const char = value.charAt(index);
  let flipped: string;
  if (/[0-9]/.test(char)) flipped = String((Number(char) + 1) % 10);
  else if (/[a-z]/.test(char))
    flipped = char === 'z' ? 'a' : String.fromCharCode(char.charCodeAt(0) + 1);
  else if (/[A-Z]/.test(char))
    flipped = char === 'Z' ? 'A' : String.fromCharCode(char.charCodeAt(0) + 1);
  else flipped = char === '-' ? '_' : '-';
  return value.slice(0, index) + flipped + value.slice(index + 1);
}

/** Index of the first and middle character of each `*`-separated part. */
function partIndexes(sealed: string): { part: number; first: number; middle: number }[] {
  let offset = 0;
  return sealed.split('*').map((text, part) => {
    const result = { part, first: offset, middle: offset + Math.floor(text.length / 2) };
    offset += text.length + 1;
    return result;
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('CookieSealer', () => {
  describe('round trip', () => {
    it('unseals what it sealed to the id and its store key', async () => {
      const s = sealer();
      const id = generateSessionId();
      expect(await s.unseal(await s.seal(id))).toEqual({ id, key: await hashSessionId(id) });
    });

    it('unseals in another sealer with the same secret, which has nothing cached', async () => {
      const id = generateSessionId();
      const sealed = await sealer().seal(id);
      expect(await sealer().unseal(sealed)).toEqual({ id, key: await hashSessionId(id) });
    });

    it('produces a cookie-safe iron seal that names its secret id and carries an expiry', async () => {
      const sealed = await sealer({ now: () => 1_700_000_000_000 }).seal(generateSessionId());
      expect(sealed).toMatch(/^Fe26\.2\*1\*/);
      expect(sealed).toMatch(/^[A-Za-z0-9*._-]+$/);
      expect(sealed.length).toBeLessThan(400);
      // iron reads Date.now() itself, a moment after the sealer took its clock offset, so on a
      // slow machine the expiry it writes can be a few milliseconds late, never early.
      const expiry = Number(sealed.split('*')[5]);
      expect(expiry).toBeGreaterThanOrEqual(1_700_000_000_000 + TTL_SECONDS * 1000);
      expect(expiry).toBeLessThan(1_700_000_000_000 + TTL_SECONDS * 1000 + 50);
    });

    it('seals the same id differently each time', async () => {
      const s = sealer();
      const id = generateSessionId();
      expect(await s.seal(id)).not.toBe(await s.seal(id));
    });

    it('refuses to seal something that is not a session id', async () => {
      await expect(sealer().seal('short')).rejects.toThrow(TypeError);
    });
  });

  describe('rejecting what is not a valid seal', () => {
    it.each(['first', 'middle'] as const)(
      'returns undefined when the %s character of any part is changed',
      async (position) => {
        const s = sealer();
        const sealed = await s.seal(generateSessionId());
        for (const indexes of partIndexes(sealed)) {
          const tampered = flipAt(sealed, indexes[position]);
          expect(tampered, `part ${indexes.part}`).not.toBe(sealed);
          expect(await s.unseal(tampered), `part ${indexes.part}`).toBeUndefined();
          expect(await sealer().unseal(tampered), `part ${indexes.part}`).toBeUndefined();
        }
      },
    );

    it('returns undefined for a truncated seal', async () => {
      const s = sealer();
      const sealed = await s.seal(generateSessionId());
      for (const length of [sealed.length - 1, sealed.length - 10, sealed.length >> 1, 7, 1]) {
        expect(await s.unseal(sealed.slice(0, length))).toBeUndefined();
      }
    });

    it('accepts one spelling of a seal only, though iron decodes base64url leniently', async () => {
      const s = sealer();
      const sealed = await s.seal(generateSessionId());
      const parts = sealed.split('*');
      const hmac = parts[7] as string;
      // The hmac's last digit carries two unused bits; flipping them decodes to the same bytes.
      const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = digits.indexOf(hmac.charAt(hmac.length - 1));
      const twin = `${hmac.slice(0, -1)}${digits.charAt(last + 1)}`;
      const respellings = [
        `${sealed} `,
        [...parts.slice(0, 7), `${hmac.slice(0, 10)}/${hmac.slice(10)}`].join('*'),
        [...parts.slice(0, 7), `${hmac.slice(0, 10)}=${hmac.slice(10)}`].join('*'),
        [...parts.slice(0, 7), twin].join('*'),
      ];
      for (const value of respellings) expect(await s.unseal(value)).toBeUndefined();
      expect(await s.unseal(sealed)).toBeDefined();
    });

    it('returns undefined for a seal with something appended', async () => {
      const s = sealer();
      const sealed = await s.seal(generateSessionId());
      expect(await s.unseal(`${sealed}A`)).toBeUndefined();
      expect(await s.unseal(`${sealed}*`)).toBeUndefined();
    });

    it.each([
      ['an empty string', ''],
      ['undefined', undefined],
      ['null', null],
      ['a bare session id', 'a'.repeat(51)],
      ['the seal prefix alone', 'Fe26.2*'],
      ['seal-shaped garbage with a future expiry', 'Fe26.2*1*x*y*z*99999999999999*s*h'],
      ['seal-shaped garbage with bad base64', 'Fe26.2*1*ab*!!*??*99999999999999*cd*%%'],
      ['a seal with too many parts', 'Fe26.2*1*a*b*c*99999999999999*d*e*f'],
      ['a seal with an empty secret id', 'Fe26.2**a*b*c*99999999999999*d*e'],
      ['an over-long value', `Fe26.2*1*${'a'.repeat(5000)}`],
    ])('returns undefined for %s', async (_name, value) => {
      expect(await sealer().unseal(value)).toBeUndefined();
    });

    it('returns undefined for values that are not strings at all', async () => {
      for (const value of [42, {}, [], Symbol('x')]) {
        expect(await sealer().unseal(value as never)).toBeUndefined();
      }
    });

    it('returns undefined for random garbage', async () => {
      const s = sealer();
      for (let i = 0; i < 50; i++) {
        const bytes = crypto.getRandomValues(new Uint8Array(1 + (i % 40) * 8));
        expect(await s.unseal(Buffer.from(bytes).toString('base64url'))).toBeUndefined();
        expect(await s.unseal(new TextDecoder().decode(bytes))).toBeUndefined();
      }
    });

    it('returns undefined for a seal made with a different secret under the same id', async () => {
      const sealed = await sealer({ secret: OTHER_SECRET }).seal(generateSessionId());
      expect(await sealer().unseal(sealed)).toBeUndefined();
    });

    describe('around the wrong payload, sealed with the right secret', () => {
      const ironOptions = { ...defaults, ttl: TTL_SECONDS * 1000 };
      const password = { id: '1', secret: SECRET };

      it('accepts a well-formed id sealed directly with iron, the control for the cases below', async () => {
        const id = generateSessionId();
        expect((await sealer().unseal(await ironSeal(id, password, ironOptions)))?.id).toBe(id);
      });

      it.each([
        ['an object', { a: 1 }],
        ['a short string', 'short'],
        ['a 44-character string', 'a'.repeat(44)],
        ['a number', 42],
        ['null', null],
        ['an array holding an id', [generateSessionId()]],
      ])('returns undefined for %s', async (_name, payload) => {
        expect(
          await sealer().unseal(await ironSeal(payload, password, ironOptions)),
        ).toBeUndefined();
      });

      it('returns undefined for a seal without an expiry', async () => {
        const forever = await ironSeal(generateSessionId(), password, { ...defaults, ttl: 0 });
        expect(await sealer().unseal(forever)).toBeUndefined();
      });
    });
  });

  describe('rotation', () => {
    it('keeps cookies sealed with a string secret valid after moving to { 1: it, 2: new }', async () => {
      const id = generateSessionId();
      const sealed = await sealer({ secret: SECRET }).seal(id);
      const rotated = sealer({ secret: { 1: SECRET, 2: NEW_SECRET } });
      expect((await rotated.unseal(sealed))?.id).toBe(id);
    });

    it('seals new cookies with the numerically highest id', async () => {
      const s = sealer({ secret: { 9: SECRET, 10: NEW_SECRET, 2: OTHER_SECRET } });
      const sealed = await s.seal(generateSessionId());
      expect(sealed.split('*')[1]).toBe('10');
      expect(await sealer({ secret: { 10: NEW_SECRET } }).unseal(sealed)).toBeDefined();
    });

    it('still unseals cookies sealed under any configured id', async () => {
      const id = generateSessionId();
      const old = await sealer({ secret: { 1: SECRET } }).seal(id);
      const older = await sealer({ secret: { 0: OTHER_SECRET } }).seal(id);
      const rotated = sealer({ secret: { 0: OTHER_SECRET, 1: SECRET, 2: NEW_SECRET } });
      expect((await rotated.unseal(old))?.id).toBe(id);
      expect((await rotated.unseal(older))?.id).toBe(id);
    });

    it('rejects cookies whose secret id is no longer configured, though another sealer cached them', async () => {
      const before = sealer({ secret: SECRET });
      const sealed = await before.seal(generateSessionId());
      expect(await before.unseal(sealed)).toBeDefined();
      expect(await sealer({ secret: { 2: NEW_SECRET } }).unseal(sealed)).toBeUndefined();
      expect(await sealer({ secret: { 1: NEW_SECRET, 2: SECRET } }).unseal(sealed)).toBeUndefined();
    });
  });

  describe('expiry', () => {
    it('accepts a cookie until its ttl runs out, then rejects it even from the cache', async () => {
      let now = 1_700_000_000_000;
      const s = sealer({ now: () => now });
      const sealed = await s.seal(generateSessionId());
      now += TTL_SECONDS * 1000 - 1;
      expect(await s.unseal(sealed)).toBeDefined();
      // iron reads the wall clock itself when it seals, a moment after the offset that maps it
      // to the injected clock was taken: the expiry it writes may be a millisecond or so later.
      now += 1 + 50;
      expect(await s.unseal(sealed)).toBeUndefined();
    });

    it('rejects an expired cookie in a sealer that never cached it, without crypto', async () => {
      let now = 1_700_000_000_000;
      const sealed = await sealer({ now: () => now }).seal(generateSessionId());
      // Past the expiry iron may have written a millisecond late (see above).
      now += TTL_SECONDS * 1000 + 50;
      const calls = countCryptoCalls();
      expect(await sealer({ now: () => now }).unseal(sealed)).toBeUndefined();
      expect(calls()).toBe(0);
    });

    it('has iron check expiry against the injected clock', async () => {
      const longAgo = Date.now() - 10 * 365 * 24 * 3600 * 1000;
      const sealed = await sealer({ now: () => longAgo }).seal(generateSessionId());
      // Long expired by the real clock, but live by the injected one: only passes if every check
      // of the expiry sees the injected clock.
      expect(await sealer({ now: () => longAgo + 1000 }).unseal(sealed)).toBeDefined();
      expect(await sealer().unseal(sealed)).toBeUndefined();
    });

    it('accepts a fractional ttl and clock', async () => {
      const s = sealer({ ttlSeconds: 1.5, now: () => 1_700_000_000_000.25 });
      expect(await s.unseal(await s.seal(generateSessionId()))).toBeDefined();
      expect(
        await sealer({ ttlSeconds: 1.5, now: () => 1_700_000_000_001 }).unseal(
          await s.seal(generateSessionId()),
        ),
      ).toBeDefined();
    });
  });

  describe('cache', () => {
    it('trusts a cookie it sealed without any crypto', async () => {
      const s = sealer();
      const id = generateSessionId();
      const sealed = await s.seal(id);
      const key = await hashSessionId(id);
      const calls = countCryptoCalls();
      expect(await s.unseal(sealed)).toEqual({ id, key });
      expect(calls()).toBe(0);
    });

    it('verifies a cookie with crypto once, then trusts it without', async () => {
      // Sealed where nothing is cached, so the sealer under test starts without this seal.
      const sealed = await sealer({ cacheSize: 0 }).seal(generateSessionId());
      const s = sealer();
      const calls = countCryptoCalls();
      expect(await s.unseal(sealed)).toBeDefined();
      const afterFirst = calls();
      expect(afterFirst).toBeGreaterThan(0);
      expect(await s.unseal(sealed)).toBeDefined();
      expect(await s.unseal(sealed)).toBeDefined();
      expect(calls()).toBe(afterFirst);
    });

    it('shares what it verified with every sealer of the same secrets in the process', async () => {
      const sealed = await sealer().seal(generateSessionId());
      // Another sealer, as made by a second evaluation of the module that creates the sessions.
      const sibling = sealer();
      const calls = countCryptoCalls();
      expect(await sibling.unseal(sealed)).toBeDefined();
      expect(calls()).toBe(0);
      // Same secret id, other secret: the cached entry must not vouch for the seal here.
      const stranger = sealer({ secret: OTHER_SECRET });
      expect(await stranger.unseal(sealed)).toBeUndefined();
      expect(calls()).toBeGreaterThan(0);
    });

    it('does not remember failures: a bad seal pays for crypto every time', async () => {
      const s = sealer();
      const sealed = await s.seal(generateSessionId());
      const tampered = flipAt(sealed, sealed.lastIndexOf('*') + 1);
      const calls = countCryptoCalls();
      expect(await s.unseal(tampered)).toBeUndefined();
      const afterFirst = calls();
      expect(afterFirst).toBeGreaterThan(0);
      expect(await s.unseal(tampered)).toBeUndefined();
      expect(calls()).toBe(afterFirst * 2);
    });

    it('rejects what cannot be a seal without any crypto', async () => {
      const s = sealer();
      const sealed = await s.seal(generateSessionId());
      const calls = countCryptoCalls();
      const parts = sealed.split('*');
      const unknownId = [parts[0], '7', ...parts.slice(2)].join('*');
      const expired = [...parts.slice(0, 5), '1000', ...parts.slice(6)].join('*');
      for (const value of ['garbage', `X${sealed.slice(1)}`, unknownId, expired, `${sealed}*x`]) {
        expect(await s.unseal(value)).toBeUndefined();
      }
      expect(calls()).toBe(0);
    });

    it('keeps at most cacheSize cookies, forgetting the least recently used', async () => {
      const s = sealer({ cacheSize: 2 });
      const [first, second, third] = [
        await s.seal(generateSessionId()),
        await s.seal(generateSessionId()),
        await s.seal(generateSessionId()),
      ];
      const calls = countCryptoCalls();
      expect(await s.unseal(third)).toBeDefined();
      expect(await s.unseal(second)).toBeDefined();
      expect(calls()).toBe(0);
      expect(await s.unseal(first)).toBeDefined();
      expect(calls()).toBeGreaterThan(0);
    });

    it('does no caching with cacheSize 0', async () => {
      const s = sealer({ cacheSize: 0 });
      const sealed = await s.seal(generateSessionId());
      const calls = countCryptoCalls();
      expect(await s.unseal(sealed)).toBeDefined();
      expect(calls()).toBeGreaterThan(0);
    });
  });

  describe('configuration', () => {
    it.each([
      ['a short string', 'too-short', /at least 32/],
      ['a missing secret', undefined, /missing/],
      ['null', null, /null/],
      ['an array', [SECRET], /array/],
      ['an empty map', {}, /empty/],
      ['a map with a short secret', { 1: SECRET, 2: 'short' }, /secret 2 is 5 characters/],
      ['a map with a non-string secret', { 1: 12345 }, /secret 1 is a number/],
      ['a non-numeric id', { current: SECRET }, /"current" is not a non-negative integer/],
      ['a negative id', { '-1': SECRET }, /"-1"/],
      ['a fractional id', { '1.5': SECRET }, /"1.5"/],
      ['an id with a leading zero', { '01': SECRET }, /"01"/],
      ['an id past the safe integers', { '9007199254740993': SECRET }, /"9007199254740993"/],
    ])('refuses %s with a ConfigError that says how to fix it', (_name, secret, message) => {
      const create = () => sealer({ secret: secret as never });
      expect(create).toThrow(ConfigError);
      expect(create).toThrow(message);
    });

    it('suggests how to generate a secret', () => {
      expect(() => sealer({ secret: 'short' })).toThrow(/openssl rand -base64 32/);
    });

    it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60'])(
      'refuses ttlSeconds %s',
      (ttlSeconds) => {
        expect(() => sealer({ ttlSeconds: ttlSeconds as number })).toThrow(/ttlSeconds/);
      },
    );

    it.each([-1, 2.5])('refuses cacheSize %s', (cacheSize) => {
      expect(() => sealer({ cacheSize })).toThrow(/cacheSize/);
    });
  });
});

describe('normalizeSecrets', () => {
  it('gives a plain string the id 1', () => {
    expect(normalizeSecrets(SECRET)).toEqual({
      current: { id: '1', secret: SECRET },
      all: { 1: SECRET },
    });
  });

  it('picks the numerically highest id, not the last or the lexically greatest', () => {
    const secrets = normalizeSecrets({ 10: NEW_SECRET, 9: SECRET, 2: OTHER_SECRET });
    expect(secrets.current).toEqual({ id: '10', secret: NEW_SECRET });
    expect(secrets.all).toEqual({ 2: OTHER_SECRET, 9: SECRET, 10: NEW_SECRET });
  });

  it('accepts 0 as an id', () => {
    expect(normalizeSecrets({ 0: SECRET }).current.id).toBe('0');
  });
});
