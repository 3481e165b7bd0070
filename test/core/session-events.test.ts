/**
 * Lifecycle events through the public entry: each kind is reported where it happens, none
 * carries a session id, a cookie, a store key or a field's value, and a handler that throws
 * changes nothing.
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateSessionId } from '../../src/core/session-id.ts';
import {
  CookieSealer,
  createSessionManager,
  MemoryStore,
  type SessionEvent,
  type SessionStore,
  StoreError,
} from '../../src/index.ts';
import { LayeredStore, type LayeredStoreEvent } from '../../src/stores/layered-store.ts';
import { Browser } from '../support/browser.ts';
import { faultyCalls } from '../support/faulty-calls.ts';
import { memoryStore } from '../support/memory-store.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const otherSecret = 'another-test-secret-long-enough-9876543210';

/** A store that fails `getAll` on demand, with an error that quotes the key and the command. */
function failingStore(inner: SessionStore, code?: string) {
  const control = { failing: false };
  const store = new Proxy(inner, {
    get(target, property) {
      const member = Reflect.get(target, property, target);
      if (property !== 'getAll' || typeof member !== 'function') {
        return typeof member === 'function' ? member.bind(target) : member;
      }
      return async (key: string) => {
        if (control.failing) {
          throw Object.assign(new Error(`connection reset while reading ${key}`), {
            ...(code === undefined ? {} : { code }),
            command: { name: 'getAll', args: [key] },
          });
        }
        return target.getAll(key);
      };
    },
  });
  return { store, control };
}

function setup(store: SessionStore = memoryStore()) {
  const events: SessionEvent[] = [];
  const manager = createSessionManager({
    secret,
    store,
    onEvent: (event) => {
      events.push(event);
    },
  });
  return { events, manager, browser: new Browser(manager), store };
}

/** A seal of a fresh id made by `sealer`. */
function sealWith(sealer: CookieSealer): Promise<string> {
  return sealer.seal(generateSessionId());
}

