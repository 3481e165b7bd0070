import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { SealCache, type VerifiedSeal } from '../../src/core/seal-cache.ts';

function entry(id: string, expiresAt = 1_000): VerifiedSeal {
  return { id, key: `key-${id}`, secretId: '1', expiresAt };
}

describe('SealCache', () => {
  it('returns what was set for the same string', () => {
    const cache = new SealCache(10);
    cache.set('sealed-a', entry('a'));
    expect(cache.get('sealed-a', 0)).toEqual(entry('a'));
  });

  it('misses a string it was never given', () => {
    const cache = new SealCache(10);
    cache.set('sealed-a', entry('a'));
    expect(cache.get('sealed-b', 0)).toBeUndefined();
    expect(cache.get('sealed-', 0)).toBeUndefined();
  });

  it('misses and drops an entry once now reaches its expiry', () => {
    const cache = new SealCache(10);
    cache.set('sealed-a', entry('a', 1_000));
    expect(cache.get('sealed-a', 999)).toBeDefined();
    expect(cache.get('sealed-a', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.get('sealed-a', 0)).toBeUndefined();
  });

  it('never expires an entry whose expiry is Infinity', () => {
    const cache = new SealCache(10);
    cache.set('sealed-a', entry('a', Number.POSITIVE_INFINITY));
    expect(cache.get('sealed-a', Number.MAX_VALUE)).toBeDefined();
  });

  it('never holds more than maxEntries', () => {
    const cache = new SealCache(5);
    for (let i = 0; i < 100; i++) {
      cache.set(`sealed-${i}`, entry(String(i)));
      expect(cache.size).toBeLessThanOrEqual(5);
    }
    expect(cache.size).toBe(5);
  });

  it('evicts the least recently used entry, counting reads as use', () => {
    const cache = new SealCache(3);
    cache.set('a', entry('a'));
    cache.set('b', entry('b'));
    cache.set('c', entry('c'));
    cache.get('a', 0);
    cache.set('d', entry('d'));
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBeDefined();
    expect(cache.get('c', 0)).toBeDefined();
    expect(cache.get('d', 0)).toBeDefined();
  });

  it('keeps an entry that is read between insertions however many come and go', () => {
    const cache = new SealCache(4);
    cache.set('hot', entry('hot'));
    for (let i = 0; i < 100; i++) {
      cache.set(`cold-${i}`, entry(String(i)));
      expect(cache.get('hot', 0), `after ${i} insertions`).toBeDefined();
    }
    expect(cache.get('cold-95', 0)).toBeUndefined();
    expect(cache.get('cold-99', 0)).toBeDefined();
  });

  it('replaces an entry set twice without growing', () => {
    const cache = new SealCache(3);
    cache.set('a', entry('a', 10));
    cache.set('a', entry('a', 20));
    expect(cache.size).toBe(1);
    expect(cache.get('a', 0)?.expiresAt).toBe(20);
  });

  it('forgets an entry on delete and says whether it was there', () => {
    const cache = new SealCache(3);
    cache.set('a', entry('a'));
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    expect(cache.get('a', 0)).toBeUndefined();
  });

  it('keeps nothing when maxEntries is 0', () => {
    const cache = new SealCache(0);
    cache.set('a', entry('a'));
    expect(cache.size).toBe(0);
    expect(cache.get('a', 0)).toBeUndefined();
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %s as maxEntries with a ConfigError naming cacheSize',
    (maxEntries) => {
      expect(() => new SealCache(maxEntries)).toThrow(ConfigError);
      expect(() => new SealCache(maxEntries)).toThrow(/cacheSize/);
    },
  );
});
