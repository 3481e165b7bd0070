/**
 * The layered store with a Redis Cluster as its hot tier: a session's copy and local fields
 * share its hash tag, so every cache call stays one script on one node.
 */

import { Cluster } from 'ioredis';
import { afterAll } from 'vitest';
import { describeStoreConformance } from '../conformance/store-conformance.ts';
import { type RedisClusterHarness, startRedisCluster } from '../support/redis-cluster.ts';
import { layeredOverPostgres } from '../support/session-stores.ts';

let harness: Promise<RedisClusterHarness> | undefined;

afterAll(async () => {
  await (await harness)?.stop();
});

describeStoreConformance('LayeredStore (Redis Cluster over Postgres)', async () => {
  harness ??= startRedisCluster();
  const client = new Cluster([...(await harness).nodes]);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  return layeredOverPostgres(client, 'layered_cluster');
});
