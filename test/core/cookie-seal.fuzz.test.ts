/**
 * Property-based fuzzing of the cookie path: whatever a client sends, it is either the exact
 * seal the server issued or "no session", and nothing throws.
 */

import fc from 'fast-check';
import { defaults, seal } from 'iron-webcrypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CookieSealer } from '../../src/core/cookie-seal.ts';
import { generateSessionId } from '../../src/core/session-id.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import { memoryStore } from '../support/memory-store.ts';

const SECRET = 'the-current-secret-that-is-long-enough-0123';
const RETIRED = 'a-retired-secret-that-is-also-long-enough-99';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*.~%=+/ ';

/** A cookie value derived from a valid seal by one kind of damage. */
function damaged(valid: string): fc.Arbitrary<string> {
  const position = fc.nat({ max: valid.length - 1 });
  const char = fc.constantFrom(...ALPHABET);
  return fc.oneof(
    fc.tuple(position, char).map(([at, c]) => valid.slice(0, at) + c + valid.slice(at + 1)),
    fc.tuple(position, char).map(([at, c]) => valid.slice(0, at) + c + valid.slice(at)),
    position.map((at) => valid.slice(0, at) + valid.slice(at + 1)),
    position.map((at) => valid.slice(0, at)),
    fc.string({ minLength: 1, maxLength: 5000 }).map((tail) => valid + tail),
    fc.tuple(position, position).map(([a, b]) => {
      // Swap two of the seal's parts, or two characters within one.
      const chars = [...valid];
      [chars[a], chars[b]] = [chars[b] as string, chars[a] as string];
      return chars.join('');
    }),
  );
}

/** Strings of the seal's outer shape with random parts: they pass the cheap checks. */
const sealShaped = fc
  .array(fc.string({ maxLength: 60 }), { minLength: 6, maxLength: 6 })
  .map(
    ([salt, iv, body, hmacSalt, hmac, id]) =>
      `Fe26.2*${id}*${salt}*${iv}*${body}*${Date.now() + 60_000}*${hmacSalt}*${hmac}`,
  );

describe('CookieSealer under fuzzing', () => {
  let sealer: CookieSealer;
  let valid: string;

  beforeAll(async () => {
    sealer = new CookieSealer({ secret: { 1: RETIRED, 2: SECRET }, ttlSeconds: 3600 });
    valid = await sealer.seal(generateSessionId());
  });

  it('rejects 10,000 mutated, truncated, oversized and random values without throwing', async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          damaged(valid),
          sealShaped,
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
        ),
        async (value) => {
          const result = await sealer.unseal(value);
          if (value === valid) {
            expect(result).toBeDefined();
          } else {
            expect(result).toBeUndefined();
            rejected++;
          }
        },
      ),
      { numRuns: 10_000 },
    );
    expect(rejected).toBeGreaterThan(9_900);
    console.log(
      `[reliability] cookie fuzz: 10000 mutated/truncated/oversized/random values, ${rejected} rejected as "no session", the rest the exact issued seal, 0 thrown`,
    );
  });

  it('rejects values sealed with a wrong secret or a secret that was removed', async () => {
    const current = new CookieSealer({ secret: { 2: SECRET }, ttlSeconds: 3600 });
    const retiredOnly = new CookieSealer({ secret: { 1: RETIRED }, ttlSeconds: 3600 });
    const stranger = new CookieSealer({ secret: 'x'.repeat(40), ttlSeconds: 3600 });
    await fc.assert(
      fc.asyncProperty(fc.constant(null), async () => {
        const id = generateSessionId();
        expect(await current.unseal(await retiredOnly.seal(id))).toBeUndefined();
        expect(await current.unseal(await stranger.seal(id))).toBeUndefined();
        // The old secret still opens its own cookies while it is configured.
        expect((await sealer.unseal(await retiredOnly.seal(id)))?.id).toBe(id);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects a correct seal around a payload that is not a session id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (payload) => {
        fc.pre(typeof payload !== 'string' || payload.length !== 51);
        const forged = await seal(
          payload,
          { id: '2', secret: SECRET },
          {
            ...defaults,
            ttl: 60_000,
          },
        );
        expect(await sealer.unseal(forged)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('a session opened from a fuzzed cookie', () => {
  it('is always "no session", and a write starts a fresh one', async () => {
    const store = memoryStore();
    const manager = createSessionManager({ secret: SECRET, store });
    let issued: string | undefined;
    await manager.open(undefined, { onCookie: (c) => (issued = c.value) }).set('user', 'victim');
    const valid = issued as string;
    await fc.assert(
      fc.asyncProperty(damaged(valid), async (value) => {
        fc.pre(value !== valid);
        const session = manager.open(value);
        expect(await session.getAll()).toEqual({});
        expect(await session.exists()).toBe(false);
      }),
      { numRuns: 1_000 },
    );
    let fresh: string | undefined;
    const attacker = manager.open(`${valid}x`, { onCookie: (c) => (fresh = c.value) });
    await attacker.set('user', 'attacker');
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(valid);
    expect(await manager.open(valid).get('user')).toBe('victim');
  });
});
