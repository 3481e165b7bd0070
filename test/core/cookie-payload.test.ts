/**
 * What a seal may carry beside the id: the lifetimes `regenerate()` gave the session, in one
 * spelling each, and nothing else, however validly sealed.
 */

import { defaults, seal as ironSeal } from 'iron-webcrypto';
import { describe, expect, it } from 'vitest';
import { generateSessionId } from '../../src/core/session-id.ts';
import { CookieSealer } from '../../src/index.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const sealer = () => new CookieSealer({ secret, ttlSeconds: 3600 });
const sealRaw = (payload: unknown) =>
  ironSeal(payload, { id: '1', secret }, { ...defaults, ttl: 3_600_000 });

describe('lifetimes sealed with the id', () => {
  it('round-trip, and expire with a numeric maxAge rather than ttlSeconds', async () => {
    const id = generateSessionId();
    for (const lifetimes of [
      { maxAge: 2_592_000 },
      { maxAge: 'session' as const },
      { idleMs: 1500 },
      { maxAge: 60, idleMs: 120_000 },
    ]) {
      const now = Date.now();
      const sealed = await sealer().seal(id, lifetimes);
      const verified = await new CookieSealer({ secret, ttlSeconds: 3600, cacheSize: 0 }).unseal(
        sealed,
      );
      expect(verified?.id).toBe(id);
      expect(verified?.lifetimes).toEqual(lifetimes);
      const ttl = typeof lifetimes.maxAge === 'number' ? lifetimes.maxAge : 3600;
      expect((verified?.expiresAt ?? 0) - now).toBeGreaterThanOrEqual(ttl * 1000 - 50);
      expect((verified?.expiresAt ?? 0) - now).toBeLessThanOrEqual(ttl * 1000 + 50);
      // The cache answers as the crypto does.
      expect(await sealer().unseal(sealed)).toEqual(verified);
    }
  });

  it('leave a cookie without lifetimes as it always was: the bare id', async () => {
    const id = generateSessionId();
    const fresh = new CookieSealer({ secret, ttlSeconds: 3600, cacheSize: 0 });
    expect(await fresh.unseal(await sealRaw(id))).toEqual(
      await fresh.unseal(await sealer().seal(id)),
    );
    expect(Object.keys((await fresh.unseal(await sealer().seal(id, {}))) ?? {})).toEqual([
      'id',
      'key',
    ]);
  });

  it.each([
    ['no lifetime after the separators', '~~'],
    ['a leading zero', '~030~'],
    ['a fraction', '~1.5~'],
    ['a negative', '~-1~'],
    ['a word', '~forever~'],
    ['a third part', '~60~1000~1'],
    ['a missing separator', '~60'],
  ])('refuse a payload with %s, however validly sealed', async (_name, suffix) => {
    const id = generateSessionId();
    expect(await sealer().unseal(await sealRaw(`${id}${suffix}`))).toBeUndefined();
    await expect(sealer().seal(id, { maxAge: 1.5 })).rejects.toThrow(TypeError);
  });
});