/** The same seal with one character of its HMAC changed: well formed, but forged. */
function forged(value: string): string {
  const parts = value.split('*');
  const hmac = parts[7] ?? '';
  parts[7] = hmac.slice(0, 3) + (hmac[3] === 'A' ? 'B' : 'A') + hmac.slice(4);
  return parts.join('*');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('lifecycle events', () => {
  it('reports created, regenerated and destroyed as they happen', async () => {
    const { events, browser } = setup();
    await browser.request().set('cart', ['apple']);
    expect(events).toEqual([{ type: 'created' }]);
    await browser.request().set('cart', ['pear']);
    expect(events).toHaveLength(1);
    await browser.request().regenerate({ set: { userId: 'u1' } });
    expect(events.at(-1)).toEqual({ type: 'regenerated' });
    await browser.request().destroy();
    expect(events.at(-1)).toEqual({ type: 'destroyed' });
    expect(events).toHaveLength(3);
  });

  it('reports expired for a valid cookie whose session the store no longer holds', async () => {
    const { events, manager, browser, store } = setup();
    await browser.request().set('cart', ['apple']);
    const key = (await manager.verify(browser.cookie))?.key ?? '';
    await store.delete(key);
    events.length = 0;
    expect(await browser.request().getAll()).toEqual({});
    expect(events).toEqual([{ type: 'expired' }]);
    // A write on the dead cookie starts a new session: expired, then created.
    events.length = 0;
    const stale = browser.cookie;
    await browser.request().set('cart', []);
    expect(events).toEqual([{ type: 'expired' }, { type: 'created' }]);
    expect(browser.cookie).not.toBe(stale);
  });

  it('reports rejected cookies with what verification can tell apart', async () => {
    const { events, manager } = setup();
    const current = new CookieSealer({ secret, ttlSeconds: 3600 });
    const cookies = {
      malformed: 'not-a-seal',
      'bad-seal': forged(await sealWith(current)),
      'seal-expired': await sealWith(
        new CookieSealer({ secret, ttlSeconds: 60, now: () => Date.now() - 3_600_000 }),
      ),
      'retired-secret': await sealWith(
        new CookieSealer({ secret: { 7: otherSecret }, ttlSeconds: 3600 }),
      ),
    };
    for (const [reason, cookie] of Object.entries(cookies)) {
      events.length = 0;
      expect(await manager.open(cookie).exists()).toBe(false);
      expect(events, reason).toEqual([{ type: 'rejected', reason }]);
    }
    events.length = 0;
    expect(await manager.open('x'.repeat(5000)).exists()).toBe(false);
    expect(await manager.open(undefined).exists()).toBe(false);
    expect(await manager.open('').exists()).toBe(false);
    expect(events).toEqual([{ type: 'rejected', reason: 'malformed' }]);
  });

  it('reports store errors by operation and error code, and the call still rejects', async () => {
    const { store, control } = failingStore(memoryStore(), 'ECONNRESET');
    const { events, browser } = setup(store);
    await browser.request().set('cart', ['apple']);
    control.failing = true;
    await expect(browser.request().getAll()).rejects.toThrow(StoreError);
    expect(events.at(-1)).toEqual({
      type: 'store-error',
      operation: 'getAll',
      error: 'ECONNRESET',
    });
  });

  it('routes a LayeredStore hot tier failure as hot-error, keeping its own onEvent', async () => {
    const hot = faultyCalls(memoryStore());
    const own: LayeredStoreEvent[] = [];
    const layered = new LayeredStore({
      hot: hot.proxy,
      cold: memoryStore(),
      onEvent: (event) => own.push(event),
    });
    const { events, browser } = setup(layered);
    await browser.request().set('cart', ['apple']);
    hot.failEverything();
    expect(await browser.request().get('cart')).toEqual(['apple']);
    expect(own.length).toBeGreaterThan(0);
    expect(events).toContainEqual({
      type: 'hot-error',
      operation: 'getAll',
      error: 'InjectedFault',
    });
  });

  it("silences LayeredStore's default warning once a manager receives its events", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const hot = faultyCalls(memoryStore());
    const layered = new LayeredStore({ hot: hot.proxy, cold: memoryStore() });
    const alone = new Browser(createSessionManager({ secret, store: layered }));
    await alone.request().set('cart', ['apple']);
    hot.failEverything();
    await alone.request().get('cart');
    expect(warn).toHaveBeenCalled();
    warn.mockClear();
    const { events, browser } = setup(layered);
    browser.cookie = alone.cookie;
    await browser.request().get('cart');
    expect(events.some((event) => event.type === 'hot-error')).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('costs nothing unused: a manager without onEvent does not subscribe to its store', () => {
    const layered = new LayeredStore({ hot: memoryStore(), cold: memoryStore() });
    const subscribe = vi.spyOn(layered, 'subscribe');
    createSessionManager({ secret, store: layered });
    expect(subscribe).not.toHaveBeenCalled();
    createSessionManager({ secret, store: layered, onEvent: () => undefined });
    expect(subscribe).toHaveBeenCalledTimes(1);
  });

  it('ignores what the handler throws or rejects with', async () => {
    for (const onEvent of [
      () => {
        throw new Error('metrics down');
      },
      async () => {
        throw new Error('metrics down');
      },
    ]) {
      const browser = new Browser(createSessionManager({ secret, store: memoryStore(), onEvent }));
      await browser.request().set('cart', ['apple']);
      await browser.request().regenerate();
      await expect(browser.request().get('cart')).resolves.toEqual(['apple']);
    }
  });

  it('carries no session id, cookie, store key or field value, in any kind of event', async () => {
    const hot = faultyCalls(new MemoryStore({ name: `events-hot-${Math.random()}` }));
    const { store: cold, control } = failingStore(memoryStore());
    const layered = new LayeredStore({ hot: hot.proxy, cold, onEvent: () => undefined });
    const { events, manager, browser } = setup(layered);
    const secrets: string[] = [];
    const remember = async () => {
      const verified = await manager.verify(browser.cookie);
      secrets.push(browser.cookie ?? '', verified?.id ?? '', verified?.key ?? '');
    };

    const value = 'value-that-must-not-leak';
    await browser.request().set('userId', value);
    await remember();
    await browser
      .request()
      .regenerate({ set: { cart: [value] }, owner: 'owner-that-must-not-leak' });
    await remember();
    // An older deploy's field that this one cannot decode.
    const strict = createSessionManager({
      secret,
      store: layered,
      codecs: {
        userId: {
          name: 'strict',
          encode: () => new Uint8Array(),
          decode: () => {
            throw new Error(`cannot decode ${value}`);
          },
        },
      },
      onEvent: (event) => {
        events.push(event);
      },
    });
    await strict.open(browser.cookie).getAll();
    await browser.request().destroy();
    await manager.open(secrets[3]).getAll();
    for (const cookie of ['garbage', forged(secrets[3] ?? '')]) await manager.open(cookie).exists();
    await browser.request().set('userId', value);
    await remember();
    hot.failEverything();
    control.failing = true;
    await browser
      .request()
      .getAll()
      .catch(() => undefined);

    const kinds = new Set(events.map((event) => event.type));
    expect([...kinds].sort()).toEqual(
      [
        'created',
        'destroyed',
        'expired',
        'hot-error',
        'invalid-field',
        'regenerated',
        'rejected',
        'store-error',
      ].sort(),
    );
    const forbidden = [...secrets.filter(Boolean), value, 'owner-that-must-not-leak'];
    for (const event of events) {
      for (const field of Object.values(event)) expect(typeof field).toBe('string');
      const text = JSON.stringify(event);
      for (const secretText of forbidden) expect(text).not.toContain(secretText);
    }
  });
});
