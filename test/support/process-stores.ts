/**
 * Stores as several app processes would hold them: each process gets its own store instance on
 * its own connections (a Redis client and a Postgres pool of its own), all over one Redis prefix
 * and one Postgres schema. Registers the hooks that open and close them.
 */

import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { LayeredStore } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from '../stores/redis/redis-test-server.ts';
import { createTestSchema, POSTGRES_URL, type TestSchema } from './postgres.ts';

/** A store's name, and the store process `i` holds. */
export type ProcessStore = readonly [name: string, store: (process: number) => SessionStore];

/** Redis, Postgres and Redis over Postgres, each as `processes` processes hold them. */
export function processStores(tag: string, processes: number): ProcessStore[] {
  const prefix = uniquePrefix(tag);
  let db: TestSchema | undefined;
  const clients: Redis[] = [];
  const pools: pg.Pool[] = [];

  beforeAll(async () => {
    db = await createTestSchema({ prefix: `ruts_${tag.replace(/\W/g, '_')}` });
    for (let i = 0; i < processes; i++) {
      clients.push(await connectRedis());
      pools.push(new pg.Pool({ connectionString: POSTGRES_URL, max: 5 }));
    }
  });

  afterAll(async () => {
    if (clients[0]) await deleteKeysUnder(clients[0], prefix);
    await Promise.all(clients.map((client) => client.quit()));
    await Promise.all(pools.map((pool) => pool.end()));
    await db?.drop();
  });

  const postgres = (i: number) =>
    new PostgresStore({ executor: pgExecutor(pools[i] as pg.Pool), schema: db?.schema });
  return [
    ['RedisStore', (i) => new RedisStore({ client: clients[i] as Redis, prefix })],
    ['PostgresStore', postgres],
    [
      'LayeredStore (Redis over Postgres)',
      (i) =>
        new LayeredStore({
          hot: new RedisStore({ client: clients[i] as Redis, prefix: `${prefix}hot:` }),
          cold: postgres(i),
        }),
    ],
  ];
}
