/**
 * "Sign out everywhere" through the public API, where app processes share a store: four
 * managers, each with its own store instance and connections (as four app servers would have),
 * serve browsers that log in, list and revoke. A revoked cookie reads as no session at once in
 * every process, and a revoke racing 20 logins ends or lists each of them.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createSessionManager,
  InvalidOwnerError,
  type SessionManager,
  type SessionStore,
} from '../../src/index.ts';
import { MemoryStore } from '../../src/stores/memory/memory-store.ts';
import { Browser } from '../support/browser.ts';
import { memoryStore } from '../support/memory-store.ts';
import { processStores } from '../support/process-stores.ts';

interface AppSession {
  device: string;
  cart: string[];
}

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const PROCESSES = 4;
/** Each process's store (memory: one process, four managers over one store name). */
const stores = [
  ['MemoryStore', () => new MemoryStore({ name: 'owners-shared' })] as const,
  ...processStores('owners-shared', PROCESSES),
];

type Manager = SessionManager<AppSession>;

function owner(): string {
  return `user-${crypto.randomUUID()}`;
}

/** A browser that logs in as `user` on process `via`, naming its device. */
async function loggedIn(managers: Manager[], user: string, via: number, device: string) {
  const browser = new Browser(managers[via % PROCESSES] as Manager);
  await browser.request().set('cart', ['book']);
  await browser.request().regenerate({ owner: user, set: { device } });
  return browser;
}

/** Whether `cookie` opens a live session on every process, or on none; throws if they differ. */
async function liveEverywhere(managers: Manager[], cookie: string | undefined): Promise<boolean> {
  const seen = await Promise.all(managers.map((manager) => manager.open(cookie).exists()));
  expect(new Set(seen).size).toBe(1);
  return seen[0] as boolean;
}

