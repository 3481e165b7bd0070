/**
 * Per-session lifetimes ("remember me") through the public `ruts` entry, on every store: a
 * session given `maxAge` or `idleTimeout` by `regenerate()` lives by them whatever the config
 * says, within the absolute timeout, and its later cookies and regenerations keep them. Real
 * time with small numbers: a global idle timeout of 1 s under a session's own of 2 s.
 */

import { defaults, seal as ironSeal } from 'iron-webcrypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSessionManager,
  InvalidLifetimeError,
  MemoryStore,
  RutsError,
  type SessionConfig,
} from '../../src/index.ts';
import { createEdgeGuard } from '../../src/next/edge.ts';
import { Browser } from '../support/browser.ts';
import { type StoreUnderTest, sessionStores } from '../support/session-stores.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const DAY = 24 * 60 * 60;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface AppSession {
  userId: string;
  cart: string[];
  seen: number;
}

for (const { name, setup } of sessionStores('lifetimes')) {
  describe.concurrent(`per-session lifetimes on ${name}`, () => {
    let subject: StoreUnderTest;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.teardown();
    });

    function manager(config: Partial<SessionConfig<AppSession>> = {}) {
      return createSessionManager<AppSession>({
        secret,
        store: subject.store,
        cookie: { secure: false },
        idleTimeout: 1,
        ...config,
      });
    }

    /** Whether the store holds the cookie's session, asked without extending it. */
    async function stored(m: ReturnType<typeof manager>, cookie: string | undefined) {
      const key = (await m.verify(cookie))?.key;
      return key !== undefined && (await subject.store.getAll(key)) !== undefined;
    }

    it('keeps a remembered session past the global idle timeout, by writes before any read', async () => {
      const m = manager();
      const browser = new Browser(m);
      await browser.request().set('cart', ['book']);
      await browser.request().regenerate({ set: { userId: 'u1' }, maxAge: 2 });
      const login = browser.received.at(-1);
      expect(login?.attributes.maxAge).toBe(2);
      expect((await m.verify(browser.cookie))?.lifetimes).toEqual({ maxAge: 2 });

      await sleep(1_200);
      // A write with no read before it: it must extend by the session's 2 s, not the config's 1 s.
      await browser.request().set('seen', 1);
      const renewed = browser.received.at(-1);
      expect(renewed).not.toBe(login);
      expect(renewed?.attributes.maxAge).toBe(2);
      expect((await m.verify(renewed?.value))?.key).toBe((await m.verify(login?.value))?.key);

      await sleep(1_400);
      expect(await stored(m, browser.cookie)).toBe(true);
      expect(await m.open(browser.cookie).getAll()).toEqual({
        cart: ['book'],
        userId: 'u1',
        seen: 1,
      });

      // Left alone longer than its own idle timeout, it ends like any other.
      await sleep(2_500);
      expect(await stored(m, browser.cookie)).toBe(false);
      expect(await m.open(browser.cookie).exists()).toBe(false);
    });

    it("gives a 'session' cookie no Max-Age, and keeps its own idleTimeout", async () => {
      const m = manager();
      const browser = new Browser(m);
      await browser
        .request()
        .regenerate({ set: { userId: 'u1' }, maxAge: 'session', idleTimeout: 2 });
      const cookie = browser.received.at(-1);
      expect(cookie?.attributes).not.toHaveProperty('maxAge');
      expect((await m.verify(browser.cookie))?.lifetimes).toEqual({
        maxAge: 'session',
        idleMs: 2000,
      });
      await sleep(1_400);
      expect(await m.open(browser.cookie).get('userId')).toBe('u1');
    });

    it('keeps the lifetimes through later regenerate() calls and cookies, until new ones are given', async () => {
      const m = manager({ idleTimeout: 60 });
      const browser = new Browser(m);
      await browser.request().regenerate({ set: { userId: 'u1' }, maxAge: 30 * DAY });
      await browser.request().regenerate({ set: { cart: [] } });
      expect(browser.received.at(-1)?.attributes.maxAge).toBe(30 * DAY);
      expect((await m.verify(browser.cookie))?.lifetimes).toEqual({ maxAge: 30 * DAY });
      const info = await browser.request().info();
      expect((info?.expiresAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(29 * DAY * 1000);

      // New lifetimes replace both: the idle timeout goes back to the config's.
      await browser.request().regenerate({ maxAge: 'session' });
      expect(browser.received.at(-1)?.attributes).not.toHaveProperty('maxAge');
      expect((await m.verify(browser.cookie))?.lifetimes).toEqual({ maxAge: 'session' });
      expect(await browser.request().get('userId')).toBe('u1');
      expect(browser.received).toHaveLength(3);
    });

    it('lets nothing outlive the absolute timeout, however long the cookie asked for', async () => {
      const m = manager({ absoluteTimeout: 2 });
      const browser = new Browser(m);
      await browser.request().regenerate({ set: { userId: 'u1' }, maxAge: 30 * DAY });
      expect(browser.received.at(-1)?.attributes.maxAge).toBe(2);
      await sleep(800);
      await browser.request().set('seen', 1);
      await sleep(800);
      expect(await browser.request().get('userId')).toBe('u1');
      await sleep(600);
      expect(await stored(m, browser.cookie)).toBe(false);
      expect(await browser.request().get('userId')).toBeUndefined();
    });

    it('opens cookies sealed around a bare id, as before lifetimes, and gives them lifetimes', async () => {
      const m = manager({ idleTimeout: 60 });
      const plain = new Browser(m);
      await plain.request().set('userId', 'u1');
      expect((await m.verify(plain.cookie))?.lifetimes).toBeUndefined();
      expect(plain.received.at(-1)?.attributes.maxAge).toBe(400 * DAY);

      // A cookie exactly as the sealer made them before: iron around the bare id.
      const id = Buffer.from(crypto.getRandomValues(new Uint8Array(38))).toString('base64url');
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id));
      const key = `${id.slice(0, 8)}.${Buffer.from(digest).toString('base64url')}`;
      await subject.store.setMany(
        key,
        [{ field: 'userId', value: new Uint8Array([0xa2, 0x75, 0x32]) }],
        { create: true, idleMs: 60_000 },
      );
      const old = await ironSeal(id, { id: '1', secret }, { ...defaults, ttl: 3_600_000 });
      expect(await m.open(old).get('userId')).toBe('u2');
      const guard = createEdgeGuard({ secret, cookie: { secure: false } });
      const request = (value: string | undefined) =>
        new Request('https://example.com/', { headers: { cookie: `ruts=${value}` } });
      expect(await guard.verifySessionCookie(request(old))).toBe(true);

      const upgraded = new Browser(m);
      upgraded.cookie = old;
      await upgraded.request().regenerate({ maxAge: 7 * DAY });
      expect(await upgraded.request().get('userId')).toBe('u2');
      expect(upgraded.received.at(-1)?.attributes.maxAge).toBe(7 * DAY);
      expect(await guard.verifySessionCookie(request(upgraded.cookie))).toBe(true);
    });
  });
}

