/**
 * The session store, chosen by environment:
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
import { PostgresStore } from 'ruts/postgres';
import { pgExecutor } from 'ruts/postgres/pg';
import { pgliteExecutor } from 'ruts/postgres/pglite';
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

/** Where this process keeps the hot tier's client. */
const HOT_CLIENT = Symbol.for('ruts-example.hot-redis-client');

/**
 * The hot tier's client fails fast (no offline queue, one retry), so that while Redis is down
 * the layered store falls back to Postgres at once instead of waiting on retries. It is the
 * app's own client, so the app keeps one per process: Next.js may evaluate this module more
 * than once, and clients ruts opens from a URL are shared that way by ruts itself.
 */
function hotRedisClient(url: string): Redis {
  const holder = globalThis as { [HOT_CLIENT]?: Redis };
  if (holder[HOT_CLIENT] !== undefined) return holder[HOT_CLIENT];
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  // Without an offline queue, commands sent before the connection is up fail, so connect now.
  if (!building) client.connect().catch(() => undefined);
  client.on('error', (error: Error) => console.warn(`[sessions] Redis: ${error.message}`));
  holder[HOT_CLIENT] = client;
  return client;
}

function postgresStore(url: string): PostgresStore {
  return new PostgresStore({ executor: pgExecutor(url), schema: SCHEMA, migrate: true });
}

/**
 * This process's session store. Next.js may evaluate this module more than once per process
 * (Turbopack does, for pages and for Route Handlers); what must be one per process is anyway:
 * ruts keeps one MemoryStore per name, one PGlite per folder and one pool or client per URL.
 */
export function sessionStore(): SessionStore {
  const redisUrl = process.env.REDIS_URL;
  const databaseUrl = process.env.DATABASE_URL;
  if (redisUrl && databaseUrl) {
    return new LayeredStore({
      hot: new RedisStore({ client: hotRedisClient(redisUrl), prefix: 'ruts-example:' }),
      cold: postgresStore(databaseUrl),
    });
  }
  if (databaseUrl) {
    return postgresStore(databaseUrl);
  }
  if (redisUrl) return new RedisStore({ url: redisUrl, prefix: 'ruts-example:' });
  // The embedded default: no server to run, and sessions survive a restart. A MemoryStore hot
  // tier is only safe because this app runs as one process.
  return new LayeredStore({
    hot: new MemoryStore({ name: 'example-hot' }),
    cold: new PostgresStore({
      executor: pgliteExecutor(dataDir()),
      schema: SCHEMA,
      migrate: true,
    }),
  });
}
