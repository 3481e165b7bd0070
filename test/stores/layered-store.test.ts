import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import type {
  OwnedSessionStore,
  SessionStore,
  SweepableStore,
} from '../../src/core/store-contract.ts';
import { LayeredStore, type LayeredStoreEvent } from '../../src/stores/layered-store.ts';
import type { MemoryStore } from '../../src/stores/memory/memory-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { describeStoreConformance } from '../conformance/store-conformance.ts';
import { Browser } from '../support/browser.ts';
import { memoryStore } from '../support/memory-store.ts';
import { createTestSchema } from '../support/postgres.ts';
import { readField } from '../support/read-field.ts';
import { layeredOverPostgres } from '../support/session-stores.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from './redis/redis-test-server.ts';

/**
 * Reads each session back after every change, so that the suite's own reads are answered by a
 * warm hot tier instead of the cold one.
 */
function readingBackAfterEveryCall(
  store: LayeredStore,
): SessionStore & SweepableStore & OwnedSessionStore {
  const then =
    <A extends [string, ...unknown[]], R>(
      call: (...args: A) => Promise<R>,
      keys: (args: A) => string[] = (args) => [args[0]],
    ) =>
    async (...args: A): Promise<R> => {
      const result = await call(...args);
      await Promise.all(keys(args).map((key) => store.getAll(key)));
      return result;
    };
  return {
    getAll: (key) => store.getAll(key),
    set: then((key, entry, options) => store.set(key, entry, options)),
    setMany: then((key, entries, options) => store.setMany(key, entries, options)),
    setIfAbsent: then((key, entry, options) => store.setIfAbsent(key, entry, options)),
    remove: then((key, field) => store.remove(key, field)),
    take: then((key, field) => store.take(key, field)),
    delete: then((key) => store.delete(key)),
    rename: then(
      (from, to, options) => store.rename(from, to, options),
      ([from, to]) => [from, to],
    ),
    expire: then((key, ttl, mode) => store.expire(key, ttl, mode)),
    sweep: () => store.sweep(),
    listOwned: (owner, fields) => store.listOwned(owner, fields),
    deleteOwned: then(
      (owner: string, except?: string) => store.deleteOwned(owner, except),
      ([, except]) => (except === undefined ? [] : [except]),
    ),
  };
}

/** Registers the suite twice: as the suite reads (mostly hot misses), and answering from hot. */
function describeLayeredConformance(
  name: string,
  setup: () => Promise<{ store: LayeredStore; teardown: () => Promise<void> }>,
): void {
  describeStoreConformance(`LayeredStore (${name})`, setup);
  describeStoreConformance(`LayeredStore (${name}, answering from hot)`, async () => {
    const { store, teardown } = await setup();
    return { store: readingBackAfterEveryCall(store), teardown };
  });
}

describeLayeredConformance('memory over memory', async () => {
  const store = new LayeredStore({ hot: memoryStore(), cold: memoryStore() });
  return { store, teardown: () => store.close() };
});

describeLayeredConformance('memory over Postgres', async () => {
  const db = await createTestSchema({ prefix: 'ruts_layered_memory', max: 20 });
  const cold = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
  const store = new LayeredStore({ hot: memoryStore(), cold });
  return {
    store,
    teardown: async () => {
      await cold.close();
      await db.drop();
    },
  };
});

describeLayeredConformance('Redis over Postgres', async () =>
  layeredOverPostgres(await connectRedis(), 'layered_redis'),
);

const key = 'fam00000.session';
const utf8 = (text: string) => new TextEncoder().encode(text);
const write = { create: true, idleMs: 24 * 60 * 60_000 };
/** `store`, with the name of every method called on it pushed to `calls`. */
function recordingCalls<S extends object>(store: S, calls: string[]): S {
  return new Proxy(store, {
    get(target, property) {
      const member = Reflect.get(target, property, target);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return member.apply(target, args);
      };
    },
  });
}

const names = (session: { fields: Map<string, unknown> } | undefined) =>
  [...(session?.fields.keys() ?? [])].sort();

