/**
 * The layered store with a Redis Cluster as its hot tier: a session's copy and local fields
 * share its hash tag, so every cache call stays one script on one node.
 */

import { Cluster } from 'ioredis';
import { afterAll } from 'vitest';
import { LayeredStore } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { describeStoreConformance } from '../conformance/store-conformance.ts';
import { createTestSchema } from '../support/postgres.ts';
import { type RedisClusterHarness, startRedisCluster } from '../support/redis-cluster.ts';
import { deleteKeysUnder, uniquePrefix } from './redis/redis-test-server.ts';

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
  const db = await createTestSchema({ prefix: 'ruts_layered_cluster', max: 20 });
  const prefix = uniquePrefix('layered-cluster');
  const cold = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
  const store = new LayeredStore({ hot: new RedisStore({ client, prefix }), cold });
  return {
    store,
    teardown: async () => {
      await deleteKeysUnder(client, prefix);
      await client.quit();
      await cold.close();
      await db.drop();
    },
  };
});
