import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateSessionId,
  hashSessionId,
  isWellFormedSessionId,
  sessionFamily,
} from '../../src/core/session-id.ts';

describe('generateSessionId', () => {
  it('returns 51 base64url characters without padding', () => {
    expect(generateSessionId()).toMatch(/^[A-Za-z0-9_-]{51}$/);
  });

  it('carries at least 256 random bits after the family', () => {
    const secretPart = generateSessionId().slice(8);
    expect(secretPart).toHaveLength(43);
    expect(Buffer.from(secretPart, 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  it('keeps a given family and draws a fresh secret part', () => {
    const first = generateSessionId();
    const second = generateSessionId(sessionFamily(first));
    expect(sessionFamily(second)).toBe(sessionFamily(first));
    expect(second.slice(8)).not.toBe(first.slice(8));
    expect(isWellFormedSessionId(second)).toBe(true);
  });

  it('refuses a malformed family', () => {
    expect(() => generateSessionId('short')).toThrow(TypeError);
    expect(() => generateSessionId('has/slash')).toThrow(TypeError);
  });

  it('spreads fresh ids over many families', () => {
    const families = new Set(
      Array.from({ length: 1_000 }, () => sessionFamily(generateSessionId())),
    );
    expect(families.size).toBe(1_000);
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
    ['one character short', 'a'.repeat(50)],
    ['one character long', 'a'.repeat(52)],
    ['empty', ''],
    ['padded', `${'a'.repeat(50)}=`],
    ['standard base64 +', `${'a'.repeat(50)}+`],
    ['standard base64 /', `${'a'.repeat(50)}/`],
    ['surrounded by spaces', ` ${'a'.repeat(51)} `],
    ['followed by a newline', `${'a'.repeat(51)}\n`],
  ])('rejects a string %s', (_name, value) => {
    expect(isWellFormedSessionId(value)).toBe(false);
  });

  it.each([undefined, null, 51, {}, ['a'.repeat(51)]])('rejects the non-string %s', (value) => {
    expect(isWellFormedSessionId(value)).toBe(false);
  });
});

describe('hashSessionId', () => {
  it('is the family, a dot, and SHA-256 of the UTF-8 id in base64url, computed independently', async () => {
    const id = generateSessionId();
    const expected = createHash('sha256').update(id, 'utf8').digest('base64url');
    expect(await hashSessionId(id)).toBe(`${id.slice(0, 8)}.${expected}`);
  });

  it('matches a fixed vector', async () => {
    // SHA-256("abc"), the FIPS 180-2 example, in base64url, behind the family (here "abc")
    expect(await hashSessionId('abc')).toBe('abc.ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('is deterministic, 52 characters long, and holds no more of the id than its family', async () => {
    const id = generateSessionId();
    const key = await hashSessionId(id);
    expect(await hashSessionId(id)).toBe(key);
    expect(key).toMatch(/^[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain(id.slice(8, 16));
  });

  it('gives a regenerated id the same family but a different key', async () => {
    const id = generateSessionId();
    const renamed = generateSessionId(sessionFamily(id));
    const [a, b] = [await hashSessionId(id), await hashSessionId(renamed)];
    expect(sessionFamily(a)).toBe(sessionFamily(b));
    expect(a).not.toBe(b);
  });

  it('gives different ids different keys', async () => {
    expect(await hashSessionId(generateSessionId())).not.toBe(
      await hashSessionId(generateSessionId()),
    );
  });
});
