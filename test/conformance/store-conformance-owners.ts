/**
 * Conformance cases for the owner index ({@link OwnedSessionStore}): binding by create and by
 * rename, listing exactly the owner's live sessions, and revoking every session that existed
 * when the revoke was called, with logins and renames racing it.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canIndexOwners,
  type OwnedSessionStore,
  type SessionStore,
} from '../../src/core/store-contract.ts';
import {
  hex,
  IDLE,
  newKey,
  opts,
  SHORT,
  siblingKeys,
  sleep,
  utf8,
  WAIT,
} from './conformance-helpers.ts';

type OwnerStore = SessionStore & OwnedSessionStore;

function owned(store: SessionStore): OwnerStore {
  if (!canIndexOwners(store)) throw new Error('every store ruts ships indexes owners');
  return store;
}

function newOwner(): string {
  return `user-${randomUUID()}`;
}

async function listedKeys(store: OwnerStore, owner: string): Promise<string[]> {
  return (await store.listOwned(owner, [])).map((session) => session.key).sort();
}

/** Creates a session bound to `owner` holding one field. */
async function login(store: OwnerStore, owner: string, key = newKey()): Promise<string> {
  await store.setMany(key, [{ field: 'device', value: utf8(key) }], opts({ owner }));
  return key;
}

