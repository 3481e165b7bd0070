import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base64url,
  generateSessionId,
  hashSessionId,
  isWellFormedSessionId,
} from '../../src/core/session-id.ts';

describe('generateSessionId', () => {
  it('returns 43 base64url characters without padding', () => {
    expect(generateSessionId()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('encodes 32 random bytes', () => {
    expect(Buffer.from(generateSessionId(), 'base64url')).toHaveLength(32);
  });

  it('does not repeat over many ids', () => {
    const ids = new Set(Array.from({ length: 10_000 }, generateSessionId));
    expect(ids.size).toBe(10_000);
  });
});

describe('isWellFormedSessionId', () => {
  it('accepts generated ids', () => {
    for (let i = 0; i < 100; i++) expect(isWellFormedSessionId(generateSessionId())).toBe(true);
  });

  it.each([
    ['one character short', 'a'.repeat(42)],
    ['one character long', 'a'.repeat(44)],
    ['empty', ''],
    ['padded', `${'a'.repeat(42)}=`],
    ['standard base64 +', `${'a'.repeat(42)}+`],
    ['standard base64 /', `${'a'.repeat(42)}/`],
    ['surrounded by spaces', ` ${'a'.repeat(43)} `],
    ['followed by a newline', `${'a'.repeat(43)}\n`],
  ])('rejects a string %s', (_name, value) => {
    expect(isWellFormedSessionId(value)).toBe(false);
  });

  it.each([undefined, null, 43, {}, ['a'.repeat(43)]])('rejects the non-string %s', (value) => {
    expect(isWellFormedSessionId(value)).toBe(false);
  });
});

describe('hashSessionId', () => {
  it('matches SHA-256 of the UTF-8 id in base64url, computed independently', async () => {
    const id = generateSessionId();
    const expected = createHash('sha256').update(id, 'utf8').digest('base64url');
    expect(await hashSessionId(id)).toBe(expected);
  });

  it('matches a fixed vector', async () => {
    // SHA-256("abc"), the FIPS 180-2 example, in base64url
    expect(await hashSessionId('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('is deterministic, 43 characters long, and differs from the id', async () => {
    const id = generateSessionId();
    const key = await hashSessionId(id);
    expect(await hashSessionId(id)).toBe(key);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toBe(id);
  });

  it('gives different ids different keys', async () => {
    expect(await hashSessionId(generateSessionId())).not.toBe(
      await hashSessionId(generateSessionId()),
    );
  });
});

describe('base64url', () => {
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('encodes the RFC 4648 vector %j as %j', (text, expected) => {
    expect(base64url(new TextEncoder().encode(text))).toBe(expected);
  });

  it('uses - and _ where standard base64 uses + and /', () => {
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
  });

  it('agrees with Node for every length up to 100 bytes', () => {
    for (let length = 0; length <= 100; length++) {
      const bytes = randomBytes(length);
      expect(base64url(new Uint8Array(bytes))).toBe(bytes.toString('base64url'));
    }
  });
});
