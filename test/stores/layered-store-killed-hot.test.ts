/**
 * The hot tier dies for real: a Redis server of the test's own, killed by PID in the middle of
 * the work, then started again on the same port, empty, as after a crash.
 */

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayeredStore, type LayeredStoreEvent } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { createTestSchema, type TestSchema } from '../support/postgres.ts';
import { readField } from '../support/read-field.ts';
import {
  fastFailingClient,
  type KillableRedis,
  startKillableRedis,
} from '../support/redis-process.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);
const write = { create: true, idleMs: 24 * 60 * 60_000 };

describe('LayeredStore (Redis over Postgres) when the Redis server is killed', () => {
  let redis: KillableRedis;
  let db: TestSchema;
  let client: Redis;
  let cold: PostgresStore;
  let store: LayeredStore;
  const events: LayeredStoreEvent[] = [];

  beforeAll(async () => {
    const [started, created] = await Promise.allSettled([
      startKillableRedis(),
      createTestSchema({ prefix: 'ruts_layered_killed' }),
    ]);
    // Keep whichever started, so afterAll stops it even when the other failed.
    if (started.status === 'fulfilled') redis = started.value;
    if (created.status === 'fulfilled') db = created.value;
    for (const outcome of [started, created]) {
      if (outcome.status === 'rejected') throw outcome.reason;
    }
    client = await fastFailingClient(redis.url);
    cold = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
    store = new LayeredStore({
      hot: new RedisStore({ client }),
      cold,
      onEvent: (event) => events.push(event),
    });
  });

  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
    await cold?.close();
    await db?.drop();
  });

  it('loses no write, fails no read, and refills hot once Redis is back', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `killtest.session-${i}`);
    for (const key of keys) await store.set(key, { field: 'before', value: utf8(key) }, write);
    for (const key of keys) expect(text(await readField(store, key, 'before'))).toBe(key);
    expect(await client.dbsize()).toBe(keys.length);

    const pid = redis.pid();
    await redis.kill();
    expect(() => process.kill(pid as number, 0)).toThrow();

    for (const key of keys) {
      await store.set(key, { field: 'during', value: utf8(`${key}!`) }, write);
      expect(text(await readField(store, key, 'before'))).toBe(key);
    }
    expect(events.some((event) => event.type === 'hot-error')).toBe(true);

    await redis.restart();
    await waitFor(() => client.status === 'ready');
    // The new server knows neither the sessions nor the scripts (NOSCRIPT is handled).
    expect(await client.dbsize()).toBe(0);
    for (const key of keys) {
      const session = await store.getAll(key);
      expect(text(session?.fields.get('before')?.value)).toBe(key);
      expect(text(session?.fields.get('during')?.value)).toBe(`${key}!`);
    }
    expect(await client.dbsize()).toBe(keys.length);
    const errorsBefore = events.length;
    for (const key of keys) expect(text(await readField(store, key, 'during'))).toBe(`${key}!`);
    expect(events.length).toBe(errorsBefore);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error('timed out waiting for the Redis client to reconnect');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
