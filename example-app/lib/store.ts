/**
 * The session store, chosen by environment and created once per server process:
 *
 * | `REDIS_URL` | `DATABASE_URL` | store |
 * | --- | --- | --- |
 * | - | - | memory over embedded Postgres (PGlite) in `RUTS_DATA_DIR` |
 * | - | set | Postgres |
 * | set | - | Redis |
 * | set | set | Redis over Postgres |
 *
 * @packageDocumentation
 */

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { MemoryStore, type SessionStore } from 'ruts';
import { LayeredStore } from 'ruts/layered';
import { PostgresStore, pgliteExecutor } from 'ruts/postgres';
import { RedisStore } from 'ruts/redis';

/** The example's own schema, so its tables never clash with anything else in the database. */
const SCHEMA = 'ruts_example';

/** `next build` loads modules without serving anything: open no connection then. */
const building = process.env.NEXT_PHASE === 'phase-production-build';

/** Where the embedded database keeps its files (gitignored), created if missing. */
function dataDir(): string {
  const dir = process.env.RUTS_DATA_DIR || path.join(process.cwd(), '.data', 'sessions');
  // PGlite creates its own folder but not the folders above it.
  if (!building && !dir.includes('://')) mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The hot tier's client fails fast (no offline queue, one retry), so that while Redis is down
 * the layered store falls back to Postgres at once instead of waiting on retries.
 */
function hotRedisClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  // Without an offline queue, commands sent before the connection is up fail, so connect now.
  if (!building) client.connect().catch(() => undefined);
  client.on('error', (error: Error) => console.warn(`[sessions] Redis: ${error.message}`));
  return client;
}

function createStore(): SessionStore {
  const redisUrl = process.env.REDIS_URL;
  const databaseUrl = process.env.DATABASE_URL;
  if (redisUrl && databaseUrl) {
    return new LayeredStore({
      hot: new RedisStore({ client: hotRedisClient(redisUrl), prefix: 'ruts-example:' }),
      cold: new PostgresStore({ connectionString: databaseUrl, schema: SCHEMA, migrate: true }),
    });
  }
  if (databaseUrl) {
    return new PostgresStore({ connectionString: databaseUrl, schema: SCHEMA, migrate: true });
  }
  if (redisUrl) return new RedisStore({ url: redisUrl, prefix: 'ruts-example:' });
  // The embedded default: no server to run, and sessions survive a restart. A MemoryStore hot
  // tier is only safe because this app runs as one process.
  return new LayeredStore({
    hot: new MemoryStore(),
    cold: new PostgresStore({
      executor: pgliteExecutor(dataDir()),
      schema: SCHEMA,
      migrate: true,
    }),
  });
}

// One store per process; globalThis keeps it across dev-server module reloads, which would
// otherwise open a second PGlite on the same folder.
const cache = globalThis as { rutsExampleStore?: SessionStore };

/** This process's session store. */
export function sessionStore(): SessionStore {
  cache.rutsExampleStore ??= createStore();
  return cache.rutsExampleStore;
}
