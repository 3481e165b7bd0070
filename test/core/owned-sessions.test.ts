/**
 * The handle's and the manager's side of owners, on a MemoryStore through the public `ruts`
 * entry: binding at `regenerate()`, the retry when a store retires a fresh key, handles, and
 * what `listSessions` returns. Each store's own index is held to the conformance suite, and
 * the shared-store behaviour to `test/stores/owned-sessions-shared.test.ts`.
 */

import { describe, expect, it } from 'vitest';
import {
  createSessionManager,
  InvalidKeyError,
  jsonCodec,
  MemoryStore,
  type OwnedSessionStore,
  ReadOnlySessionError,
  SessionCollisionError,
  type SessionStore,
} from '../../src/index.ts';
import { Browser } from '../support/browser.ts';
import { memoryStore } from '../support/memory-store.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

interface AppSession {
  device: string;
  prefs: { theme: string };
}

/** A store whose next `refusals` fresh keys are refused, as an owner index retiring keys does. */
function refusing(store: MemoryStore, refusals: { renames: number; creates: number }) {
  const calls = { renames: 0, creates: 0 };
  const wrapped: SessionStore & OwnedSessionStore = {
    getAll: (key) => store.getAll(key),
    set: (key, entry, options) => store.set(key, entry, options),
    setIfAbsent: (key, entry, options) => store.setIfAbsent(key, entry, options),
    remove: (key, field) => store.remove(key, field),
    take: (key, field) => store.take(key, field),
    delete: (key) => store.delete(key),
    expire: (key, ttl, mode) => store.expire(key, ttl, mode),
    listOwned: (owner, fields) => store.listOwned(owner, fields),
    deleteOwned: (owner, except) => store.deleteOwned(owner, except),
    rename: async (from, to, options) => {
      calls.renames++;
      if (refusals.renames-- > 0) return { status: 'collision' };
      return store.rename(from, to, options);
    },
    setMany: async (key, entries, options) => {
      if (options.create) {
        calls.creates++;
        if (refusals.creates-- > 0) return null;
      }
      return store.setMany(key, entries, options);
    },
  };
  return { store: wrapped, calls };
}

describe('owners on the session handle', () => {
  it('binds at regenerate({ owner }) and keeps the owner through regenerate()', async () => {
    const manager = createSessionManager<AppSession>({ secret, store: memoryStore() });
    const browser = new Browser(manager);
    await browser.request().set('device', 'laptop');
    const anonymous = await browser.request().info();
    expect(anonymous?.owner).toBeNull();
    const session = browser.request();
    await session.regenerate({ owner: 'user-1', set: { device: 'phone' } });
    // The request's own view knows the owner without reading again.
    expect((await session.info())?.owner).toBe('user-1');
    const bound = await browser.request().info();
    expect(bound).toMatchObject({ owner: 'user-1' });
    expect(bound?.handle).not.toBe(anonymous?.handle);
    await browser.request().regenerate();
    const kept = await browser.request().info();
    expect(kept?.owner).toBe('user-1');
    expect(kept?.handle).not.toBe(bound?.handle);
    expect((await manager.listSessions('user-1')).map((s) => s.handle)).toEqual([kept?.handle]);
  });

  it('creates an empty session from regenerate({ owner }) alone', async () => {
    const manager = createSessionManager({ secret, store: memoryStore() });
    const browser = new Browser(manager);
    await browser.request().regenerate({ owner: 'user-2' });
    expect(browser.cookie).toBeDefined();
    expect(await browser.request().getAll()).toEqual({});
    expect(await manager.listSessions('user-2')).toHaveLength(1);
  });

  it('tries one more fresh id when the store refuses one, and only one', async () => {
    const base = memoryStore();
    const once = refusing(base, { renames: 1, creates: 1 });
    const manager = createSessionManager({ secret, store: once.store });
    const browser = new Browser(manager);
    await browser.request().regenerate({ owner: 'user-3' });
    expect(once.calls.creates).toBe(2);
    await browser.request().regenerate({ owner: 'user-3' });
    expect(once.calls.renames).toBe(2);
    expect(await manager.listSessions('user-3')).toHaveLength(1);

    const always = refusing(base, { renames: 2, creates: 0 });
    const stubborn = new Browser(createSessionManager({ secret, store: always.store }));
    await stubborn.request().set('device', 'laptop');
    const before = stubborn.cookie;
    await expect(stubborn.request().regenerate({ owner: 'user-3' })).rejects.toThrow(
      SessionCollisionError,
    );
    expect(stubborn.cookie).toBe(before);
    expect(await stubborn.request().get('device')).toBe('laptop');
  });

  it('refuses regenerate({ owner }) in a read-only session', async () => {
    const manager = createSessionManager({ secret, store: memoryStore() });
    const session = manager.open(undefined, { readOnly: 'a Server Component' });
    await expect(session.regenerate({ owner: 'user-4' })).rejects.toThrow(ReadOnlySessionError);
  });

  it('gives handles that are 22 characters, not the id, and stable between reads', async () => {
    const manager = createSessionManager({ secret, store: memoryStore() });
    const browser = new Browser(manager);
    await browser.request().regenerate({ owner: 'user-5' });
    const first = (await browser.request().info())?.handle;
    expect(first).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await browser.request().info())?.handle).toBe(first);
    const verified = await manager.verify(browser.cookie);
    expect(verified?.id).not.toContain(first);
    expect(verified?.key).not.toContain(first);
  });

  it('lists fields decoded with their codecs, most recently active first', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ name: 'owned-clocked', now: () => now });
    const manager = createSessionManager<AppSession>({
      secret,
      store,
      codecs: { prefs: jsonCodec },
    });
    const [older, newer] = [new Browser(manager), new Browser(manager)];
    await older.request().regenerate({ owner: 'user-6', set: { device: 'laptop' } });
    now += 1_000;
    await newer.request().regenerate({ owner: 'user-6', set: { device: 'phone' } });
    now += 1_000;
    await older.request().set('prefs', { theme: 'dark' });
    const listed = await manager.listSessions('user-6', { fields: ['device', 'prefs'] });
    expect(listed.map((s) => s.fields)).toEqual([
      { device: 'laptop', prefs: { theme: 'dark' } },
      { device: 'phone' },
    ]);
    expect(listed.map((s) => s.lastActiveAt?.getTime())).toEqual([1_002_000, 1_001_000]);
    expect(listed[1]?.createdAt.getTime()).toBe(1_001_000);
    await expect(manager.listSessions('user-6', { fields: ['' as 'device'] })).rejects.toThrow(
      InvalidKeyError,
    );
    await store.close();
  });
});
