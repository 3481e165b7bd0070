/**
 * Whoever reads a store's data (a dump, a replica, a backup) must learn no usable session id:
 * every store keeps only `<family>.<sha256(id)>`. This reads the raw Redis keyspace and the raw
 * Postgres rows after real sessions were created through the handle, and looks for the ids.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionManager } from '../../src/core/session-manager.ts';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { LayeredStore } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { createTestSchema, type TestSchema } from '../support/postgres.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from './redis/redis-test-server.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

/** Creates, writes to and regenerates a few sessions; returns every raw id they ever had. */
async function exercise(store: SessionStore): Promise<string[]> {
  const manager = createSessionManager({ secret, store });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    let cookie: string | undefined;
    const open = () => manager.open(cookie, { onCookie: (c) => (cookie = c.value) });
    await open().set('user', `user-${i}`);
    ids.push((await manager.verify(cookie))?.id as string);
    await open().regenerate({ set: { role: 'admin' } });
    ids.push((await manager.verify(cookie))?.id as string);
    await open().flash('notice', 'hello');
  }
  expect(new Set(ids).size).toBe(10);
  return ids;
}

/** The secret part of an id: everything after the family, which store keys show in the clear. */
const secretPart = (id: string) => id.slice(8);

function expectNoIdIn(dump: string, ids: readonly string[]): void {
  expect(dump.length).toBeGreaterThan(0);
  for (const id of ids) {
    expect(dump).not.toContain(id);
    expect(dump).not.toContain(secretPart(id));
  }
}

describe('session ids at rest', () => {
  let db: TestSchema;
  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_ids_at_rest' });
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function postgresDump(): Promise<string> {
    const sessions = await db.pool.query(`SELECT * FROM "${db.schema}".ruts_sessions`);
    const fields = await db.pool.query(
      `SELECT session_id, name, encode(value, 'escape') AS value FROM "${db.schema}".ruts_session_fields`,
    );
    return JSON.stringify([sessions.rows, fields.rows]);
  }

  it('are never in Redis keys or hashes', async () => {
    const client = await connectRedis();
    const prefix = uniquePrefix('ids-at-rest');
    try {
      const ids = await exercise(new RedisStore({ client, prefix }));
      const keys = await client.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      const hashes = await Promise.all(keys.map((key) => client.hgetall(key)));
      expectNoIdIn(JSON.stringify([keys, hashes]), ids);
    } finally {
      await deleteKeysUnder(client, prefix);
      await client.quit();
    }
  });

  it('are never in Postgres rows', async () => {
    const ids = await exercise(
      new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema }),
    );
    expectNoIdIn(await postgresDump(), ids);
  });

  it('are in neither tier of a layered store', async () => {
    const client = await connectRedis();
    const prefix = uniquePrefix('ids-at-rest-layered');
    try {
      const store = new LayeredStore({
        hot: new RedisStore({ client, prefix }),
        cold: new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema }),
      });
      const ids = await exercise(store);
      const keys = await client.keys(`${prefix}*`);
      const hashes = await Promise.all(keys.map((key) => client.hgetall(key)));
      expectNoIdIn(JSON.stringify([keys, hashes]) + (await postgresDump()), ids);
    } finally {
      await deleteKeysUnder(client, prefix);
      await client.quit();
    }
  });
});
