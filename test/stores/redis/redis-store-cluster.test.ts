import { createHash, randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../src/stores/redis/index.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';
import { readField } from '../../support/read-field.ts';
import { type RedisClusterHarness, startRedisCluster } from '../../support/redis-cluster.ts';
import { deleteKeysUnder, keysUnder, uniquePrefix } from './redis-test-server.ts';

let harness: Promise<RedisClusterHarness> | undefined;
/** One cluster for the whole file, started by whichever suite needs it first. */
function cluster(): Promise<RedisClusterHarness> {
  harness ??= startRedisCluster();
  return harness;
}

async function connectCluster(options: { enableAutoPipelining?: boolean } = {}): Promise<Cluster> {
  const client = new Cluster([...(await cluster()).nodes], options);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  return client;
}

afterAll(async () => {
  await (await harness)?.stop();
});

describeStoreConformance('RedisStore (Cluster, emulated field TTL)', async () => {
  const client = await connectCluster();
  const prefix = uniquePrefix('cluster-conformance');
  const store = new RedisStore({ client, prefix });
  return {
    store,
    teardown: async () => {
      await deleteKeysUnder(client, prefix);
      await store.close();
      await client.quit();
    },
  };
});

/** A store key as the core derives it: a family, a dot, and a base64url SHA-256. */
function storeKey(family: string): string {
  return `${family}.${createHash('sha256').update(randomUUID()).digest('base64url')}`;
}

function family(): string {
  return randomUUID().replace(/-/g, '').slice(0, 8);
}

const value = (text: string) => new TextEncoder().encode(text);
const write = { create: true, idleMs: 60_000 };

describe('RedisStore on Redis Cluster', () => {
  let client: Cluster;
  let store: RedisStore;
  const prefix = uniquePrefix('cluster');

  beforeAll(async () => {
    client = await connectCluster();
    store = new RedisStore({ client, prefix });
  });

  afterAll(async () => {
    await deleteKeysUnder(client, prefix);
    await client.quit();
  });

  it('spreads sessions over every master and renames each one within its slot', async () => {
    const keys = Array.from({ length: 60 }, () => storeKey(family()));
    await Promise.all(keys.map((key) => store.set(key, { field: 'f', value: value(key) }, write)));
    const masters = client.nodes('master');
    const perMaster = await Promise.all(masters.map((node) => keysUnder(node, prefix)));
    expect(perMaster).toHaveLength(3);
    for (const held of perMaster) expect(held.length).toBeGreaterThan(0);

    const renamed = keys.map((key) => storeKey(key.slice(0, key.indexOf('.'))));
    const results = await Promise.all(
      keys.map((key, i) => store.rename(key, renamed[i] as string, { idleMs: 60_000 })),
    );
    expect(results.every((result) => result.status === 'renamed')).toBe(true);
    for (const [i, key] of keys.entries()) {
      expect(await readField(store, key, 'f')).toBeUndefined();
      expect(await readField(store, renamed[i] as string, 'f')).toEqual(value(key));
    }
  });

  it('places a session in the slot of its family', async () => {
    const fam = family();
    const key = storeKey(fam);
    await store.set(key, { field: 'f', value: value('1') }, write);
    const [raw] = await keysUnder(client, `${prefix}{${fam}}`);
    expect(raw).toBe(`${prefix}{${fam}}${key.slice(fam.length)}`);
    expect(await client.call('CLUSTER', 'KEYSLOT', raw as string)).toBe(
      await client.call('CLUSTER', 'KEYSLOT', fam),
    );
  });

  it('reloads its scripts on every master after SCRIPT FLUSH, with and without auto-pipelining', async () => {
    const pipelined = await connectCluster({ enableAutoPipelining: true });
    try {
      for (const target of [store, new RedisStore({ client: pipelined, prefix })]) {
        const keys = Array.from({ length: 12 }, () => storeKey(family()));
        await Promise.all(
          keys.map((key) => target.set(key, { field: 'f', value: value('1') }, write)),
        );
        await Promise.all(client.nodes('master').map((node) => node.script('FLUSH')));
        const results = await Promise.all(
          keys.map((key) => target.set(key, { field: 'g', value: value('2') }, write)),
        );
        expect(results.every((result) => result !== null)).toBe(true);
        for (const key of keys) expect(await readField(target, key, 'g')).toEqual(value('2'));
      }
    } finally {
      await pipelined.quit();
    }
  });
});
