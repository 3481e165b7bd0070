/**
 * The owner index of `RedisStore`, step by step: its index entry and its sessions live in
 * different slots, so these tests stop the protocol between its steps (holding one command
 * before it is sent, or its reply after the server ran it) and run a list or a revoke in the
 * gap, then check that no live session of the owner is left out of the index and that a revoke
 * ends every session it should. The same cases run on standalone Redis, on a Redis Cluster, and
 * with native field TTL when `RUTS_REDIS_NATIVE_URL` names such a server.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { Cluster, type Command, type Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOwnerError } from '../../../src/core/errors.ts';
import type { RenameResult } from '../../../src/core/store-contract.ts';
import { RedisStore } from '../../../src/stores/redis/index.ts';
import { defineSessionCommands } from '../../../src/stores/redis/redis-commands.ts';
import { ownerIndexKey, sessionKey, tombstoneKey } from '../../../src/stores/redis/redis-keys.ts';
import { MAX_BIND_DELAY_MS } from '../../../src/stores/redis/redis-scripts.ts';
import {
  IDLE,
  newKey,
  opts,
  siblingKeys,
  sleep,
  utf8,
} from '../../conformance/conformance-helpers.ts';
import { type RedisClusterHarness, startRedisCluster } from '../../support/redis-cluster.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from './redis-test-server.ts';

type Client = Redis | Cluster;

let harness: Promise<RedisClusterHarness> | undefined;

afterAll(async () => {
  await (await harness)?.stop();
});

async function connectCluster(): Promise<Cluster> {
  harness ??= startRedisCluster();
  const client = new Cluster([...(await harness).nodes]);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  return client;
}

const NATIVE_URL = process.env.RUTS_REDIS_NATIVE_URL;

const targets: [name: string, connect: () => Promise<Client>, run: boolean][] = [
  ['standalone Redis', () => connectRedis(), true],
  ['Redis Cluster', connectCluster, true],
  // Skipped without a Redis that has hash-field expiry; .ci/run starts one and says so.
  [
    'standalone Redis with native field TTL (needs RUTS_REDIS_NATIVE_URL)',
    () => connectRedis(NATIVE_URL),
    !!NATIVE_URL,
  ],
];

function newOwner(): string {
  return `user-${randomUUID()}`;
}

/** The script calls' arguments: `[sha, number of keys, ...keys, ...args]`, as text. */
function scriptArgs(command: Command): string[] | undefined {
  if (command.name !== 'evalsha' && command.name !== 'eval') return undefined;
  return command.args.map((arg) => String(arg));
}

/** A gate on one command: the test waits for it to be `reached`, and `release`s it. */
interface Gate {
  readonly reached: Promise<void>;
  release(): void;
}

/**
 * Patches `client.sendCommand` (every command and script call goes through it, on a Cluster as
 * on a single server) so that the first command `matches` accepts is held: `'before'` it is sent,
 * or `'after'` the server ran it, before its caller sees the reply.
 */
function hold(client: Client, matches: (command: Command) => boolean, when: 'before' | 'after') {
  const send = client.sendCommand as (command: Command, ...rest: unknown[]) => Promise<unknown>;
  let armed = true;
  let reach = () => {};
  let release = () => {};
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    if (!armed || !matches(command)) return send.call(client, command, ...rest);
    armed = false;
    reach();
    if (when === 'before') return released.then(() => send.call(client, command, ...rest));
    return send.call(client, command, ...rest).then(async (reply) => {
      await released;
      return reply;
    });
  }) as typeof client.sendCommand;
  restores.push(() => Object.assign(client, { sendCommand: send }));
  return { reached, release } satisfies Gate;
}

/** Delays every command by 0 to `maxMs` ms, so concurrent calls interleave between their steps. */
function slowNetwork(client: Client, maxMs: number): void {
  const send = client.sendCommand as (command: Command, ...rest: unknown[]) => Promise<unknown>;
  client.sendCommand = ((command: Command, ...rest: unknown[]) =>
    sleep(Math.floor(Math.random() * (maxMs + 1))).then(() =>
      send.call(client, command, ...rest),
    )) as typeof client.sendCommand;
  restores.push(() => Object.assign(client, { sendCommand: send }));
}

