/**
 * The Redis server the store tests run against, and the isolation they need from each other:
 * test files run in parallel on one server, so each works under a prefix of its own and deletes
 * its keys afterwards.
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';

/** The standalone server of the test machine. */
export const REDIS_URL = process.env.RUTS_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Connects, or fails with a message that says which server is missing. The tests never skip for
 * want of a server: a store that was not tested must not look like one that passed.
 */
export async function connectRedis(url = REDIS_URL, options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, ...options });
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Redis at ${url} is unreachable (${detail}); the Redis store tests need it.`);
  }
}

/** A key prefix no other test file uses. */
export function uniquePrefix(label: string): string {
  return `ruts-test:${label}:${randomBytes(6).toString('hex')}:`;
}

/** Every key under `prefix`, on every master of a cluster. */
export async function keysUnder(client: Redis | Cluster, prefix: string): Promise<string[]> {
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys.sort();
}

/** Deletes every key under `prefix`, and resolves how many there were. */
export async function deleteKeysUnder(client: Redis | Cluster, prefix: string): Promise<number> {
  const keys = await keysUnder(client, prefix);
  // One DEL per key: on a cluster the keys live in many slots.
  await Promise.all(keys.map((key) => client.del(key)));
  return keys.length;
}
