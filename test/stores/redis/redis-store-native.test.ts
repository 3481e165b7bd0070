/**
 * The native field TTL path needs Redis 7.4+ or Valkey 9+. Point RUTS_REDIS_NATIVE_URL at one to
 * run these; without it they are reported as skipped, never as passed.
 */

import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../src/stores/redis/index.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';
import { readField } from '../../support/read-field.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from './redis-test-server.ts';

const NATIVE_URL = process.env.RUTS_REDIS_NATIVE_URL;

function storeKey(): string {
  const hash = createHash('sha256').update(randomUUID()).digest('base64url');
  return `${randomUUID().slice(0, 8)}.${hash}`;
}

function rawKey(prefix: string, key: string): string {
  const dot = key.indexOf('.');
  return `${prefix}{${key.slice(0, dot)}}${key.slice(dot)}`;
}

const value = (text: string) => new TextEncoder().encode(text);
const write = { create: true, idleMs: 60_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(NATIVE_URL)('RedisStore with native field TTL (needs RUTS_REDIS_NATIVE_URL)', () => {
  const url = NATIVE_URL as string;

  describeStoreConformance('RedisStore (standalone, native field TTL)', async () => {
    const client = await connectRedis(url);
    const prefix = uniquePrefix('native-conformance');
    const store = new RedisStore({ client, prefix, nativeFieldTtl: true });
    return {
      store,
      teardown: async () => {
        await deleteKeysUnder(client, prefix);
        await client.quit();
      },
    };
  });

  describe('native field expiry', () => {
    let client: Redis;
    let store: RedisStore;
    const prefix = uniquePrefix('native');

    beforeAll(async () => {
      client = await connectRedis(url);
      store = new RedisStore({ client, prefix });
    });

    afterAll(async () => {
      await deleteKeysUnder(client, prefix);
      await client.quit();
    });

    it("detects HPEXPIRE under 'auto' and takes the native path", async () => {
      expect(await store.fieldTtlMode()).toBe('native');
    });

    it('expires a field with HPEXPIREAT and keeps no emulated bookkeeping', async () => {
      const key = storeKey();
      const raw = rawKey(prefix, key);
      await store.set(key, { field: 'a', value: value('1'), ttlMs: 60_000 }, write);
      const [expiry] = (await client.call('HPEXPIRETIME', raw, 'FIELDS', '1', 'a')) as number[];
      expect(expiry).toBeGreaterThan(Date.now() + 50_000);
      const names = (await client.hkeysBuffer(raw)).map((name) => name.toString('latin1'));
      expect(names.some((name) => name.startsWith('\0t') || name === '\0n')).toBe(false);
    });

    it("clears a field's own expiry when it is written again without one", async () => {
      const key = storeKey();
      const raw = rawKey(prefix, key);
      await store.set(key, { field: 'a', value: value('1'), ttlMs: 60_000 }, write);
      await store.set(key, { field: 'a', value: value('2') }, write);
      expect(await client.call('HPEXPIRETIME', raw, 'FIELDS', '1', 'a')).toEqual([-1]);
      expect((await store.getAll(key))?.fields.get('a')?.ttlMs).toBeNull();
    });

    it('keeps honouring field ttls written while they were emulated', async () => {
      const key = storeKey();
      const emulated = new RedisStore({ client, prefix, nativeFieldTtl: false });
      await emulated.setMany(
        key,
        [
          { field: 'short', value: value('1'), ttlMs: 200 },
          { field: 'plain', value: value('2') },
        ],
        write,
      );
      const before = await store.getAll(key);
      expect(before?.fields.get('short')?.ttlMs).toBeGreaterThan(0);
      await sleep(400);
      expect(await readField(store, key, 'short')).toBeUndefined();
      expect([...((await store.getAll(key))?.fields.keys() ?? [])]).toEqual(['plain']);
      expect(await client.hexists(rawKey(prefix, key), 'short')).toBe(0);
    });
  });
});
