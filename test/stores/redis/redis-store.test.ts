import { createHash, randomUUID } from 'node:crypto';
import type { Command, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, InvalidKeyError } from '../../../src/core/errors.ts';
import type { WriteOptions } from '../../../src/core/store-contract.ts';
import { RedisStore } from '../../../src/stores/redis/index.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';
import { readField } from '../../support/read-field.ts';
import {
  connectRedis,
  deleteKeysUnder,
  keysUnder,
  REDIS_URL,
  uniquePrefix,
} from './redis-test-server.ts';

describeStoreConformance('RedisStore (standalone, emulated field TTL)', async () => {
  const client = await connectRedis();
  const prefix = uniquePrefix('conformance');
  const store = new RedisStore({ client, prefix });
  return {
    store,
    teardown: async () => {
      await deleteKeysUnder(client, prefix);
      await store.close();
      await client.quit();
    },
  };
});

/** A store key as the core derives it: a family, a dot, and a base64url SHA-256. */
function storeKey(family = randomUUID().slice(0, 8)): string {
  return `${family}.${createHash('sha256').update(randomUUID()).digest('base64url')}`;
}

/** The Redis key the store should use for `key`: the family alone is the hash tag. */
function rawKey(prefix: string, key: string): string {
  const dot = key.indexOf('.');
  return `${prefix}{${key.slice(0, dot)}}${key.slice(dot)}`;
}

const value = (text: string) => new TextEncoder().encode(text);
const write = (extra: Partial<WriteOptions> = {}): WriteOptions => ({
  create: true,
  idleMs: 60_000,
  ...extra,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The hash's field names as text, metadata (which starts with NUL) shown as `\0`. */
async function hashFields(client: Redis, key: string): Promise<string[]> {
  const names = await client.hkeysBuffer(key);
  return names.map((name) => name.toString('utf8').replaceAll('\0', '\\0')).sort();
}

/**
 * Records the name of every command the real client sends, until `stop`. It wraps the instance's
 * own `sendCommand`, which every command and script call goes through.
 */
function recordCommands(client: Redis): { sent: string[]; stop: () => void } {
  const sent: string[] = [];
  const send = client.sendCommand;
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    sent.push(command.name);
    return (send as (...args: unknown[]) => unknown).call(client, command, ...rest);
  }) as typeof client.sendCommand;
  return { sent, stop: () => Object.assign(client, { sendCommand: send }) };
}

