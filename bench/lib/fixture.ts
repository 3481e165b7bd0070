/**
 * The session every case reads and writes: ten fields of the kinds an app keeps, about 1 KB
 * encoded; and the helpers that create such sessions through ruts and read back their keys.
 *
 * @packageDocumentation
 */

import { webcrypto } from 'node:crypto';
import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';
import { createSessionManager, type SessionManager } from '../../src/core/session-manager.ts';
import type { SessionStore } from '../../src/core/store-contract.ts';

export const SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';

/** A typical signed-in session: ten fields, about 1 KB encoded with msgpack. */
export function typicalSession(n = 0): Record<string, unknown> {
  return {
    userId: `u_${String(100000 + n)}`,
    username: `hiker${n}`,
    email: `hiker${n}@example.com`,
    roles: ['customer', 'newsletter'],
    locale: 'en-GB',
    csrf: 'k2Jd0vX8w9sQm4ZrT7yL1nB6cF3hP5aE',
    cart: [
      { sku: 'TENT-2P-GRN', qty: 1, price: 249.9 },
      { sku: 'BOOT-M-44', qty: 1, price: 179 },
      { sku: 'SOCK-WOOL-L', qty: 3, price: 14.5 },
    ],
    recentlyViewed: ['tent-2p', 'boots-m', 'socks-wool', 'stove-mini', 'lamp-head', 'bottle-1l'],
    prefs: {
      theme: 'dark',
      currency: 'EUR',
      units: 'metric',
      newsletter: true,
      notifications: { email: true, sms: false, push: true },
      sort: 'price-asc',
      pageSize: 24,
      lastCategory: 'camping/tents/ultralight',
    },
    profile: {
      displayName: `Alex Walker ${n}`,
      avatar: `https://cdn.example.com/avatars/${n}/3f1c2a9e6b7d4e8f.webp`,
      address: { line1: '12 Ridge Road', city: 'Keswick', postcode: 'CA12 5AB', country: 'GB' },
      memberSince: '2021-04-17T09:12:44.000Z',
      loyaltyPoints: 1840,
      bio: 'Weekend hiker, occasional fell runner, collector of maps and questionable snacks.',
    },
  };
}

/** Total bytes of the fields' names and msgpack-encoded values: the session's payload. */
export function payloadBytes(session: Record<string, unknown>): number {
  let total = 0;
  for (const [name, value] of Object.entries(session)) {
    total += Buffer.byteLength(name) + msgpackCodec.encode(value).byteLength;
  }
  return total;
}

/** A manager over `store`, configured as an app would be (defaults but the secret). */
export function managerFor(store: SessionStore): SessionManager {
  return createSessionManager({ secret: SECRET, store });
}

/** A session created through ruts: its cookie value, id and store key. */
export interface CreatedSession {
  readonly cookie: string;
  readonly id: string;
  readonly key: string;
}

/** Creates `count` sessions holding the typical data (one `setMany` each), returns their cookies. */
export async function createSessions(
  manager: SessionManager,
  count: number,
): Promise<CreatedSession[]> {
  const created: CreatedSession[] = [];
  for (let n = 0; n < count; n++) {
    let cookie: string | undefined;
    const session = manager.open(undefined, {
      onCookie: (c) => {
        cookie = c.value;
      },
    });
    await session.regenerate({ set: typicalSession(n) });
    if (cookie === undefined) throw new Error('ruts did not set a cookie for a new session');
    const verified = await manager.verify(cookie);
    if (verified === undefined) throw new Error('a fresh cookie did not verify');
    created.push({ cookie, id: verified.id, key: verified.key });
  }
  return created;
}

/** Cycles through a list, so concurrent operations spread over many sessions. */
export function cycler<T>(items: readonly T[]): () => T {
  let next = 0;
  return () => {
    const item = items[next] as T;
    next = (next + 1) % items.length;
    return item;
  };
}

/**
 * The cheapest sound check of a cookie: one Web Crypto HMAC-SHA256 verify of the session id,
 * with the key imported once. The baseline pairs it with the raw driver's read.
 */
export async function hmacVerifier(): Promise<(id: string, mac: Uint8Array) => Promise<boolean>> {
  const subtle = webcrypto.subtle;
  const key = await subtle.importKey(
    'raw',
    new TextEncoder().encode(SECRET),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  return async (id, mac) => subtle.verify('HMAC', key, mac, new TextEncoder().encode(id));
}

/** The HMAC of `id` under the bench secret, for the baseline's signed cookies. */
export async function hmacSign(id: string): Promise<Uint8Array> {
  const subtle = webcrypto.subtle;
  const key = await subtle.importKey(
    'raw',
    new TextEncoder().encode(SECRET),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return new Uint8Array(await subtle.sign('HMAC', key, new TextEncoder().encode(id)));
}
