/**
 * Session bounds through the public API: `maxFields` and `maxSessionBytes` default to 256 and
 * 1 MiB, every write of the handle carries them to the store, and a refused write leaves the
 * session as it was. Each store's atomic check is in the conformance suite.
 */

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createSessionManager,
  DEFAULTS,
  type SessionStore,
  SessionTooLargeError,
} from '../../src/index.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from '../stores/redis/redis-test-server.ts';
import { Browser } from '../support/browser.ts';
import { memoryStore } from '../support/memory-store.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

let client: Redis;
const prefix = uniquePrefix('limits');

beforeAll(async () => {
  client = await connectRedis();
});

afterAll(async () => {
  await deleteKeysUnder(client, prefix);
  await client.quit();
});

const stores: [string, () => SessionStore][] = [
  ['MemoryStore', () => memoryStore()],
  ['RedisStore', () => new RedisStore({ client, prefix })],
];

describe('session limits', () => {
  it('default to 256 fields and 1 MiB, and refuse what is not a positive whole number', () => {
    const manager = createSessionManager({ secret, store: memoryStore() });
    expect(manager.config.limits).toEqual({ maxFields: 256, maxSessionBytes: 1_048_576 });
    expect(DEFAULTS.maxFields).toBe(256);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createSessionManager({ secret, store: memoryStore(), maxFields: bad })).toThrow(
        ConfigError,
      );
      expect(() =>
        createSessionManager({ secret, store: memoryStore(), maxSessionBytes: bad }),
      ).toThrow(/maxSessionBytes must be a positive whole number/);
    }
  });

  for (const [name, store] of stores) {
    describe(name, () => {
      it('refuses the 257th field by default, naming the key, and keeps the 256', async () => {
        const browser = new Browser(createSessionManager({ secret, store: store() }));
        const session = browser.request();
        for (let i = 0; i < 256; i += 64) {
          const batch = Array.from({ length: 64 }, (_, j) => `k${i + j}`);
          await Promise.all(batch.map((key) => session.set(key, 1)));
        }
        const refused = await session.set('one-too-many', 1).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(SessionTooLargeError);
        expect(refused).toMatchObject({ limit: 'maxFields', max: 256, key: 'one-too-many' });
        const next = browser.request();
        expect(await next.get('one-too-many')).toBeUndefined();
        expect(Object.keys(await next.getAll())).toHaveLength(256);
        await next.set('k0', 2);
        expect(await browser.request().get('k0')).toBe(2);
      });

      it('refuses values past maxSessionBytes, and a regenerate that would pass it', async () => {
        const manager = createSessionManager({ secret, store: store(), maxSessionBytes: 2_000 });
        const browser = new Browser(manager);
        await browser.request().set('a', 'x'.repeat(1_500));
        const refused = await browser
          .request()
          .set('b', 'y'.repeat(600))
          .catch((error: unknown) => error);
        expect(refused).toMatchObject({ code: 'RUTS_SESSION_TOO_LARGE', limit: 'maxSessionBytes' });
        const before = browser.cookie;
        await expect(
          browser.request().regenerate({ set: { b: 'y'.repeat(600) } }),
        ).rejects.toBeInstanceOf(SessionTooLargeError);
        expect(browser.cookie).toBe(before);
        expect(await browser.request().getAll()).toEqual({ a: 'x'.repeat(1_500) });
      });

      it('lets 40 racing requests of one browser add fields up to maxFields and no further', async () => {
        const browser = new Browser(
          createSessionManager({ secret, store: store(), maxFields: 10 }),
        );
        await browser.request().set('first', 0);
        const results = await Promise.allSettled(
          Array.from({ length: 40 }, (_, i) => browser.request().set(`racer-${i}`, i)),
        );
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(9);
        for (const result of results) {
          if (result.status === 'rejected') {
            expect(result.reason).toBeInstanceOf(SessionTooLargeError);
          }
        }
        expect(Object.keys(await browser.request().getAll())).toHaveLength(10);
      });
    });
  }
});