/** A small deterministic generator, so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

export function describeOwners(store: () => SessionStore): void {
  describe('owner index', () => {
    it('binds a session created with an owner, and getAll reports it', async () => {
      const s = owned(store());
      const owner = newOwner();
      const key = await login(s, owner);
      const plain = newKey();
      await s.set(plain, { field: 'a', value: utf8('1') }, opts());
      expect((await s.getAll(key))?.owner).toBe(owner);
      expect((await s.getAll(plain))?.owner).toBeUndefined();
      expect(await listedKeys(s, owner)).toEqual([key]);
    });

    it('creates an empty session from an empty batch, bound to its owner', async () => {
      const s = owned(store());
      const owner = newOwner();
      const key = newKey();
      expect(await s.setMany(key, [], opts({ create: false, owner }))).toBeNull();
      expect(await s.getAll(key)).toBeUndefined();
      const created = await s.setMany(key, [], opts({ owner }));
      expect(created?.ttlMs).toBeGreaterThan(IDLE - 5_000);
      const read = await s.getAll(key);
      expect(read?.fields.size).toBe(0);
      expect(read?.owner).toBe(owner);
      expect(await listedKeys(s, owner)).toEqual([key]);
      // An empty batch to an existing session is a write: it extends, and changes nothing else.
      expect(await s.setMany(key, [], opts({ create: false, idleMs: 2 * IDLE }))).not.toBeNull();
      expect((await s.getAll(key))?.ttlMs).toBeGreaterThan(IDLE + 5_000);
    });

    it('binds on rename with an owner, keeps the owner on a rename without one', async () => {
      const s = owned(store());
      const owner = newOwner();
      const [anonymous, signedIn, regenerated] = siblingKeys(3);
      await s.set(anonymous, { field: 'cart', value: utf8('3 items') }, opts());
      expect(await listedKeys(s, owner)).toEqual([]);
      const bound = await s.rename(anonymous, signedIn, { idleMs: IDLE, owner });
      expect(bound.status).toBe('renamed');
      expect(await listedKeys(s, owner)).toEqual([signedIn]);
      expect((await s.rename(signedIn, regenerated, { idleMs: IDLE })).status).toBe('renamed');
      expect((await s.getAll(regenerated))?.owner).toBe(owner);
      expect(await listedKeys(s, owner)).toEqual([regenerated]);
    });

    it('moves a session to another owner when a rename names one', async () => {
      const s = owned(store());
      const [first, second] = [newOwner(), newOwner()];
      const [key, next] = siblingKeys(2);
      await login(s, first, key);
      expect((await s.rename(key, next, { idleMs: IDLE, owner: second })).status).toBe('renamed');
      expect(await listedKeys(s, first)).toEqual([]);
      expect(await listedKeys(s, second)).toEqual([next]);
    });

    it('does not bind an existing session through a write that names an owner', async () => {
      const s = owned(store());
      const owner = newOwner();
      const key = newKey();
      await s.set(key, { field: 'a', value: utf8('1') }, opts());
      await s.set(key, { field: 'b', value: utf8('2') }, opts({ owner }));
      expect((await s.getAll(key))?.owner).toBeUndefined();
      expect(await listedKeys(s, owner)).toEqual([]);
    });

    it('lists live sessions only, with the fields asked for, their times and no others', async () => {
      const s = owned(store());
      const owner = newOwner();
      const before = Date.now();
      const [kept, deleted, expiring, other] = await Promise.all([
        login(s, owner),
        login(s, owner),
        login(s, owner),
        login(s, newOwner()),
      ]);
      await s.set(kept, { field: 'flash', value: utf8('x'), ttlMs: SHORT }, opts());
      await s.set(kept, { field: 'persistent', value: utf8('p'), ttlMs: 'persistent' }, opts());
      await s.delete(deleted);
      await s.expire(expiring, SHORT, 'set');
      await sleep(WAIT);
      const listed = await s.listOwned(owner, ['device', 'flash', 'missing']);
      expect(listed.map((session) => session.key)).toEqual([kept]);
      const [session] = listed;
      expect([...(session?.fields.keys() ?? [])]).toEqual(['device']);
      expect(hex(session?.fields.get('device')?.value)).toBe(hex(utf8(kept)));
      expect(session?.fields.get('device')?.ttlMs).toBeNull();
      expect(session?.ttlMs).toBeNull();
      // Store clocks may differ from this process's by a little, not by minutes.
      expect(Math.abs((session?.createdAt ?? 0) - before)).toBeLessThan(60_000);
      const active = session?.lastActiveAt;
      if (active !== null) expect(active).toBeGreaterThanOrEqual(session?.createdAt ?? 0);
      expect(await listedKeys(s, owner)).toEqual([kept]);
      expect(other).not.toBe(kept);
    });

    it('revokes every session of the owner but the one kept, and nobody else', async () => {
      const s = owned(store());
      const [owner, neighbour] = [newOwner(), newOwner()];
      const keys = await Promise.all(Array.from({ length: 6 }, () => login(s, owner)));
      const theirs = await login(s, neighbour);
      const [kept, ...rest] = keys as [string, ...string[]];
      const ended = await s.deleteOwned(owner, kept);
      expect(ended.sort()).toEqual([...rest].sort());
      for (const key of rest) expect(await s.getAll(key)).toBeUndefined();
      expect(await listedKeys(s, owner)).toEqual([kept]);
      expect(await listedKeys(s, neighbour)).toEqual([theirs]);
      expect(await s.deleteOwned(owner)).toEqual([kept]);
      expect(await listedKeys(s, owner)).toEqual([]);
      expect(await s.deleteOwned(owner)).toEqual([]);
    });

    it('ends or lists each of 20 logins racing a revoke, and ends every earlier session', async () => {
      const s = owned(store());
      const owner = newOwner();
      const earlier = await Promise.all(Array.from({ length: 5 }, () => login(s, owner)));
      // Each login resolves its key, or undefined when the store refused the key (an index may
      // retire a key it saw unbound): the handle then retries with a fresh one.
      const logins = Array.from({ length: 20 }, async (_, i): Promise<string | undefined> => {
        const [anonymous, signedIn] = siblingKeys(2);
        if (i % 2 === 0) {
          const device = [{ field: 'device', value: utf8(signedIn) }];
          return (await s.setMany(signedIn, device, opts({ owner }))) ? signedIn : undefined;
        }
        // A login as the handle does it: an anonymous session renamed onto its owner.
        await s.set(anonymous, { field: 'device', value: utf8(signedIn) }, opts());
        const result = await s.rename(anonymous, signedIn, { idleMs: IDLE, owner });
        return result.status === 'renamed' ? signedIn : undefined;
      });
      const [revoked, ...loggedIn] = await Promise.all([s.deleteOwned(owner), ...logins]);
      for (const key of earlier) {
        expect(revoked).toContain(key);
        expect(await s.getAll(key)).toBeUndefined();
      }
      const listed = new Set(await listedKeys(s, owner));
      const bound = loggedIn.filter((key): key is string => key !== undefined);
      expect(bound.length).toBeGreaterThan(10);
      for (const key of bound) {
        // Never neither: a login is ended by the revoke, or live and in the owner's index.
        const live = (await s.getAll(key)) !== undefined;
        expect({ key, live, listed: listed.has(key), revoked: revoked.includes(key) }).toEqual({
          key,
          live,
          listed: live,
          revoked: !live,
        });
      }
      expect(listed.size).toBe(bound.filter((key) => !revoked.includes(key)).length);
    });

    it('ends sessions that regenerate while a revoke runs', async () => {
      const s = owned(store());
      const owner = newOwner();
      const chains = await Promise.all(Array.from({ length: 10 }, async () => siblingKeys(3)));
      await Promise.all(chains.map(([first]) => login(s, owner, first)));
      const regenerating = chains.map(async ([first, second, third]) => {
        await s.rename(first, second, { idleMs: IDLE });
        await s.rename(second, third, { idleMs: IDLE });
      });
      await Promise.all([s.deleteOwned(owner), ...regenerating]);
      for (const chain of chains) {
        for (const key of chain) expect(await s.getAll(key)).toBeUndefined();
      }
      expect(await listedKeys(s, owner)).toEqual([]);
    });

    it('lists exactly the live sessions after a random mix of calls', async () => {
      const s = owned(store());
      const owners = [newOwner(), newOwner()];
      const next = random(17);
      const pick = <V>(items: readonly V[]): V => items[Math.floor(next() * items.length)] as V;
      /** The model: each live key and its owner (`''` when unbound). */
      const model = new Map<string, string>();
      for (let step = 0; step < 120; step++) {
        const keys = [...model.keys()];
        const roll = next();
        if (roll < 0.25 || keys.length === 0) {
          const owner = next() < 0.7 ? pick(owners) : undefined;
          const key = newKey();
          await s.setMany(key, [], opts({ owner }));
          model.set(key, owner ?? '');
        } else if (roll < 0.5) {
          const from = pick(keys);
          const to = newKey(from);
          const owner = next() < 0.5 ? pick(owners) : undefined;
          expect((await s.rename(from, to, { idleMs: IDLE, owner })).status).toBe('renamed');
          model.set(to, owner ?? (model.get(from) as string));
          model.delete(from);
        } else if (roll < 0.65) {
          const key = pick(keys);
          await s.delete(key);
          model.delete(key);
        } else if (roll < 0.75) {
          const key = pick(keys);
          await s.expire(key, 0, 'set');
          model.delete(key);
        } else if (roll < 0.85) {
          const owner = pick(owners);
          const except = next() < 0.5 ? pick(keys) : undefined;
          const ended = await s.deleteOwned(owner, except);
          const expected = keys.filter((key) => model.get(key) === owner && key !== except);
          expect(ended.sort()).toEqual(expected.sort());
          for (const key of expected) model.delete(key);
        } else {
          const key = pick(keys);
          await s.set(key, { field: 'f', value: utf8(String(step)) }, opts({ create: false }));
        }
        if (step % 10 === 9) {
          for (const owner of owners) {
            const expected = [...model].filter(([, o]) => o === owner).map(([key]) => key);
            expect(await listedKeys(s, owner)).toEqual(expected.sort());
          }
        }
      }
    });
  });
}
