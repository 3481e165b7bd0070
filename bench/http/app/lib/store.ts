/**
 * The session store of the bench app: the example app's Redis-over-Postgres setup
 * (`example-app/lib/store.ts`), in its own Redis prefix and Postgres schema.
 */

import { Redis } from 'ioredis';
import type { SessionStore } from 'ruts';
import { LayeredStore } from 'ruts/layered';
import { PostgresStore } from 'ruts/postgres';
import { pgExecutor } from 'ruts/postgres/pg';
import { RedisStore } from 'ruts/redis';

export const SCHEMA = 'ruts_bench_http';
export const REDIS_PREFIX = 'ruts-bench-http:';

/** `next build` loads modules without serving anything: open no connection then. */
const building = process.env.NEXT_PHASE === 'phase-production-build';

/** As in the example: fail fast, no offline queue, so a down Redis falls back to Postgres. */
function hotRedisClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  if (!building) client.connect().catch(() => undefined);
  client.on('error', (error: Error) => console.warn(`[sessions] Redis: ${error.message}`));
  return client;
}

function createStore(): SessionStore {
  const redisUrl = process.env.REDIS_URL;
  const databaseUrl = process.env.DATABASE_URL;
  if (!redisUrl || !databaseUrl) {
    if (building) return new RedisStore({ url: 'redis://127.0.0.1:6379', prefix: REDIS_PREFIX });
    throw new Error('The HTTP bench app needs REDIS_URL and DATABASE_URL (Redis over Postgres).');
  }
  return new LayeredStore({
    hot: new RedisStore({ client: hotRedisClient(redisUrl), prefix: REDIS_PREFIX }),
    cold: new PostgresStore({
      executor: pgExecutor(databaseUrl),
      schema: SCHEMA,
      migrate: true,
    }),
  });
}

const cache = globalThis as { rutsBenchStore?: SessionStore };

export function sessionStore(): SessionStore {
  cache.rutsBenchStore ??= createStore();
  return cache.rutsBenchStore;
}