describe('LayeredStore', () => {
  describe('options', () => {
    it('rejects a hot tier that cannot cache, and a cold tier that is not a store', () => {
      const notACache = { getAll: async () => undefined } as unknown as MemoryStore;
      const create = () => new LayeredStore({ hot: notACache, cold: memoryStore() });
      expect(create).toThrow(ConfigError);
      expect(create).toThrow(/hot must be a store that can cache sessions: a RedisStore/);
      expect(() => new LayeredStore({ hot: memoryStore(), cold: undefined as never })).toThrow(
        /cold must be a session store .* it lacks getAll, set,/,
      );
      expect(() => new LayeredStore(undefined as never)).toThrow(ConfigError);
    });

    it('rejects one store as both tiers', () => {
      const store = memoryStore();
      expect(() => new LayeredStore({ hot: store, cold: store })).toThrow(
        /hot and cold must be two different stores/,
      );
    });

    it.each([
      ['hotTtl', 0],
      ['hotTtl', -1],
      ['hotTtl', Number.NaN],
      ['hotTtl', Number.POSITIVE_INFINITY],
      ['hotTtl', '60'],
      ['hotTimeout', 0.0001],
      ['hotTimeout', null],
    ])('rejects a %s of %s with a ConfigError that says what is allowed', (name, value) => {
      const create = () =>
        new LayeredStore({ hot: memoryStore(), cold: memoryStore(), [name]: value as number });
      expect(create).toThrow(ConfigError);
      expect(create).toThrow(new RegExp(`${name} must be a positive number of seconds`));
    });

    it('rejects an onEvent that is not a function', () => {
      const create = () =>
        new LayeredStore({ hot: memoryStore(), cold: memoryStore(), onEvent: 'log' as never });
      expect(create).toThrow(/onEvent must be a function/);
    });

    it('trusts a copy in hot for 30 seconds by default, then reads cold again', async () => {
      let time = 1_700_000_000_000;
      const now = () => time;
      const cold = memoryStore({ now });
      const store = new LayeredStore({ hot: memoryStore({ now }), cold });
      await store.set(key, { field: 'a', value: utf8('1') }, write);
      await store.getAll(key);
      // Changed behind the layered store's back: only a read of cold can see it.
      await cold.set(key, { field: 'a', value: utf8('2') }, write);
      time += 30_000 - 1;
      expect(await readField(store, key, 'a')).toEqual(utf8('1'));
      time += 1;
      expect(await readField(store, key, 'a')).toEqual(utf8('2'));
    });

    it('exposes the tiers it was given', () => {
      const [hot, cold] = [memoryStore(), memoryStore()];
      const store = new LayeredStore({ hot, cold });
      expect([store.hot, store.cold]).toEqual([hot, cold]);
    });
  });

  describe('events', () => {
    it('logs each event with console.warn when no handler is given', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const hot = memoryStore();
        const broken = new Proxy(hot, {
          get: (target, property) =>
            property === 'readCopy'
              ? () => Promise.reject(new Error('ECONNRESET'))
              : Reflect.get(target, property, target),
        });
        const store = new LayeredStore({ hot: broken, cold: memoryStore() });
        await store.getAll(key);
        expect(warn).toHaveBeenCalledWith(
          `ruts: LayeredStore getAll of ${key}: the hot tier failed; went on from cold: ECONNRESET`,
        );
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('close and sweep', () => {
    it('leaves both tiers open on close: they belong to the caller', async () => {
      const [hot, cold] = [memoryStore(), memoryStore()];
      const store = new LayeredStore({ hot, cold });
      await store.set(key, { field: 'a', value: utf8('1') }, write);
      await store.getAll(key);
      await store.close();
      expect((await hot.readCopy(key)).copy?.fields.get('a')?.value).toEqual(utf8('1'));
      expect(await readField(cold, key, 'a')).toEqual(utf8('1'));
    });

    it('sweeps cold and counts what it removed', async () => {
      const [hot, cold] = [memoryStore(), memoryStore()];
      const store = new LayeredStore({ hot, cold });
      await store.set(key, { field: 'a', value: utf8('1') }, { ...write, idleMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await store.sweep()).toBe(1);
    });
  });

  describe('behind the session handle', () => {
    it("routes each write by the handle's write option, and serves reads from hot", async () => {
      const [hot, cold] = [memoryStore(), memoryStore()];
      const coldCalls: string[] = [];
      const counted = recordingCalls(cold, coldCalls);
      const store = new LayeredStore({ hot, cold: counted });
      const manager = createSessionManager<
        { cart: string[]; nonce: string; audit: string; user: string },
        { notice: string }
      >({ secret: 'a-test-secret-that-is-long-enough-0123456789', store });
      const browser = new Browser(manager);

      const first = browser.request();
      await first.set('cart', ['apple']);
      await first.set('nonce', 'n-1', { write: 'hot' });
      await first.flash('notice', 'saved');
      const sessionKey = (await manager.verify(browser.cookie))?.key ?? '';
      expect(names(await cold.getAll(sessionKey))).toEqual(['@flash:notice', 'cart']);
      expect(names({ fields: new Map((await hot.readCopy(sessionKey)).local) })).toEqual(['nonce']);

      const second = browser.request();
      expect(await second.getAll()).toEqual({ cart: ['apple'], nonce: 'n-1' });
      expect(await second.takeFlash('notice')).toBe('saved');

      coldCalls.length = 0;
      const third = browser.request();
      expect(await third.getAll()).toEqual({ cart: ['apple'], nonce: 'n-1' });
      expect(coldCalls).toEqual([]);

      await third.regenerate({ set: { user: 'ada' } });
      const fourth = browser.request();
      expect(await fourth.getAll()).toEqual({ cart: ['apple'], nonce: 'n-1', user: 'ada' });
      await fourth.set('audit', 'logged in', { write: 'cold' });
      expect(await browser.request().get('audit')).toBe('logged in');

      await browser.request().destroy();
      expect(cold.size).toBe(0);
      expect(await store.getAll(sessionKey)).toBeUndefined();
    });
  });

  describe('session limits', () => {
    it("holds each tier to the limits: cold its fields, hot the session as it serves it with the 'hot' fields", async () => {
      const store = new LayeredStore({ hot: memoryStore(), cold: memoryStore() });
      const manager = createSessionManager({
        secret: 'a-test-secret-that-is-long-enough-0123456789',
        store,
        maxFields: 3,
      });
      const browser = new Browser(manager);
      await browser.request().set('a', 1);
      await browser.request().set('b', 2, { write: 'hot' });
      await browser.request().set('c', 3, { write: 'cold' });
      const refusal = { code: 'RUTS_SESSION_TOO_LARGE', limit: 'maxFields', key: 'd' };
      // Hot serves a, b and c: full.
      await expect(browser.request().set('d', 4, { write: 'hot' })).rejects.toMatchObject(refusal);
      await browser.request().set('b', 20, { write: 'hot' });
      // Cold holds a and c: room for one more of its own, then full.
      await browser.request().set('d', 4, { write: 'through' });
      await expect(browser.request().set('e', 5, { write: 'cold' })).rejects.toMatchObject({
        ...refusal,
        key: 'e',
      });
      expect(await browser.request().getAll()).toEqual({ a: 1, b: 20, c: 3, d: 4 });
    });
  });

  describe('over Redis and Postgres', () => {
    let db: Awaited<ReturnType<typeof createTestSchema>>;
    beforeAll(async () => {
      db = await createTestSchema({ prefix: 'ruts_layered_tiers' });
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('answers a warm session from Redis without a query to Postgres', async () => {
      const client = await connectRedis();
      const prefix = uniquePrefix('layered-warm');
      const postgres = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
      const calls: string[] = [];
      const cold = recordingCalls(postgres, calls);
      const store = new LayeredStore({ hot: new RedisStore({ client, prefix }), cold });
      const key = 'fam00001.warm';
      try {
        await store.setMany(
          key,
          [
            { field: 'a', value: utf8('1') },
            { field: 'b', value: utf8('2'), ttlMs: 90 * 60_000 },
          ],
          write,
        );
        const fromPostgres = await store.getAll(key);
        calls.length = 0;
        const fromRedis = await store.getAll(key);
        expect(fromRedis?.fields.get('b')?.value).toEqual(utf8('2'));
        expect(calls).toEqual([]);
        expect(fromRedis?.createdAt).toBe(fromPostgres?.createdAt);
        expect(fromRedis?.fields.get('b')?.ttlMs).toBeGreaterThan(90 * 60_000 - 1_500);
      } finally {
        await deleteKeysUnder(client, prefix);
        await client.quit();
        await postgres.close();
      }
    });

    it('keeps serving reads and writes from Postgres, and reports the failures', async () => {
      const client = await connectRedis();
      const prefix = uniquePrefix('layered-killed');
      const cold = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
      const events: LayeredStoreEvent[] = [];
      const store = new LayeredStore({
        hot: new RedisStore({ client, prefix }),
        cold,
        onEvent: (event) => events.push(event),
      });
      const key = 'fam00001.killed';
      try {
        await store.set(key, { field: 'a', value: utf8('1') }, write);
        expect((await store.getAll(key))?.fields.size).toBe(1);
        // The connection drops and does not come back: every hot call now rejects.
        client.disconnect();
        await store.set(key, { field: 'b', value: utf8('2') }, write);
        expect(names(await store.getAll(key))).toEqual(['a', 'b']);
        expect(await store.take(key, 'a')).toEqual(utf8('1'));
        // Hot cannot confirm the session gone, so the delete says so, after cold deleted it.
        await expect(store.delete(key)).rejects.toThrow(/could not confirm it gone/);
        expect(await cold.getAll(key)).toBeUndefined();
        expect(events.length).toBeGreaterThan(0);
        expect(events.map((event) => event.error)).toContainEqual(
          expect.objectContaining({ message: expect.stringMatching(/Connection is closed/) }),
        );
      } finally {
        const cleaner = await connectRedis();
        await deleteKeysUnder(cleaner, prefix);
        await cleaner.quit();
        await cold.close();
      }
    });
  });
});
