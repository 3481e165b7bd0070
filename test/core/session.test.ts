import { describe, expect, expectTypeOf, it } from 'vitest';
import { jsonCodec } from '../../src/codecs/json-codec.ts';
import { CookieSealer } from '../../src/core/cookie-seal.ts';
import {
  CodecError,
  InvalidKeyError,
  InvalidTtlError,
  ReadOnlySessionError,
  StoreError,
  ValueTooLargeError,
} from '../../src/core/errors.ts';
import type { SessionConfig } from '../../src/core/session-config.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import { Browser } from '../support/browser.ts';
import { memoryStore } from '../support/memory-store.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Shop {
  cart: string[];
  userId: string;
  theme: 'light' | 'dark';
  nonce: string;
  blob: unknown;
}
interface Flash {
  notice: string;
}

function setup(overrides: Partial<SessionConfig<Shop>> = {}) {
  const store = memoryStore();
  const manager = createSessionManager<Shop, Flash>({ secret, store, ...overrides });
  return { store, manager, browser: new Browser(manager) };
}

describe('Session', () => {
  it('is empty without a cookie and sends no cookie for reads', async () => {
    const { browser } = setup();
    const session = browser.request();
    expect(await session.get('cart')).toBeUndefined();
    expect(await session.getAll()).toEqual({});
    expect(await session.exists()).toBe(false);
    expect(await session.info()).toBeUndefined();
    expect(session.cookieChanged).toBe(false);
    expect(browser.received).toEqual([]);
  });

  it('creates the session on the first write and reads it back in the next request', async () => {
    const { browser, store } = setup();
    const first = browser.request();
    await first.set('cart', ['apple']);
    expect(first.cookieChanged).toBe(true);
    expect(browser.received).toHaveLength(1);
    expect(await first.get('cart')).toEqual(['apple']);

    const second = browser.request();
    expect(await second.get('cart')).toEqual(['apple']);
    expect(await second.exists()).toBe(true);
    expect(second.cookieChanged).toBe(false);
    expect(store.size).toBe(1);
  });

  it('types values by key, and rejects unknown keys at compile time', async () => {
    const { browser } = setup();
    const session = browser.request();
    expectTypeOf(session.get('cart')).resolves.toEqualTypeOf<string[] | undefined>();
    // @ts-expect-error 'carts' is not a key of Shop
    await expect(session.get('carts')).resolves.toBeUndefined();
    // @ts-expect-error a theme is 'light' or 'dark'
    await session.set('theme', 'blue');
  });

  it('keys the store by a hash of the id, never the id itself', async () => {
    const { browser, manager, store } = setup();
    await browser.request().set('userId', 'u1');
    const verified = await manager.verify(browser.cookie);
    expect(verified).toBeDefined();
    expect(verified?.key).not.toBe(verified?.id);
    expect(await store.getAll(verified?.key ?? '')).toBeDefined();
    expect(await store.getAll(verified?.id ?? '')).toBeUndefined();
  });

  it('keeps both writes when two requests change different fields at once', async () => {
    const { browser } = setup();
    await browser.request().set('cart', []);
    const a = browser.request();
    const b = browser.request();
    await Promise.all([a.get('cart'), b.get('cart')]);
    await Promise.all([a.set('cart', ['pear']), b.set('theme', 'dark')]);
    expect(await browser.request().getAll()).toEqual({ cart: ['pear'], theme: 'dark' });
  });

  it('mints one id for parallel writes in one request', async () => {
    const { browser, store } = setup();
    const session = browser.request();
    await Promise.all([
      session.set('cart', []),
      session.set('theme', 'light'),
      session.get('cart'),
    ]);
    expect(browser.received).toHaveLength(1);
    expect(store.size).toBe(1);
    expect(await browser.request().getAll()).toEqual({ cart: [], theme: 'light' });
  });

  it('never adopts a validly sealed id that the store does not know', async () => {
    const { browser, manager, store } = setup();
    const sealer = new CookieSealer({ secret, ttlSeconds: 3600 });
    const planted = await sealer.seal('A'.repeat(51));
    browser.cookie = planted;
    const session = browser.request();
    expect(await session.exists()).toBe(false);
    await session.set('userId', 'victim');
    expect(browser.cookie).not.toBe(planted);
    expect((await manager.verify(browser.cookie))?.id).not.toBe('A'.repeat(51));
    const plantedKey = (await manager.verify(planted))?.key ?? '';
    expect(await store.getAll(plantedKey)).toBeUndefined();
  });

  it('treats a tampered, truncated or foreign cookie as no session', async () => {
    const { browser } = setup();
    await browser.request().set('userId', 'u1');
    const good = browser.cookie ?? '';
    const foreign = await new CookieSealer({ secret: 'x'.repeat(40), ttlSeconds: 60 }).seal(
      'B'.repeat(51),
    );
    const tampered = good.slice(0, 20) + (good[20] === 'a' ? 'b' : 'a') + good.slice(21);
    for (const cookie of [tampered, good.slice(0, -5), foreign, 'garbage', '']) {
      browser.cookie = cookie;
      const session = browser.request();
      expect(await session.getAll()).toEqual({});
      expect(await session.exists()).toBe(false);
    }
  });

  it('destroys the session, clears the cookie, and leaves the old cookie dead', async () => {
    const { browser, manager } = setup({ cookie: { secure: true } });
    await browser.request().set('userId', 'u1');
    const old = browser.cookie;
    await browser.request().destroy();
    const removal = browser.received.at(-1);
    expect(removal?.value).toBe('');
    expect(removal?.name).toBe('__Host-ruts');
    expect(removal?.attributes).toMatchObject({
      maxAge: 0,
      path: '/',
      secure: true,
      httpOnly: true,
    });
    expect(browser.cookie).toBeUndefined();
    expect(await manager.open(old).getAll()).toEqual({});
  });

  it('ends destroy() followed by set() with a cookie for a new id', async () => {
    const { browser, manager } = setup();
    await browser.request().set('userId', 'u1');
    const old = browser.cookie;
    const session = browser.request();
    await session.destroy();
    await session.set('cart', ['fresh']);
    expect(browser.cookie).toBeDefined();
    expect(browser.cookie).not.toBe(old);
    expect((await manager.verify(browser.cookie))?.id).not.toBe((await manager.verify(old))?.id);
    expect(await browser.request().getAll()).toEqual({ cart: ['fresh'] });
    expect(await manager.open(old).getAll()).toEqual({});
  });

  it('does not resurrect a session that another request destroyed', async () => {
    const { browser, manager } = setup();
    await browser.request().set('userId', 'u1');
    const old = browser.cookie;
    const stale = browser.request();
    await stale.get('userId');
    await manager.open(old).destroy();
    await stale.set('cart', ['after']);
    expect(browser.cookie).not.toBe(old);
    expect(await manager.open(old).getAll()).toEqual({});
    expect(await browser.request().getAll()).toEqual({ cart: ['after'] });
  });

  it('regenerates the id, keeping the data and killing the old id at once', async () => {
    const { browser, manager } = setup();
    await browser.request().set('cart', ['kept']);
    const old = browser.cookie;
    const session = browser.request();
    await session.regenerate({ set: { userId: 'u42' } });
    expect(browser.cookie).not.toBe(old);
    expect(await session.getAll()).toEqual({ cart: ['kept'], userId: 'u42' });
    expect(await browser.request().getAll()).toEqual({ cart: ['kept'], userId: 'u42' });
    expect(await manager.open(old).getAll()).toEqual({});
  });

  it('regenerate keeps the family of the id, so both store keys land in one shard', async () => {
    const { browser, manager } = setup();
    await browser.request().set('cart', []);
    const before = await manager.verify(browser.cookie);
    await browser.request().regenerate();
    const after = await manager.verify(browser.cookie);
    expect(after?.id).not.toBe(before?.id);
    expect(after?.key.split('.')[0]).toBe(before?.key.split('.')[0]);
    expect(after?.id.slice(8)).not.toBe(before?.id.slice(8));
  });

  it('regenerate({ set }) without a session starts one holding those fields', async () => {
    const { browser } = setup();
    const session = browser.request();
    await session.regenerate({ set: { userId: 'u7' } });
    expect(browser.received).toHaveLength(1);
    expect(await browser.request().get('userId')).toBe('u7');
  });

  it('regenerate() without a session or fields does nothing', async () => {
    const { browser, store } = setup();
    await browser.request().regenerate();
    expect(browser.received).toEqual([]);
    expect(store.size).toBe(0);
  });

  it('inserts only when the key is absent', async () => {
    const { browser } = setup();
    const session = browser.request();
    expect(await session.insert('nonce', 'first')).toBe(true);
    expect(await session.insert('nonce', 'second')).toBe(false);
    expect(await session.get('nonce')).toBe('first');
    expect(await browser.request().get('nonce')).toBe('first');
  });

  it('removes one field and reports whether it was there', async () => {
    const { browser } = setup();
    await browser.request().set('cart', ['x']);
    const session = browser.request();
    await session.set('theme', 'dark');
    expect(await session.remove('cart')).toBe(true);
    expect(await session.remove('cart')).toBe(false);
    expect(await session.getAll()).toEqual({ theme: 'dark' });
    expect(await browser.request().getAll()).toEqual({ theme: 'dark' });
  });

  it('reads a flash exactly once, even with parallel readers, and hides it from getAll', async () => {
    const { browser } = setup();
    await browser.request().flash('notice', 'Saved');
    expect(await browser.request().getAll()).toEqual({});
    const readers = Array.from({ length: 20 }, () => browser.request().takeFlash('notice'));
    const seen = (await Promise.all(readers)).filter((value) => value !== undefined);
    expect(seen).toEqual(['Saved']);
    expect(await browser.request().takeFlash('notice')).toBeUndefined();
  });

  it('expires a field on its own TTL, in the same request and in later ones', async () => {
    const { browser } = setup();
    const session = browser.request();
    await session.set('nonce', 'short', { ttl: 0.15 });
    await session.set('cart', ['long']);
    expect(await session.get('nonce')).toBe('short');
    await sleep(250);
    expect(await session.get('nonce')).toBeUndefined();
    expect(await browser.request().getAll()).toEqual({ cart: ['long'] });
  });

  it('reports creation and expiry, with persistent fields keeping the session forever', async () => {
    const { browser } = setup({ idleTimeout: 60 });
    const session = browser.request();
    await session.set('cart', []);
    await session.set('nonce', 'n', { ttl: 30 });
    const info = await browser.request().info();
    expect(info?.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(info?.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 55_000);
    expect(info?.fields.cart?.expiresAt).toBeNull();
    expect(info?.fields.nonce?.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 25_000);
    await browser.request().set('userId', 'u', { ttl: 'persistent' });
    expect((await browser.request().info())?.expiresAt).toBeNull();
  });

  it('expire() shortens the session and expire(0) destroys it', async () => {
    const { browser } = setup();
    await browser.request().set('cart', []);
    await browser.request().expire(0.15);
    expect(await browser.request().exists()).toBe(true);
    await sleep(250);
    expect(await browser.request().exists()).toBe(false);

    await browser.request().set('cart', ['again']);
    await browser.request().expire(0);
    expect(browser.cookie).toBeUndefined();
  });

  it('ends a session at its absolute timeout however active it is', async () => {
    const { browser } = setup({ absoluteTimeout: 0.3, idleTimeout: 60 });
    await browser.request().set('cart', []);
    await sleep(150);
    await browser.request().set('userId', 'u', { ttl: 'persistent' });
    expect(await browser.request().exists()).toBe(true);
    await sleep(250);
    expect(await browser.request().exists()).toBe(false);
  });

  it('extends the idle timeout on reads once the session has gone stale', async () => {
    const { browser, manager, store } = setup({ idleTimeout: 1, touchAfter: 0.1 });
    await browser.request().set('cart', []);
    const key = (await manager.verify(browser.cookie))?.key ?? '';
    await sleep(300);
    const before = (await store.getAll(key))?.ttlMs ?? 0;
    expect(before).toBeLessThan(800);
    await browser.request().get('cart');
    expect((await store.getAll(key))?.ttlMs).toBeGreaterThan(900);
  });

  it('still answers a read when extending the idle timeout fails', async () => {
    const { browser, store } = setup({ idleTimeout: 1, touchAfter: 0.1 });
    await browser.request().set('cart', ['kept']);
    await sleep(300);
    store.expire = () => Promise.reject(new Error('hot tier down'));
    expect(await browser.request().get('cart')).toEqual(['kept']);
  });

  it('is read-only when opened for a Server Component', async () => {
    const { browser } = setup();
    const writer = browser.request();
    await writer.set('cart', ['a']);
    await writer.flash('notice', 'hello');
    const session = browser.request({ readOnly: 'a Server Component' });
    expect(await session.get('cart')).toEqual(['a']);
    expect(await session.takeFlash('notice')).toBe('hello');
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['set', () => session.set('cart', [])],
      ['insert', () => session.insert('nonce', 'n')],
      ['remove', () => session.remove('cart')],
      ['destroy', () => session.destroy()],
      ['regenerate', () => session.regenerate()],
      ['expire', () => session.expire(10)],
      ['flash', () => session.flash('notice', 'x')],
    ];
    for (const [operation, write] of writes) {
      const error = await write().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ReadOnlySessionError);
      expect((error as Error).message).toContain(`session.${operation}()`);
      expect((error as Error).message).toContain('Server Action or a Route Handler');
    }
    expect(await browser.request().get('cart')).toEqual(['a']);
  });

  it('names the key when a value cannot be encoded, and writes nothing', async () => {
    const { browser, store } = setup({ codecs: { blob: jsonCodec } });
    const session = browser.request();
    const error = await session.set('blob', { big: 10n }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).key).toBe('blob');
    expect((error as Error).message).toContain('"blob"');
    expect(store.size).toBe(0);
  });

  it("names the key when stored bytes cannot be decoded, with onInvalid: 'throw'", async () => {
    const { browser, manager, store } = setup({ codecs: { blob: jsonCodec }, onInvalid: 'throw' });
    await browser.request().set('cart', []);
    const key = (await manager.verify(browser.cookie))?.key ?? '';
    await store.set(
      key,
      { field: 'blob', value: new Uint8Array([0xff, 0x00]) },
      { create: false, idleMs: 60_000 },
    );
    const error = await browser
      .request()
      .get('blob')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).key).toBe('blob');
  });

  it('rejects values over maxValueBytes, naming the key', async () => {
    const { browser, store } = setup({ maxValueBytes: 100 });
    const error = await browser
      .request()
      .set('blob', 'x'.repeat(200))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValueTooLargeError);
    expect((error as ValueTooLargeError).key).toBe('blob');
    expect(store.size).toBe(0);
  });

  it('rejects empty and reserved keys and bad TTLs with typed errors', async () => {
    const session = createSessionManager({ secret, store: memoryStore() }).open(undefined);
    await expect(session.set('', 1)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(session.set('@flash:notice', 1)).rejects.toBeInstanceOf(InvalidKeyError);
    // Stored as UTF-8, a lone surrogate would become U+FFFD and could merge two keys into one.
    await expect(session.set('a\ud800', 1)).rejects.toThrow(/lone surrogate/);
    expect(await session.getAll()).toEqual({});
    await session.set('\ud83d\ude42', 1);
    expect(await session.get('\ud83d\ude42')).toBe(1);
    await expect(session.set('cart', [], { ttl: -1 })).rejects.toBeInstanceOf(InvalidTtlError);
    await expect(session.set('cart', [], { ttl: 1e300 })).rejects.toBeInstanceOf(InvalidTtlError);
    await expect(session.expire(Number.NaN)).rejects.toBeInstanceOf(InvalidTtlError);
  });

  it('wraps a store failure in a StoreError that keeps the cause', async () => {
    const { browser, store } = setup();
    await browser.request().set('cart', []);
    const failure = new Error('connection reset');
    store.getAll = () => Promise.reject(failure);
    const error = await browser
      .request()
      .get('cart')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).operation).toBe('getAll');
    expect((error as StoreError).cause).toBe(failure);
  });

  it('retries a failed read on the next call', async () => {
    const { browser, store } = setup();
    await browser.request().set('cart', ['x']);
    const original = store.getAll.bind(store);
    let failures = 1;
    store.getAll = (key) => (failures-- > 0 ? Promise.reject(new Error('blip')) : original(key));
    const session = browser.request();
    await expect(session.get('cart')).rejects.toBeInstanceOf(StoreError);
    expect(await session.get('cart')).toEqual(['x']);
  });
});
