/**
 * A cold change whose reply is lost: Postgres commits it, but a proxy drops the answer and cuts
 * the connection, so the LayeredStore (Redis over Postgres) sees a failure. The caller gets a
 * `StoreError`; hot keeps serving its copy while Postgres stays unreachable, and the first read
 * once Postgres answers returns what it committed. `delete` and `rename` evict hot at once
 * instead: a session that may have ended is not served at all.
 */

import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.ts';
import { LayeredStore, type LayeredStoreEvent } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { createTestSchema, POSTGRES_URL, type TestSchema } from '../support/postgres.ts';
import { readField } from '../support/read-field.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { compareTiers } from './layered-fault-load.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from './redis/redis-test-server.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);
const write = { create: true, idleMs: 24 * 60 * 60_000 };
/** The reply to the `COMMIT` that ends a transaction (`rename` runs in one). */
const commitReply = (chunk: Buffer) => chunk.includes('COMMIT\0');

describe('LayeredStore (Redis over Postgres) when a commit reply is lost', () => {
  let db: TestSchema;
  let proxy: TcpProxy;
  let pool: pg.Pool;
  let client: Redis;
  const prefix = uniquePrefix('layered-lost-reply');
  /** The layered store's cold tier, reached through the proxy. */
  let cold: PostgresStore;
  /** The same tables over a direct connection, to see what Postgres holds. */
  let direct: PostgresStore;
  let hot: RedisStore;
  let store: LayeredStore;
  const events: LayeredStoreEvent[] = [];

  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_layered_lost_reply' });
    const target = new URL(POSTGRES_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const through = new URL(POSTGRES_URL);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    pool = new pg.Pool({
      connectionString: through.href,
      max: 4,
      connectionTimeoutMillis: 2_000,
      options: `-c search_path=${db.schema}`,
    });
    // The proxy cutting idle connections is the test, not a crash of it: the pool reports those
    // as 'error' events, which an app listens to. A connection cut while checked out for a
    // transaction (`rename`) is the store's to handle, so nothing more is needed here.
    pool.on('error', () => {});
    client = await connectRedis();
    cold = new PostgresStore({ executor: pgExecutor(pool), schema: db.schema });
    direct = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
    hot = new RedisStore({ client, prefix });
    store = new LayeredStore({ hot, cold, hotTtl: 1, onEvent: (event) => events.push(event) });
  });

  afterAll(async () => {
    if (client) {
      await deleteKeysUnder(client, prefix);
      await client.quit();
    }
    await cold?.close();
    await pool?.end();
    await proxy?.close();
    await direct?.close();
    await db?.drop();
  });

  const copyOf = async (key: string) => (await hot.readCopy(key)).copy;

  /** Sessions written and read once, so hot holds a copy of each. */
  async function warmSessions(
    store: LayeredStore,
    ...sessions: [key: string, field: string, value: string][]
  ) {
    for (const [key, field, value] of sessions) {
      await store.set(key, { field, value: utf8(value) }, write);
      await store.getAll(key);
    }
    for (const [key, field, value] of sessions) {
      expect(text((await copyOf(key))?.fields.get(field)?.value)).toBe(value);
    }
  }

  it("rejects a 'through' write, serves hot only while Postgres is unreachable, then reads what was committed at once", async () => {
    events.length = 0;
    // A lease far longer than the test: the copy is replaced because it is doubtful, not old.
    const store = new LayeredStore({ hot, cold, hotTtl: 60, onEvent: (e) => events.push(e) });
    const [victim, other] = ['lost.set-victim', 'lost.set-other'];
    await warmSessions(store, [victim, 'a', 'old'], [other, 'x', '1']);

    const lost = proxy.loseNextReply();
    const failure = await store
      .set(victim, { field: 'a', value: utf8('new') }, write)
      .catch((error: unknown) => error);
    await lost;
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).message).toMatch(/set on the cold tier/);
    // Postgres committed it all the same.
    expect(text(await readField(direct, victim, 'a'))).toBe('new');

    // Postgres stays unreachable: hot serves both sessions, the victim with its old value, even
    // after a second write of it fails.
    // Another process: its own layered store over the same Redis and Postgres.
    const peer = new LayeredStore({ hot, cold, hotTtl: 60, onEvent: (e) => events.push(e) });
    proxy.down();
    expect(text(await readField(store, victim, 'a'))).toBe('old');
    expect(text(await readField(peer, victim, 'a'))).toBe('old');
    await expect(store.set(victim, { field: 'b', value: utf8('2') }, write)).rejects.toBeInstanceOf(
      StoreError,
    );
    expect(text((await store.getAll(victim))?.fields.get('a')?.value)).toBe('old');
    expect(text(await readField(store, other, 'x'))).toBe('1');
    await expect(store.set(other, { field: 'y', value: utf8('2') }, write)).rejects.toBeInstanceOf(
      StoreError,
    );
    expect((await compareTiers(hot, direct, [victim])).disagreements).toEqual([
      `${victim} a: hot old, cold new`,
    ]);

    // Postgres answers again. A write does not build on the doubtful copy, and the victim's
    // next read sees what Postgres committed and puts it in hot. The other session, whose write
    // was refused before it reached Postgres, stays as hot holds it: as Postgres holds it.
    proxy.up();
    await store.set(victim, { field: 'c', value: utf8('3') }, write);
    const session = await store.getAll(victim);
    expect(text(session?.fields.get('a')?.value)).toBe('new');
    expect(text(session?.fields.get('c')?.value)).toBe('3');
    expect(text(await readField(store, other, 'x'))).toBe('1');
    const tiers = await compareTiers(hot, direct, [victim, other]);
    expect(tiers).toEqual({ inHot: 2, complete: 2, disagreements: [] });
    expect(events).toEqual([]);
  });

  it('reads a field whose take lost its reply as gone, once Postgres answers', async () => {
    events.length = 0;
    const store = new LayeredStore({ hot, cold, hotTtl: 60, onEvent: (e) => events.push(e) });
    const victim = 'lost.take-victim';
    await warmSessions(store, [victim, 'nonce', 'n1']);

    const lost = proxy.loseNextReply();
    await expect(store.take(victim, 'nonce')).rejects.toThrow(/take on the cold tier/);
    await lost;
    expect(await readField(direct, victim, 'nonce')).toBeUndefined();

    expect(text((await copyOf(victim))?.fields.get('nonce')?.value)).toBe('n1');
    // Another process (its own layered store over the same Redis and Postgres) reads it gone
    // too, then this one.
    const peer = new LayeredStore({ hot, cold, hotTtl: 60, onEvent: (e) => events.push(e) });
    expect(await readField(peer, victim, 'nonce')).toBeUndefined();
    expect(await readField(store, victim, 'nonce')).toBeUndefined();
    expect((await compareTiers(hot, direct, [victim])).disagreements).toEqual([]);
    expect(events).toEqual([]);
  });

  it('invalidates hot at once when the reply to a delete is lost', async () => {
    events.length = 0;
    const [victim, other] = ['lost.delete-victim', 'lost.delete-other'];
    await warmSessions(store, [victim, 'user', 'u1'], [other, 'x', '1']);

    const lost = proxy.loseNextReply();
    await expect(store.delete(victim)).rejects.toThrow(/delete on the cold tier/);
    await lost;
    expect(await direct.getAll(victim)).toBeUndefined();
    expect(await copyOf(victim)).toBeUndefined();

    // The deleted session is not served while Postgres is unreachable; others still are.
    proxy.down();
    await expect(store.getAll(victim)).rejects.toBeInstanceOf(StoreError);
    expect(text(await readField(store, other, 'x'))).toBe('1');
    proxy.up();
    expect(await store.getAll(victim)).toBeUndefined();
    expect(events).toEqual([]);
  });

  it('invalidates hot at once when the reply to the COMMIT of a rename is lost', async () => {
    events.length = 0;
    const [from, to] = ['lost.rename-from', 'lost.rename-to'];
    await warmSessions(store, [from, 'user', 'u1']);

    const lost = proxy.loseNextReply(commitReply);
    await expect(
      store.rename(from, to, { idleMs: write.idleMs, set: [{ field: 'role', value: utf8('r') }] }),
    ).rejects.toThrow(/rename on the cold tier/);
    await lost;
    expect(await direct.getAll(from)).toBeUndefined();
    expect(await copyOf(from)).toBeUndefined();

    // The old id is dead and is not served, even while Postgres is unreachable.
    proxy.down();
    await expect(store.getAll(from)).rejects.toBeInstanceOf(StoreError);
    proxy.up();
    expect(await store.getAll(from)).toBeUndefined();
    const session = await store.getAll(to);
    expect(text(session?.fields.get('user')?.value)).toBe('u1');
    expect(text(session?.fields.get('role')?.value)).toBe('r');
    expect((await compareTiers(hot, direct, [from, to])).disagreements).toEqual([]);
    expect(events).toEqual([]);
  });
});
