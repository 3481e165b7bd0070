/**
 * Session limits where app processes share a store: four managers, each with its own store
 * instance and its own connections (as four app servers would have), serve the requests of one
 * browser. Racing writes of new fields spread over them fill the session to `maxFields` exactly,
 * because every store checks the limit on its server, not in the process.
 */

import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSessionManager,
  type SessionManager,
  type SessionStore,
  SessionTooLargeError,
} from '../../src/index.ts';
import { LayeredStore } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { createTestSchema, POSTGRES_URL, type TestSchema } from '../support/postgres.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from './redis/redis-test-server.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const PROCESSES = 4;
const prefix = uniquePrefix('limits-shared');

let db: TestSchema;
const clients: Redis[] = [];
const pools: pg.Pool[] = [];

beforeAll(async () => {
  db = await createTestSchema({ prefix: 'ruts_limits_shared' });
  for (let i = 0; i < PROCESSES; i++) {
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

/** Each process's store, on its own connections. */
const stores: [string, (i: number) => SessionStore][] = [
  ['RedisStore', (i) => new RedisStore({ client: clients[i] as Redis, prefix })],
  [
    'PostgresStore',
    (i) => new PostgresStore({ executor: pgExecutor(pools[i] as pg.Pool), schema: db.schema }),
  ],
  [
    'LayeredStore (Redis over Postgres)',
    (i) =>
      new LayeredStore({
        hot: new RedisStore({ client: clients[i] as Redis, prefix: `${prefix}hot:` }),
        cold: new PostgresStore({ executor: pgExecutor(pools[i] as pg.Pool), schema: db.schema }),
      }),
  ],
];

describe('session limits across processes sharing a store', () => {
  for (const [name, store] of stores) {
    it(`${name}: 60 racing writes over ${PROCESSES} processes fill maxFields: 20 exactly`, async () => {
      const managers: SessionManager[] = Array.from({ length: PROCESSES }, (_, i) =>
        createSessionManager({ secret, store: store(i), maxFields: 20 }),
      );
      let cookie: string | undefined;
      const first = (managers[0] as SessionManager).open(undefined, {
        onCookie: (sent) => {
          cookie = sent.value;
        },
      });
      await first.set('first', 0);
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          (managers[i % PROCESSES] as SessionManager).open(cookie).set(`racer-${i}`, i),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(19);
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(SessionTooLargeError);
        }
      }
      for (const manager of managers) {
        expect(Object.keys(await manager.open(cookie).getAll())).toHaveLength(20);
      }
    });
  }
});
