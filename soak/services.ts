/**
 * Private room for the soak on the shared servers: a Redis database (by index) that was empty
 * and is claimed with a marker key, and a PostgreSQL database of its own. The example app's key
 * prefix and schema are fixed, so this is what keeps thousands of soak sessions apart from
 * other runs, and lets the clean-up remove exactly what the soak made.
 *
 * @packageDocumentation
 */

import { Redis } from 'ioredis';
import pg from 'pg';
import { unlinkKeysUnder } from '../bench/lib/redis-cleanup.ts';

const REDIS_HOST = '127.0.0.1:6379';
const POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5432';
/** An existing database to connect to while creating and dropping the soak's own. */
const POSTGRES_ADMIN_DATABASE = 'test';
/** The example app's Redis key prefix (`example-app/lib/store.ts`). */
const APP_KEY_PREFIX = 'ruts-example:';
const CLAIM_KEY = 'ruts-soak:claim';

export interface SoakServices {
  redisUrl: string;
  databaseUrl: string;
  /** How many of the app's keys the Redis database holds now. */
  countAppKeys(): Promise<number>;
  /** Removes the app's keys and the claim from Redis, and drops the PostgreSQL database. */
  cleanUp(): Promise<void>;
}

/** Claims the highest-numbered Redis database that is empty, so no one else's keys are near. */
async function claimRedisDatabase(): Promise<{ index: number; client: Redis }> {
  const probe = new Redis(`redis://${REDIS_HOST}`, { lazyConnect: true });
  await probe.connect();
  try {
    const [, databases = '16'] = (await probe.config('GET', 'databases')) as string[];
    for (let index = Number(databases) - 1; index >= 1; index--) {
      await probe.select(index);
      if ((await probe.dbsize()) !== 0) continue;
      // NX: of two soaks probing at once, one gets the database and the other moves on.
      if ((await probe.set(CLAIM_KEY, String(process.pid), 'NX')) !== 'OK') continue;
      const client = new Redis(`redis://${REDIS_HOST}/${index}`, { lazyConnect: true });
      await client.connect();
      return { index, client };
    }
  } finally {
    probe.disconnect();
  }
  throw new Error(`no empty Redis database on ${REDIS_HOST} to run the soak in`);
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: `${POSTGRES_SERVER}/${POSTGRES_ADMIN_DATABASE}`,
  });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Sets up the soak's Redis database and PostgreSQL database. */
export async function createSoakServices(): Promise<SoakServices> {
  const { index, client: redis } = await claimRedisDatabase();
  const database = `ruts_soak_${process.pid}_${Date.now().toString(36)}`;
  try {
    await withAdmin((admin) => admin.query(`CREATE DATABASE ${database}`));
  } catch (error) {
    await redis.del(CLAIM_KEY);
    redis.disconnect();
    throw error;
  }
  const countAppKeys = async () => {
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${APP_KEY_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  };
  return {
    redisUrl: `redis://${REDIS_HOST}/${index}`,
    databaseUrl: `${POSTGRES_SERVER}/${database}`,
    countAppKeys,
    async cleanUp() {
      await unlinkKeysUnder(redis, APP_KEY_PREFIX);
      await redis.del(CLAIM_KEY);
      redis.disconnect();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    },
  };
}