describe('sign out everywhere across processes sharing a store', () => {
  for (const [name, store] of stores) {
    describe(name, () => {
      const managers: Manager[] = [];
      beforeAll(() => {
        for (let i = 0; i < PROCESSES; i++) {
          managers.push(createSessionManager<AppSession>({ secret, store: store(i) }));
        }
      });
      const on = (i: number) => managers[i % PROCESSES] as Manager;

      it('lists the owner sessions of every process, with the fields asked for', async () => {
        const user = owner();
        const browsers = await Promise.all(
          ['laptop', 'phone', 'tablet'].map((device, i) => loggedIn(managers, user, i, device)),
        );
        const listed = await on(3).listSessions(user, { fields: ['device'] });
        expect(listed.map((session) => session.fields.device).sort()).toEqual([
          'laptop',
          'phone',
          'tablet',
        ]);
        for (const session of listed) {
          expect(session.createdAt).toBeInstanceOf(Date);
          expect(session.expiresAt?.getTime()).toBeGreaterThan(Date.now());
          expect(session.fields).not.toHaveProperty('cart');
          expect(session.handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
        }
        const info = await browsers[0]?.request().info();
        expect(info?.owner).toBe(user);
        expect(listed.map((session) => session.handle)).toContain(info?.handle);
        // The handle is neither the cookie nor anything in it.
        expect(browsers[0]?.cookie).not.toContain(info?.handle);
        expect(await on(1).listSessions(owner())).toEqual([]);
      });

      it('revokes one session by handle: its cookie is no session at once, everywhere', async () => {
        const user = owner();
        const [laptop, phone] = await Promise.all([
          loggedIn(managers, user, 0, 'laptop'),
          loggedIn(managers, user, 1, 'phone'),
        ]);
        // Every process has read the phone's session, so copies of it are warm where kept.
        expect(await liveEverywhere(managers, phone.cookie)).toBe(true);
        const handle = (await phone.request().info())?.handle as string;
        expect(await on(2).revokeSession(user, handle)).toBe(true);
        expect(await liveEverywhere(managers, phone.cookie)).toBe(false);
        expect(await liveEverywhere(managers, laptop.cookie)).toBe(true);
        expect(await on(3).revokeSession(user, handle)).toBe(false);
        expect(
          await on(3).revokeSession(owner(), (await laptop.request().info())?.handle ?? ''),
        ).toBe(false);
        expect(await liveEverywhere(managers, laptop.cookie)).toBe(true);
      });

      it('revokes every other session, keeping the current one', async () => {
        const user = owner();
        const browsers = await Promise.all(
          Array.from({ length: 5 }, (_, i) => loggedIn(managers, user, i, `device-${i}`)),
        );
        for (const browser of browsers) await liveEverywhere(managers, browser.cookie);
        const [current, ...others] = browsers as [
          Browser<AppSession, object>,
          ...Browser<AppSession, object>[],
        ];
        const session = on(2).open(current.cookie);
        expect(await on(2).revokeSessions(user, { except: session })).toBe(4);
        for (const other of others)
          expect(await liveEverywhere(managers, other.cookie)).toBe(false);
        expect(await liveEverywhere(managers, current.cookie)).toBe(true);
        const handle = (await current.request().info())?.handle as string;
        expect(await on(1).revokeSessions(user, { except: handle })).toBe(0);
        expect(await on(1).revokeSessions(user)).toBe(1);
        expect(await liveEverywhere(managers, current.cookie)).toBe(false);
      });

      it('keeps the owner through regenerate() and drops the session on destroy()', async () => {
        const user = owner();
        const browser = await loggedIn(managers, user, 0, 'laptop');
        const before = (await browser.request().info())?.handle;
        await browser.request().regenerate();
        const after = await browser.request().info();
        expect(after?.owner).toBe(user);
        expect(after?.handle).not.toBe(before);
        expect((await on(1).listSessions(user)).map((s) => s.handle)).toEqual([after?.handle]);
        await browser.request().destroy();
        expect(await on(2).listSessions(user)).toEqual([]);
      });

      it('logs in without an earlier session, from regenerate({ owner }) alone', async () => {
        const user = owner();
        const browser = new Browser(on(0));
        await browser.request().regenerate({ owner: user });
        expect((await browser.request().info())?.owner).toBe(user);
        expect(await on(3).listSessions(user)).toHaveLength(1);
      });

      it('ends or lists each of 20 logins racing a revoke, and ends every earlier one', async () => {
        const user = owner();
        const earlier = await Promise.all(
          Array.from({ length: 5 }, (_, i) => loggedIn(managers, user, i, `earlier-${i}`)),
        );
        const racing = Array.from({ length: 20 }, (_, i) =>
          loggedIn(managers, user, i, `racing-${i}`),
        );
        const [revoked, ...logins] = await Promise.all([on(3).revokeSessions(user), ...racing]);
        for (const browser of earlier) {
          expect(await liveEverywhere(managers, browser.cookie)).toBe(false);
        }
        const listed = new Set(
          (await on(0).listSessions(user, { fields: ['device'] })).map((s) => s.fields.device),
        );
        let live = 0;
        for (const [i, browser] of logins.entries()) {
          const alive = await liveEverywhere(managers, browser.cookie);
          expect({ login: i, listed: listed.has(`racing-${i}`) }).toEqual({
            login: i,
            listed: alive,
          });
          if (alive) live++;
        }
        expect(revoked).toBe(5 + 20 - live);
      });
    });
  }

  it('refuses a bad owner with InvalidOwnerError, and a store without an index', async () => {
    const manager = createSessionManager({ secret, store: memoryStore() });
    for (const bad of ['', 'x'.repeat(257), 42 as unknown as string]) {
      await expect(manager.listSessions(bad)).rejects.toThrow(InvalidOwnerError);
      await expect(manager.open(undefined).regenerate({ owner: bad })).rejects.toThrow(
        /owner must be a string of 1 to 256 characters/,
      );
    }
    const plain = memoryStore();
    const withoutIndex: SessionStore = {
      getAll: (k) => plain.getAll(k),
      set: (k, e, o) => plain.set(k, e, o),
      setIfAbsent: (k, e, o) => plain.setIfAbsent(k, e, o),
      setMany: (k, e, o) => plain.setMany(k, e, o),
      remove: (k, f) => plain.remove(k, f),
      take: (k, f) => plain.take(k, f),
      delete: (k) => plain.delete(k),
      rename: (f, t, o) => plain.rename(f, t, o),
      expire: (k, t, m) => plain.expire(k, t, m),
    };
    const unindexed = createSessionManager({ secret, store: withoutIndex });
    await expect(unindexed.revokeSessions('user')).rejects.toThrow(ConfigError);
    await expect(unindexed.open(undefined).regenerate({ owner: 'user' })).rejects.toThrow(
      /needs a store that indexes owners/,
    );
  });
});