const restores: (() => void)[] = [];
afterEach(() => {
  for (const restore of restores.splice(0).reverse()) restore();
});

for (const [name, connect, run] of targets) {
  describe.runIf(run)(`RedisStore owner index on ${name}`, () => {
    let client: Client;
    let store: RedisStore;
    const prefix = uniquePrefix('owners');
    const raw = (key: string) => sessionKey(prefix, key);
    const index = (owner: string) => ownerIndexKey(prefix, owner);

    /** The index script adding `key` to an owner's index (its only argument is the key). */
    const indexAdd =
      (key: string) =>
      (command: Command): boolean => {
        const args = scriptArgs(command);
        return args?.[2]?.startsWith(`${prefix}owner:`) === true && args[4] === key;
      };
    /** The owned script deleting `key` for a revoke. */
    const revokeOf =
      (key: string) =>
      (command: Command): boolean => {
        const args = scriptArgs(command);
        return args?.[2] === raw(key) && args[3] === tombstoneKey(raw(key)) && args[5] === 'd';
      };

    const listed = async (owner: string) =>
      (await store.listOwned(owner, [])).map((session) => session.key).sort();
    const login = async (owner: string, key = newKey()) => {
      await store.setMany(key, [{ field: 'device', value: utf8(key) }], opts({ owner }));
      return key;
    };

    beforeAll(async () => {
      client = await connect();
      store = new RedisStore({ client, prefix });
    });

    afterAll(async () => {
      await deleteKeysUnder(client, prefix);
      await client.quit();
    });

    describe('a list between the index entry and the bind', () => {
      it('refuses a creating write it judged, so the session is never live and unlisted', async () => {
        const owner = newOwner();
        const key = newKey();
        const gate = hold(client, indexAdd(key), 'after');
        const writing = store.setMany(key, [{ field: 'a', value: utf8('1') }], opts({ owner }));
        await gate.reached;
        await sleep(20);
        expect(await client.sismember(index(owner), key)).toBe(1);
        expect(await listed(owner)).toEqual([]);
        // The list pruned the entry, and left a tombstone the bind then meets.
        expect(await client.sismember(index(owner), key)).toBe(0);
        expect(await client.exists(tombstoneKey(raw(key)))).toBe(1);
        gate.release();
        expect(await writing).toBeNull();
        expect(await store.getAll(key)).toBeUndefined();
        // The handle retries with a fresh key, which binds and is listed.
        const retried = await login(owner);
        expect(await listed(owner)).toEqual([retried]);
      });

      it('refuses a rename that binds onto a key it judged', async () => {
        const owner = newOwner();
        const [anonymous, signedIn] = siblingKeys(2);
        await store.set(anonymous, { field: 'cart', value: utf8('1') }, opts());
        const gate = hold(client, indexAdd(signedIn), 'after');
        const renaming = store.rename(anonymous, signedIn, { idleMs: IDLE, owner });
        await gate.reached;
        await sleep(20);
        expect(await listed(owner)).toEqual([]);
        gate.release();
        expect(await renaming).toEqual({ status: 'collision' });
        const kept = await store.getAll(anonymous);
        expect(kept?.owner).toBeUndefined();
        expect(kept?.fields.has('cart')).toBe(true);
        expect(await listed(owner)).toEqual([]);
      });

      it('keeps listing a session whose rename (keeping its owner) it caught half-way', async () => {
        const owner = newOwner();
        const [first, second] = siblingKeys(2);
        await login(owner, first);
        const gate = hold(client, indexAdd(second), 'after');
        const renaming = store.rename(first, second, { idleMs: IDLE });
        await gate.reached;
        await sleep(20);
        // Both keys are in the index now: the live one is listed, the pending one judged dead.
        expect(await listed(owner)).toEqual([first]);
        gate.release();
        expect(await renaming).toEqual({ status: 'collision' });
        expect((await store.getAll(first))?.owner).toBe(owner);
        expect(await listed(owner)).toEqual([first]);
      });

      it('lists a session whose bind landed before it read the index', async () => {
        const owner = newOwner();
        const key = newKey();
        const gate = hold(client, indexAdd(key), 'after');
        const writing = login(owner, key);
        await gate.reached;
        gate.release();
        await writing;
        expect(await listed(owner)).toEqual([key]);
      });
    });

    describe('a revoke racing renames', () => {
      it('ends a session caught between its new key entering the index and its move', async () => {
        const owner = newOwner();
        const [first, second] = siblingKeys(2);
        await login(owner, first);
        const gate = hold(client, indexAdd(second), 'after');
        const renaming = store.rename(first, second, { idleMs: IDLE });
        await gate.reached;
        await sleep(20);
        expect(await store.deleteOwned(owner)).toEqual([first]);
        gate.release();
        expect(await renaming).toEqual({ status: 'missing' });
        expect(await store.getAll(second)).toBeUndefined();
        expect(await listed(owner)).toEqual([]);
      });

      it('refuses a pending rename onto a key it already judged, then ends the session', async () => {
        const owner = newOwner();
        const [first, second] = siblingKeys(2);
        await login(owner, first);
        const renameGate = hold(client, indexAdd(second), 'after');
        const renaming = store.rename(first, second, { idleMs: IDLE });
        await renameGate.reached;
        // The revoke reads {first, second}, judges `second` (not yet there), and is held before
        // it deletes `first`; the rename then goes on, and must not land on `second`.
        const revokeGate = hold(client, revokeOf(first), 'before');
        const revoking = store.deleteOwned(owner);
        await revokeGate.reached;
        while ((await client.exists(tombstoneKey(raw(second)))) === 0) await sleep(5);
        renameGate.release();
        expect(await renaming).toEqual({ status: 'collision' });
        revokeGate.release();
        expect(await revoking).toEqual([first]);
        expect(await store.getAll(first)).toBeUndefined();
        expect(await store.getAll(second)).toBeUndefined();
        expect(await listed(owner)).toEqual([]);
      });

      it('follows a session through a chain of renames made after it read the index', async () => {
        const owner = newOwner();
        const first = newKey();
        const keys = [first, newKey(first), newKey(first), newKey(first)];
        await login(owner, first);
        // The revoke reads the index ({keys[0]}), and is held before it deletes keys[0].
        const gate = hold(client, revokeOf(first), 'before');
        const revoking = store.deleteOwned(owner);
        await gate.reached;
        for (let i = 1; i < keys.length; i++) {
          const moved = await store.rename(keys[i - 1] as string, keys[i] as string, {
            idleMs: IDLE,
          });
          expect(moved.status).toBe('renamed');
        }
        gate.release();
        expect(await revoking).toEqual([keys[3]]);
        for (const key of keys) expect(await store.getAll(key)).toBeUndefined();
        expect(await listed(owner)).toEqual([]);
      });

      it('ends sessions renaming in a loop over a slow network', async () => {
        const owner = newOwner();
        const firsts = await Promise.all(Array.from({ length: 8 }, () => login(owner)));
        const before = new Set(await client.smembers(index(owner)));
        expect(before.size).toBe(8);
        slowNetwork(client, 4);
        const trails: string[][] = firsts.map((first) => [first]);
        const regenerating = trails.map(async (trail) => {
          // Regenerates until the revoke ends the session, as a busy client would.
          for (let i = 0; i < 40; i++) {
            const next = newKey(trail[0]);
            const result: RenameResult = await store.rename(trail.at(-1) as string, next, {
              idleMs: IDLE,
            });
            if (result.status === 'missing') return;
            expect(result.status).not.toBe('owned');
            if (result.status === 'renamed') trail.push(next);
          }
        });
        await sleep(15);
        const [revoked] = await Promise.all([store.deleteOwned(owner), ...regenerating]);
        for (const trail of trails) {
          for (const key of trail) expect(await store.getAll(key)).toBeUndefined();
          // Each session was deleted under exactly one of its keys (a rename never copies).
          expect(trail.filter((key) => revoked.includes(key))).toHaveLength(1);
        }
        expect(await listed(owner)).toEqual([]);
      });
    });

    it('ends or lists each of 20 logins racing a revoke over a slow network', async () => {
      const owner = newOwner();
      const earlier = await Promise.all(Array.from({ length: 5 }, () => login(owner)));
      slowNetwork(client, 4);
      /** A login as the handle makes it: a refused bind is retried once with a fresh key. */
      const signIn = async (i: number): Promise<string | undefined> => {
        for (let attempt = 0; attempt < 2; attempt++) {
          const [anonymous, signedIn] = siblingKeys(2);
          if (i % 2 === 0) {
            const device = [{ field: 'device', value: utf8(signedIn) }];
            if (await store.setMany(signedIn, device, opts({ owner }))) return signedIn;
          } else {
            await store.set(anonymous, { field: 'device', value: utf8(signedIn) }, opts());
            const result = await store.rename(anonymous, signedIn, { idleMs: IDLE, owner });
            if (result.status === 'renamed') return signedIn;
          }
        }
        return undefined;
      };
      const logins = Array.from({ length: 20 }, (_, i) => sleep(i % 7).then(() => signIn(i)));
      const [revoked, ...signedIn] = await Promise.all([store.deleteOwned(owner), ...logins]);
      for (const key of earlier) {
        expect(revoked).toContain(key);
        expect(await store.getAll(key)).toBeUndefined();
      }
      const now = new Set(await listed(owner));
      const bound = signedIn.filter((key): key is string => key !== undefined);
      expect(bound.length).toBeGreaterThanOrEqual(15);
      for (const key of bound) {
        const live = (await store.getAll(key)) !== undefined;
        // Never neither: ended by the revoke, or live and listed.
        expect({ key, live, listed: now.has(key), revoked: revoked.includes(key) }).toEqual({
          key,
          live,
          listed: live,
          revoked: !live,
        });
      }
    });

    describe('pruning', () => {
      it('leaves only live sessions of the owner in the index after a list', async () => {
        const owner = newOwner();
        const [kept, deleted, expiring, renamed] = await Promise.all(
          Array.from({ length: 4 }, () => login(owner)),
        );
        const movedTo = newKey(renamed);
        const unbound = newKey();
        await store.set(unbound, { field: 'a', value: utf8('1') }, opts());
        // A write naming an owner does not bind an existing session, nor enter the index.
        await store.set(unbound, { field: 'b', value: utf8('2') }, opts({ owner }));
        await store.delete(deleted as string);
        await store.expire(expiring as string, 100, 'set');
        expect((await store.rename(renamed as string, movedTo, { idleMs: IDLE })).status).toBe(
          'renamed',
        );
        await sleep(250);
        expect((await client.smembers(index(owner))).sort()).toEqual(
          [kept, deleted, expiring, renamed, movedTo].sort(),
        );
        expect(await listed(owner)).toEqual([kept, movedTo].sort());
        expect((await client.smembers(index(owner))).sort()).toEqual([kept, movedTo].sort());
        for (const key of [deleted, expiring, renamed] as string[]) {
          expect(await client.exists(tombstoneKey(raw(key)))).toBe(1);
        }
        // A live session keeps no tombstone: it is never pruned.
        expect(await client.exists(tombstoneKey(raw(kept as string)))).toBe(0);
      });

      it('prunes on a bind once the index has grown to twice what the last prune left', async () => {
        const owner = newOwner();
        const short = opts({ owner, idleMs: 100 });
        await Promise.all(Array.from({ length: 31 }, () => store.setMany(newKey(), [], short)));
        await sleep(250);
        expect(await client.scard(index(owner))).toBe(31);
        // The 32nd entry reaches the first mark: the bind prunes the 31 dead ones.
        const last = await login(owner);
        expect(await client.smembers(index(owner))).toEqual([last]);
        expect(await listed(owner)).toEqual([last]);
        await store.deleteOwned(owner);
        // An empty index is no key, and its prune mark goes with it.
        expect(await client.exists(index(owner), `${index(owner)}~prune`)).toBe(0);
      });

      it('refuses a bind whose index entry is older than the bind may be', async () => {
        const commands = defineSessionCommands(client, 'emulated');
        const [seconds, micros] = await (client as Redis).time();
        const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
        const owner = newOwner();
        const args = { create: true, idleMs: IDLE, ifAbsent: false, owner };
        const [late, prompt] = [newKey(), newKey()];
        const stale = now - MAX_BIND_DELAY_MS - 1_000;
        expect(await commands.write(raw(late), [], { ...args, indexedAt: stale })).toBeNull();
        expect(await commands.write(raw(prompt), [], { ...args, indexedAt: now })).not.toBeNull();
        expect(await store.getAll(late)).toBeUndefined();
        expect((await store.getAll(prompt))?.owner).toBe(owner);
      });
    });

    describe('the hash and the index key', () => {
      it('keeps the owner and the last activity in owned sessions only', async () => {
        const owner = newOwner();
        const key = await login(owner);
        const plain = newKey();
        await store.set(plain, { field: 'a', value: utf8('1') }, opts());
        await store.expire(plain, 30_000, 'extend');
        expect(await client.hmget(raw(plain), '\0o', '\0a')).toEqual([null, null]);
        expect(await client.hget(raw(key), '\0o')).toBe(owner);
        const active = async () => Number(await client.hget(raw(key), '\0a'));
        const [created] = await store.listOwned(owner, []);
        expect(created?.lastActiveAt).toBe(await active());
        await sleep(10);
        await store.expire(key, IDLE, 'extend');
        const extended = await active();
        expect(extended).toBeGreaterThan(created?.lastActiveAt as number);
        await sleep(10);
        await store.expire(key, IDLE, 'set');
        expect(await active()).toBe(extended);
        await store.set(key, { field: 'b', value: utf8('2') }, opts());
        expect(await active()).toBeGreaterThan(extended);
        // A session written before the store kept it reports no last activity.
        await client.hdel(raw(key), '\0a');
        expect((await store.listOwned(owner, []))[0]?.lastActiveAt).toBeNull();
      });

      it('hashes any owner into an index key of its own slot', async () => {
        const owners = ['{a}b{c}', 'x'.repeat(256), 'ключ 🍪 {}'];
        for (const owner of owners) {
          const key = await login(owner);
          expect(index(owner)).toMatch(new RegExp(`^${prefix}owner:\\{[\\w-]{43}\\}$`));
          expect(await client.smembers(index(owner))).toEqual([key]);
          expect((await store.getAll(key))?.owner).toBe(owner);
          expect(await listed(owner)).toEqual([key]);
          expect(await store.deleteOwned(owner)).toEqual([key]);
        }
      });

      it('rejects an owner that is not 1 to 256 characters', async () => {
        for (const owner of ['', 'x'.repeat(257)]) {
          await expect(store.listOwned(owner, [])).rejects.toThrow(InvalidOwnerError);
          await expect(store.deleteOwned(owner)).rejects.toThrow(InvalidOwnerError);
          await expect(store.setMany(newKey(), [], opts({ owner }))).rejects.toThrow(
            InvalidOwnerError,
          );
        }
      });
    });

    it('gives up after 100 index reads when sessions keep entering it', async () => {
      const owner = newOwner();
      await login(owner);
      const send = client.sendCommand as (command: Command) => Promise<unknown>;
      let added = 0;
      // Before every read of the index, another key enters it, as an endless stream of logins.
      client.sendCommand = ((command: Command) => {
        if (command.name !== 'smembers') return send.call(client, command);
        added++;
        return client.sadd(index(owner), newKey()).then(() => send.call(client, command));
      }) as typeof client.sendCommand;
      restores.push(() => Object.assign(client, { sendCommand: send }));
      await expect(store.deleteOwned(owner)).rejects.toThrow(/after 100 passes/);
      expect(added).toBe(100);
    });

    it('keeps the owner in a hot copy, and reports it from there', async () => {
      const owner = newOwner();
      const [bound, plain] = [newKey(), newKey()];
      const copy = { fields: new Map(), ttlMs: IDLE, maxTtlMs: null, createdAt: Date.now() };
      const step = { expected: '', next: randomUUID(), leaseMs: 5_000 };
      expect(await store.fillCopy(bound, { ...copy, owner }, step)).toBe(true);
      expect(await store.fillCopy(plain, copy, step)).toBe(true);
      expect((await store.readCopy(bound)).copy?.owner).toBe(owner);
      expect((await store.readCopy(plain)).copy).not.toHaveProperty('owner');
      expect(await client.scard(index(owner))).toBe(0);
    });
  });
}
