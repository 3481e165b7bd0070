/**
 * A session with one field the current deploy cannot read, on every store: an older deploy
 * wrote `cart` in another shape and `prefs` with another codec. The rest of the session reads,
 * each bad field is reported once as `invalid-field`, and `onInvalid: 'throw'` throws.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CodecError,
  createSessionManager,
  jsonCodec,
  SchemaError,
  type SessionEvent,
} from '../../src/index.ts';
import { Browser } from '../support/browser.ts';
import { type StoreUnderTest, sessionStores } from '../support/session-stores.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const schema = {
  cart: z.array(z.string()),
  userId: z.string(),
  prefs: z.record(z.string(), z.boolean()),
};

for (const { name, setup } of sessionStores('invalid_fields')) {
  describe(`a field this deploy cannot read, on ${name}`, () => {
    let subject: StoreUnderTest;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.teardown();
    });

    /** A cookie for a session an older deploy (no schema, msgpack everywhere) wrote. */
    async function oldSession(): Promise<string> {
      const browser = new Browser(createSessionManager({ secret, store: subject.store }));
      await browser.request().regenerate({
        set: { cart: 'apple', userId: 'u1', prefs: new Map([['dark', true]]), visits: 3 },
      });
      return browser.cookie as string;
    }

    function current(onInvalid?: 'drop' | 'throw') {
      const events: SessionEvent[] = [];
      const manager = createSessionManager({
        secret,
        store: subject.store,
        schema,
        codecs: { prefs: jsonCodec },
        onInvalid,
        onEvent: (event) => {
          events.push(event);
        },
      });
      return { manager, events };
    }

    it('reads the rest of the session and reports each bad field once', async () => {
      const cookie = await oldSession();
      const { manager, events } = current();
      const session = manager.open(cookie);
      expect(await session.getAll()).toEqual({ userId: 'u1', visits: 3 });
      expect(await session.get('cart')).toBeUndefined();
      expect(await session.exists()).toBe(true);
      expect(events).toHaveLength(2);
      expect(events).toEqual(
        expect.arrayContaining([
          { type: 'invalid-field', key: 'cart', reason: 'schema' },
          { type: 'invalid-field', key: 'prefs', reason: 'codec' },
        ]),
      );
    });

    it('writes a valid value over the bad one, after which it reads again', async () => {
      const cookie = await oldSession();
      const { manager } = current();
      await manager.open(cookie).set('cart', ['pear']);
      expect(await manager.open(cookie).get('cart')).toEqual(['pear']);
    });

    it("throws with onInvalid: 'throw'", async () => {
      const cookie = await oldSession();
      const { manager, events } = current('throw');
      await expect(manager.open(cookie).get('cart')).rejects.toThrow(SchemaError);
      await expect(manager.open(cookie).get('prefs')).rejects.toThrow(CodecError);
      await expect(manager.open(cookie).getAll()).rejects.toThrow(/"(cart|prefs)"/);
      expect(await manager.open(cookie).get('userId')).toBe('u1');
      expect(events.slice(0, 2)).toEqual([
        { type: 'invalid-field', key: 'cart', reason: 'schema' },
        { type: 'invalid-field', key: 'prefs', reason: 'codec' },
      ]);
    });
  });
}
