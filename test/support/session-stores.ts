/**
 * Every store a session handle can run on, each on its real server and cleaned up afterwards, for
 * tests that check the handle's promises hold whatever the store.
 */

import type { Cluster, Redis } from 'ioredis';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { LayeredStore } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from '../stores/redis/redis-test-server.ts';
import { memoryStore } from './memory-store.ts';
import { createTestSchema } from './postgres.ts';

export interface StoreUnderTest {
  readonly store: SessionStore;
  teardown(): Promise<void>;
}

/** A store's name and how to set it up. */
export interface StoreSetup {
  readonly name: string;
  setup(): Promise<StoreUnderTest>;
}

/**
 * A layered store with a Redis hot tier on `client` (standalone or Cluster) over a Postgres
 * schema of its own. Teardown deletes its keys, quits the client and drops the schema.
 */
export async function layeredOverPostgres(
  client: Redis | Cluster,
  tag: string,
): Promise<{ store: LayeredStore; teardown(): Promise<void> }> {
  const db = await createTestSchema({ prefix: `ruts_${tag}`, max: 20 });
  const prefix = uniquePrefix(tag);
  const cold = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
  return {
    store: new LayeredStore({ hot: new RedisStore({ client, prefix }), cold }),
    teardown: async () => {
      await deleteKeysUnder(client, prefix);
      await client.quit();
      await cold.close();
      await db.drop();
    },
  };
}

/** Every store's setup; `tag` keeps keys and schemas of different test files apart. */
export function sessionStores(tag: string): StoreSetup[] {
  return [
    {
      name: 'MemoryStore',
      setup: async () => ({ store: memoryStore(), teardown: async () => {} }),
    },
    {
      name: 'RedisStore',
      setup: async () => {
        const client = await connectRedis();
        const prefix = uniquePrefix(tag);
        return {
          store: new RedisStore({ client, prefix }),
          teardown: async () => {
            await deleteKeysUnder(client, prefix);
            await client.quit();
          },
        };
      },
    },
    {
      name: 'PostgresStore',
      setup: async () => {
        const db = await createTestSchema({ prefix: `ruts_${tag}`, max: 20 });
        return {
          store: new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema }),
          teardown: () => db.drop(),
        };
      },
    },
    {
      name: 'LayeredStore (Redis over Postgres)',
      setup: async () => layeredOverPostgres(await connectRedis(), `${tag}_layered`),
    },
  ];
}