describe('lifetimes that cannot work', () => {
  it('are refused with InvalidLifetimeError saying what to pass, and change nothing', async () => {
    const m = createSessionManager<AppSession>({
      secret,
      store: new MemoryStore({ name: 'lifetimes-refused' }),
    });
    const browser = new Browser(m);
    await browser.request().set('userId', 'u1');
    const before = browser.cookie;
    const refused = async (options: object) => {
      const error = await browser
        .request()
        .regenerate(options as never)
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error, JSON.stringify(options)).toBeInstanceOf(InvalidLifetimeError);
      expect(error).toBeInstanceOf(RutsError);
      return (error as InvalidLifetimeError).message;
    };
    expect(await refused({ maxAge: 0 })).toMatch(/positive number of seconds, or 'session'/);
    await refused({ maxAge: -60 });
    await refused({ maxAge: Number.NaN });
    await refused({ maxAge: Number.POSITIVE_INFINITY });
    await refused({ maxAge: '30d' });
    expect(await refused({ idleTimeout: 0 })).toMatch(/Leave it out to use the config/);
    await refused({ idleTimeout: '1h' });
    expect(await refused({ maxAge: 30 * DAY, idleTimeout: 3600 })).toMatch(
      /shorter than maxAge \(2592000 s\).*Leave idleTimeout out.*maxAge: 3600/,
    );
    expect(browser.cookie).toBe(before);
    expect(browser.received).toHaveLength(1);
    expect(await browser.request().get('userId')).toBe('u1');
  });
});
