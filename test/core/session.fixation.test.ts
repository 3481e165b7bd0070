/**
 * Session fixation and strict ids, on every store: the handle never writes under an id the store
 * has not confirmed live, whichever way the id died, and old cookies stay dead.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieSealer } from '../../src/core/cookie-seal.ts';
import { generateSessionId } from '../../src/core/session-id.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import { type StoreUnderTest, sessionStores } from '../support/session-stores.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const { name, setup } of sessionStores('fixation')) {
  describe(`strict ids on ${name}`, () => {
    let subject: StoreUnderTest;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.teardown();
    });

    function manager(idleTimeout?: number) {
      return createSessionManager({ secret, store: subject.store, idleTimeout });
    }

    /** Opens a request with `cookie` and writes; resolves the cookie the response would set. */
    async function writeWith(cookie: string | undefined, field: string, value: unknown) {
      let sent: string | undefined;
      const m = manager();
      await m.open(cookie, { onCookie: (c) => (sent = c.value) }).set(field, value);
      return sent;
    }

    async function keyOf(cookie: string): Promise<string> {
      return (await manager().verify(cookie))?.key as string;
    }

    /** The id died; a request carrying its cookie must see nothing and write into a fresh id. */
    async function expectDead(cookie: string) {
      const m = manager();
      const session = m.open(cookie);
      expect(await session.exists()).toBe(false);
      expect(await session.getAll()).toEqual({});
      const fresh = await writeWith(cookie, 'attacker', 'planted');
      expect(fresh).toBeDefined();
      expect(await keyOf(fresh as string)).not.toBe(await keyOf(cookie));
      expect(await subject.store.getAll(await keyOf(cookie))).toBeUndefined();
      expect(await m.open(fresh).get('attacker')).toBe('planted');
    }

    it('never adopts an unknown id, however validly sealed', async () => {
      const planted = await new CookieSealer({ secret, ttlSeconds: 3600 }).seal(
        generateSessionId(),
      );
      await expectDead(planted);
    });

    it('never revives an expired id', async () => {
      let cookie: string | undefined;
      await manager(1)
        .open(undefined, { onCookie: (c) => (cookie = c.value) })
        .set('user', 'u1');
      await sleep(1_300);
      await expectDead(cookie as string);
    });

    it('leaves the cookie of a destroyed session dead', async () => {
      const cookie = await writeWith(undefined, 'user', 'u1');
      await manager().open(cookie).destroy();
      await expectDead(cookie as string);
    });

    it('leaves the cookie a regenerate() retired dead, and the new session untouched', async () => {
      const old = (await writeWith(undefined, 'user', 'u1')) as string;
      let renewed: string | undefined;
      await manager()
        .open(old, { onCookie: (c) => (renewed = c.value) })
        .regenerate({ set: { role: 'admin' } });
      expect(renewed).toBeDefined();
      await expectDead(old);
      expect(await manager().open(renewed).getAll()).toEqual({ user: 'u1', role: 'admin' });
    });
  });
}