describe('RedisStore on standalone Redis', () => {
  let client: Redis;
  let store: RedisStore;
  const prefix = uniquePrefix('standalone');

  beforeAll(async () => {
    client = await connectRedis();
    store = new RedisStore({ client, prefix });
  });

  afterAll(async () => {
    await deleteKeysUnder(client, prefix);
    await store.close();
    await client.quit();
  });

  describe('keyspace', () => {
    it('keeps each session as one hash, keyed by the prefix and the store key with its family as hash tag', async () => {
      const [from, extra] = [storeKey(), storeKey()];
      const to = storeKey(from.slice(0, 8));
      await store.setMany(
        from,
        [
          { field: 'plain', value: value('1') },
          { field: 'short', value: value('2'), ttlMs: 60_000 },
          { field: 'forever', value: value('3'), ttlMs: 'persistent' },
        ],
        write({ absoluteMs: 120_000 }),
      );
      await store.setIfAbsent(from, { field: 'flash', value: value('4') }, write());
      await store.take(from, 'flash');
      await store.rename(from, to, { idleMs: 60_000, set: [{ field: 'new', value: value('5') }] });
      await store.set(extra, { field: 'a', value: value('6') }, write());
      expect(await keysUnder(client, prefix)).toEqual(
        [rawKey(prefix, to), rawKey(prefix, extra)].sort(),
      );
      expect(await client.type(rawKey(prefix, to))).toBe('hash');
      // User fields, plus metadata under names no user field can have.
      expect(await hashFields(client, rawKey(prefix, to))).toEqual(
        [
          '\\0b',
          '\\0c',
          '\\0d',
          '\\0f',
          '\\0n',
          '\\0tshort',
          'forever',
          'new',
          'plain',
          'short',
        ].sort(),
      );
    });

    it('tags a key without a family whole, so it still stands alone in its slot', async () => {
      const key = createHash('sha256').update(randomUUID()).digest('base64url');
      await store.set(key, { field: 'a', value: value('1') }, write());
      expect(await client.exists(`${prefix}{${key}}`)).toBe(1);
    });
  });

  describe('key expiry', () => {
    it("gives the key the session's end: idle timeout, longest field, deadline, or none", async () => {
      const pttl = (key: string) => client.pttl(rawKey(prefix, key));
      const near = (ttl: number, asked: number) => {
        expect(ttl).toBeLessThanOrEqual(asked);
        expect(ttl).toBeGreaterThan(asked - 1_500);
      };
      const [idle, capped, persistent] = [storeKey(), storeKey(), storeKey()];
      await store.set(idle, { field: 'a', value: value('1') }, write());
      near(await pttl(idle), 60_000);
      await store.set(idle, { field: 'b', value: value('2'), ttlMs: 120_000 }, write());
      near(await pttl(idle), 120_000);
      await store.expire(idle, 5_000, 'set');
      near(await pttl(idle), 5_000);

      await store.set(capped, { field: 'a', value: value('1') }, write({ absoluteMs: 9_000 }));
      await store.set(capped, { field: 'b', value: value('2'), ttlMs: 'persistent' }, write());
      near(await pttl(capped), 9_000);

      await store.set(persistent, { field: 'a', value: value('1'), ttlMs: 'persistent' }, write());
      expect(await pttl(persistent)).toBe(-1);
      await store.expire(persistent, 7_000, 'set');
      near(await pttl(persistent), 7_000);
    });

    it('lets Redis itself drop a session whose end has passed', async () => {
      const key = storeKey();
      await store.set(key, { field: 'a', value: value('1') }, write({ idleMs: 200 }));
      expect(await client.exists(rawKey(prefix, key))).toBe(1);
      await sleep(400);
      expect(await client.exists(rawKey(prefix, key))).toBe(0);
    });
  });

  describe('emulated field expiry', () => {
    it('purges an expired field and its metadata when a later call touches the session', async () => {
      const key = storeKey();
      const raw = rawKey(prefix, key);
      await store.setMany(
        key,
        [
          { field: 'short', value: value('1'), ttlMs: 200 },
          { field: 'long', value: value('2'), ttlMs: 30_000 },
          { field: 'plain', value: value('3') },
        ],
        write(),
      );
      expect(await hashFields(client, raw)).toContain('\\0tshort');
      await sleep(400);
      // Nothing touched the session: the field is still stored, though no call would return it.
      expect(await hashFields(client, raw)).toContain('short');
      await store.set(key, { field: 'plain', value: value('3') }, write());
      expect(await hashFields(client, raw)).toEqual(
        ['\\0c', '\\0e', '\\0n', '\\0tlong', 'long', 'plain'].sort(),
      );
      // The bound on the next field expiry now names the survivor, so calls skip the scan.
      const next = Number(await client.hget(raw, '\0n'));
      expect(next).toBe(Number(await client.hget(raw, '\0tlong')));
    });

    it('counts a session again when its counts are missing, as from before they existed', async () => {
      const key = storeKey();
      const raw = rawKey(prefix, key);
      const limits = { maxFields: 3, maxSessionBytes: 1_000 };
      await store.setMany(
        key,
        ['a', 'b', 'c'].map((field) => ({ field, value: value(field) })),
        write(),
      );
      await client.hdel(raw, '\0f', '\0b');
      await store.set(key, { field: 'a', value: value('A') }, write());
      expect(await hashFields(client, raw)).not.toContain('\\0f');
      await expect(
        store.set(key, { field: 'd', value: value('d') }, write({ limits })),
      ).rejects.toMatchObject({ code: 'RUTS_SESSION_TOO_LARGE', limit: 'maxFields' });
      await store.set(key, { field: 'b', value: value('BB') }, write({ limits }));
      expect(await client.hmget(raw, '\0f', '\0b')).toEqual(['3', '7']);
    });

    it('drops the expiry bookkeeping once no field has a ttl of its own', async () => {
      const key = storeKey();
      const raw = rawKey(prefix, key);
      await store.set(key, { field: 'a', value: value('1'), ttlMs: 200 }, write());
      await store.set(key, { field: 'a', value: value('2') }, write());
      expect(await hashFields(client, raw)).toEqual(['\\0b', '\\0c', '\\0e', '\\0f', '\\0n', 'a']);
      await sleep(400);
      // The purge leaves the counts to be taken again by the next write that needs them.
      await store.set(key, { field: 'b', value: value('3') }, write());
      expect(await hashFields(client, raw)).toEqual(['\\0c', '\\0e', 'a', 'b']);
    });
  });

  describe('scripts', () => {
    it('sends exactly one command for every call, reads and writes alike', async () => {
      const own = await connectRedis();
      try {
        const counted = new RedisStore({ client: own, prefix });
        await counted.fieldTtlMode();
        const { sent } = recordCommands(own);
        const [key, to] = [storeKey(), storeKey()];
        const calls: [string, () => Promise<unknown>][] = [
          ['set', () => counted.set(key, { field: 'a', value: value('1') }, write())],
          [
            'setMany',
            () =>
              counted.setMany(
                key,
                [
                  { field: 'b', value: value('2'), ttlMs: 5_000 },
                  { field: 'c', value: value('3') },
                ],
                write(),
              ),
          ],
          [
            'setIfAbsent',
            () => counted.setIfAbsent(key, { field: 'd', value: value('4') }, write()),
          ],
          ['getAll', () => counted.getAll(key)],
          ['remove', () => counted.remove(key, 'b')],
          ['take', () => counted.take(key, 'c')],
          ['expire', () => counted.expire(key, 30_000, 'extend')],
          ['rename', () => counted.rename(key, to, { idleMs: 60_000 })],
          ['delete', () => counted.delete(to)],
        ];
        for (const [name, call] of calls) {
          sent.length = 0;
          await call();
          expect({ name, sent }).toEqual({ name, sent: ['evalsha'] });
        }
      } finally {
        await own.quit();
      }
    });

    it('reloads its scripts after SCRIPT FLUSH, as after a restart or failover, with and without auto-pipelining', async () => {
      const pipelined = await connectRedis(REDIS_URL, { enableAutoPipelining: true });
      try {
        for (const client_ of [client, pipelined]) {
          const target = new RedisStore({ client: client_, prefix });
          const key = storeKey();
          await target.set(key, { field: 'a', value: value('1') }, write());
          await client.script('FLUSH');
          expect(await target.set(key, { field: 'b', value: value('2') }, write())).not.toBeNull();
          expect(await readField(target, key, 'b')).toEqual(value('2'));
          expect((await target.getAll(key))?.fields.size).toBe(2);
        }
      } finally {
        await pipelined.quit();
      }
    });

    it('resends a script once when the server has forgotten it', async () => {
      const own = await connectRedis();
      try {
        const target = new RedisStore({ client: own, prefix });
        const key = storeKey();
        await target.set(key, { field: 'a', value: value('1') }, write());
        await own.script('FLUSH');
        const { sent } = recordCommands(own);
        await target.set(key, { field: 'b', value: value('2') }, write());
        // EVALSHA fails with NOSCRIPT, and the same call is resent with the script's source.
        expect(sent).toEqual(['evalsha', 'evalsha']);
        sent.length = 0;
        await target.set(key, { field: 'c', value: value('3') }, write());
        expect(sent).toEqual(['evalsha']);
      } finally {
        await own.quit();
      }
    });
  });

  describe('values', () => {
    it('returns values copied out of the reply parser, a small one holding little with it', async () => {
      const key = storeKey();
      const big = new Uint8Array(64 * 1024).fill(7);
      const many = Array.from({ length: 40 }, (_, n) => ({
        field: `s${n}`,
        value: new Uint8Array(300).fill(n),
      }));
      await store.setMany(
        key,
        [{ field: 'big', value: big }, { field: 'small', value: value('x') }, ...many],
        write(),
      );
      const all = await store.getAll(key);
      const small = all?.fields.get('small')?.value;
      expect(small).toEqual(value('x'));
      // getAll copies small values into shared blocks of at most 4 KiB; a large one has its own.
      expect(small?.buffer.byteLength).toBeLessThanOrEqual(4096);
      expect(all?.fields.get('big')?.value.buffer.byteLength).toBe(big.byteLength);
      for (const { field, value: expected } of many) {
        const read = all?.fields.get(field)?.value;
        expect(read).toEqual(expected);
        expect(read?.buffer.byteLength).toBeLessThanOrEqual(4096);
      }
      // The copies do not alias one another: changing one leaves the rest as stored.
      all?.fields.get('s0')?.value.fill(99);
      expect(all?.fields.get('s1')?.value).toEqual(many[1]?.value);
    });

    it('rejects a field name starting with NUL, which would address its metadata', async () => {
      const key = storeKey();
      const { sent, stop } = recordCommands(client);
      await expect(store.set(key, { field: '\0e', value: value('1') }, write())).rejects.toThrow(
        InvalidKeyError,
      );
      await expect(
        store.rename(key, storeKey(), {
          idleMs: 1_000,
          set: [{ field: '\0d', value: value('1') }],
        }),
      ).rejects.toThrow(InvalidKeyError);
      stop();
      expect(sent).toEqual([]);
    });
  });

  describe('clients', () => {
    it('hands out the client it was given and leaves it open on close', async () => {
      const own = await connectRedis();
      const target = new RedisStore({ client: own, prefix });
      expect(target.getInstance()).toBe(own);
      await target.set(storeKey(), { field: 'a', value: value('1') }, write());
      await target.close();
      expect(own.status).toBe('ready');
      expect(await own.ping()).toBe('PONG');
      await own.quit();
    });

    it('creates a client from a url on first use and closes it', async () => {
      const target = new RedisStore({ url: REDIS_URL, prefix });
      const created = target.getInstance();
      expect(created.status).toBe('wait');
      const key = storeKey();
      await target.set(key, { field: 'a', value: value('1') }, write());
      expect(created.status).toBe('ready');
      await target.close();
      expect(created.status).toBe('end');
      expect(await readField(store, key, 'a')).toEqual(value('1'));
    });

    it('shares one client per url in the process, closed when the last store of it closes', async () => {
      const url = `${REDIS_URL}?shared=${randomUUID()}`;
      vi.resetModules();
      // A second copy of the module, as Next.js makes when it evaluates one module twice.
      const copy = await import('../../../src/stores/redis/redis-store.ts');
      const pages = new RedisStore({ url, prefix });
      const routes = new copy.RedisStore({ url, prefix });
      const other = new RedisStore({ url: `${url}&other=1`, prefix });
      const created = pages.getInstance();
      expect(routes.getInstance()).toBe(created);
      expect(other.getInstance()).not.toBe(created);
      const key = storeKey();
      await pages.set(key, { field: 'a', value: value('1') }, write());
      await pages.close();
      expect(created.status).toBe('ready');
      expect(await readField(routes, key, 'a')).toEqual(value('1'));
      await routes.close();
      expect(created.status).toBe('end');
      await other.close();
      // A store of that url made afterwards opens a client of its own again.
      const later = new RedisStore({ url, prefix });
      expect(later.getInstance()).not.toBe(created);
      expect(await readField(later, key, 'a')).toEqual(value('1'));
      await later.close();
    });

    it('closes a url store that never connected without connecting', async () => {
      const target = new RedisStore({ url: REDIS_URL, prefix });
      const created = target.getInstance();
      await target.close();
      expect(created.status).toBe('end');
    });
  });

  describe('options', () => {
    it('requires exactly one of client or url', () => {
      expect(() => new RedisStore({})).toThrow(ConfigError);
      expect(() => new RedisStore({ client, url: REDIS_URL })).toThrow(/exactly one of/);
    });

    it('rejects a client that is not ioredis and a url that is not redis://', () => {
      expect(() => new RedisStore({ client: {} as Redis })).toThrow(/ioredis Redis or Cluster/);
      expect(() => new RedisStore({ url: 'http://localhost:6379' })).toThrow(ConfigError);
      expect(() => new RedisStore({ url: 'rediss://cache.example:6380' })).not.toThrow();
    });

    it('validates the prefix before anything is sent', () => {
      const create = () => new RedisStore({ client, prefix: 'app:{sessions}:' });
      expect(create).toThrow(ConfigError);
      expect(create).toThrow(/without "\{" or "\}"/);
    });

    it('rejects a nativeFieldTtl other than auto, true or false', () => {
      const create = () => new RedisStore({ client, nativeFieldTtl: 'yes' as unknown as boolean });
      expect(create).toThrow(ConfigError);
      expect(create).toThrow(/nativeFieldTtl must be 'auto', true or false/);
    });
  });
});
