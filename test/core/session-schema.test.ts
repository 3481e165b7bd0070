/**
 * Schema validation through the public entry: writes a schema refuses are refused whole, stored
 * values that no longer fit (or no longer decode) read as absent with the rest of the session
 * intact, and the session type comes from the schema. zod and valibot both stand for Standard
 * Schema; ruts depends on neither.
 */

import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  CodecError,
  ConfigError,
  createSessionManager,
  type InferSession,
  jsonCodec,
  SchemaError,
  type SessionConfig,
  type SessionEvent,
  type SessionManager,
  type StandardSchemaV1,
} from '../../src/index.ts';
import { Browser } from '../support/browser.ts';
import { memoryStore } from '../support/memory-store.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

const schema = {
  cart: z.array(z.string()),
  userId: z.string(),
  theme: v.picklist(['light', 'dark']),
};
type Shop = InferSession<typeof schema>;

/** A manager on `schema`; `overrides` may name other keys, so tests can widen the schema. */
function setup(overrides: Partial<SessionConfig<Record<string, unknown>>> = {}) {
  const store = memoryStore();
  const events: SessionEvent[] = [];
  const manager = createSessionManager<Shop>({
    secret,
    store,
    schema,
    onEvent: (event) => {
      events.push(event);
    },
    ...(overrides as Partial<SessionConfig<Shop>>),
  });
  return { store, events, manager, browser: new Browser(manager) };
}

/** A validator that counts its calls, around `inner`. */
function counted<T>(inner: StandardSchemaV1<unknown, T>) {
  const counter = { calls: 0 };
  const schema: StandardSchemaV1<unknown, T> = {
    '~standard': {
      ...inner['~standard'],
      validate: (value) => {
        counter.calls++;
        return inner['~standard'].validate(value);
      },
    },
  };
  return { schema, counter };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('schema: the session type', () => {
  it('is inferred from the schema, each key holding its output', () => {
    const manager = createSessionManager({ secret, store: memoryStore(), schema });
    expectTypeOf(manager).toEqualTypeOf<
      SessionManager<
        { cart: string[]; userId: string; theme: 'light' | 'dark' },
        Record<string, unknown>
      >
    >();
    const session = manager.open(undefined);
    expectTypeOf(session.get('cart')).resolves.toEqualTypeOf<string[] | undefined>();
    expectTypeOf(session.get('theme')).resolves.toEqualTypeOf<'light' | 'dark' | undefined>();
    expectTypeOf(session.getAll()).resolves.toEqualTypeOf<Partial<Shop>>();
    expectTypeOf<Shop>().toEqualTypeOf<{
      cart: string[];
      userId: string;
      theme: 'light' | 'dark';
    }>();
    const typeErrors = () => {
      // @ts-expect-error a key the schema does not name
      void session.get('nope');
      // @ts-expect-error a value of the wrong type
      void session.set('cart', [1]);
    };
    expect(typeErrors).toBeTypeOf('function');
  });

  it('is inferred from the schema even beside per-field codecs', () => {
    const manager = createSessionManager({
      secret,
      store: memoryStore(),
      schema: { prefs: z.object({ dark: z.boolean() }) },
      codecs: { prefs: jsonCodec },
    });
    expectTypeOf(manager.open(undefined).get('prefs')).resolves.toEqualTypeOf<
      { dark: boolean } | undefined
    >();
  });

  it('must agree with an explicit session type', () => {
    interface App {
      cart: string[];
    }
    const store = memoryStore();
    createSessionManager<App>({ secret, store, schema: { cart: z.array(z.string()) } });
    // @ts-expect-error the schema's output is not the type's
    createSessionManager<App>({ secret, store, schema: { cart: z.array(z.number()) } });
  });
});

describe('schema: writes', () => {
  it('refuses a value the schema refuses with SchemaError naming the key and issues; nothing is written', async () => {
    const { browser, store } = setup();
    const session = browser.request();
    // biome-ignore lint/suspicious/noExplicitAny: a value the type would refuse, as from a form
    const error = await session.set('cart', [1] as any).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaError);
    expect(error).toMatchObject({ code: 'RUTS_SCHEMA', key: 'cart', direction: 'write' });
    expect((error as SchemaError).issues[0]?.path).toEqual([0]);
    expect((error as Error).message).toMatch(/"cart".*0: .*nothing was written/);
    expect(session.cookieChanged).toBe(false);
    expect(store.size).toBe(0);
  });

  it('leaves the stored value as it was when a write is refused', async () => {
    const { browser } = setup();
    await browser.request().set('theme', 'dark');
    // biome-ignore lint/suspicious/noExplicitAny: a value the type would refuse
    await expect(browser.request().set('theme', 'blue' as any)).rejects.toThrow(SchemaError);
    expect(await browser.request().get('theme')).toBe('dark');
  });

  it('refuses insert and flash the same way', async () => {
    const { browser, store } = setup();
    // biome-ignore lint/suspicious/noExplicitAny: a value the type would refuse
    await expect(browser.request().insert('userId', 7 as any)).rejects.toThrow(SchemaError);
    await expect(browser.request().flash('cart', 'not an array')).rejects.toThrow(SchemaError);
    expect(store.size).toBe(0);
  });

  it('refuses regenerate({ set }) whole when one value fails: the id and data stay', async () => {
    const { browser } = setup();
    await browser.request().set('userId', 'guest');
    const before = browser.cookie;
    const error = await browser
      .request()
      // biome-ignore lint/suspicious/noExplicitAny: a value the type would refuse
      .regenerate({ set: { userId: 'u1', cart: 'nope' as any } })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ key: 'cart', direction: 'write' });
    expect(browser.cookie).toBe(before);
    expect(await browser.request().getAll()).toEqual({ userId: 'guest' });
  });

  it("stores the schema's output, such as an object with unknown keys stripped", async () => {
    const { browser } = setup({ schema: { ...schema, profile: z.object({ name: z.string() }) } });
    const session = browser.request();
    // biome-ignore lint/suspicious/noExplicitAny: extra keys a loose caller might pass
    await (session as any).set('profile', { name: 'Ada', password: 'x' });
    // biome-ignore lint/suspicious/noExplicitAny: the key is not in Shop
    expect(await (browser.request() as any).get('profile')).toEqual({ name: 'Ada' });
  });

  it('writes keys the schema does not name unchecked', async () => {
    const { browser } = setup();
    // biome-ignore lint/suspicious/noExplicitAny: a key outside the schema
    await (browser.request() as any).set('other', { anything: 1 });
    expect(await browser.request().getAll()).toEqual({ other: { anything: 1 } });
  });

  it('awaits async validators, keeping the order of writes made in parallel', async () => {
    let slow = true;
    const slowFirst = z.string().refine(async () => {
      if (slow) {
        slow = false;
        await sleep(30);
      }
      return true;
    });
    const { browser } = setup({ schema: { ...schema, userId: slowFirst } });
    await browser.request().set('cart', []);
    const session = browser.request();
    await Promise.all([session.set('userId', 'first'), session.set('userId', 'second')]);
    expect(await browser.request().get('userId')).toBe('second');

    const refusing = v.pipeAsync(
      v.string(),
      v.checkAsync(async (value) => value !== 'root', 'reserved'),
    );
    const other = setup({ schema: { ...schema, userId: refusing } });
    await expect(other.browser.request().set('userId', 'root')).rejects.toMatchObject({
      key: 'userId',
      issues: [{ message: 'reserved' }],
    });
    expect(other.store.size).toBe(0);
  });

  it('counts a validator that throws as refusing the value', async () => {
    const throwing: StandardSchemaV1<unknown, string> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => {
          throw new Error('boom');
        },
      },
    };
    const { browser } = setup({ schema: { ...schema, userId: throwing } });
    await expect(browser.request().set('userId', 'u1')).rejects.toThrow(
      /the validator threw: boom/,
    );
  });
});

describe('schema: reads', () => {
  /** A session written by an older deploy, with no schema, then read by this one. */
  async function writtenByOldDeploy(data: Record<string, unknown>) {
    const s = setup();
    const old = createSessionManager({ secret, store: s.store });
    const oldBrowser = new Browser(old);
    const session = oldBrowser.request();
    for (const [key, value] of Object.entries(data)) await session.set(key, value);
    s.browser.cookie = oldBrowser.cookie;
    return s;
  }

  it('reads a stored value the schema refuses as absent, the rest intact, reporting the key', async () => {
    const { browser, events } = await writtenByOldDeploy({ cart: 'apple', userId: 'u1' });
    const session = browser.request();
    expect(await session.getAll()).toEqual({ userId: 'u1' });
    expect(await session.get('cart')).toBeUndefined();
    expect(await session.has('cart')).toBe(false);
    expect(await session.has('userId')).toBe(true);
    expect(events).toEqual([{ type: 'invalid-field', key: 'cart', reason: 'schema' }]);
  });

  it("throws SchemaError for it with onInvalid: 'throw'", async () => {
    const s = await writtenByOldDeploy({ cart: 'apple', userId: 'u1' });
    const strict = createSessionManager({ secret, store: s.store, schema, onInvalid: 'throw' });
    const error = await strict
      .open(s.browser.cookie)
      .getAll()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaError);
    expect(error).toMatchObject({ key: 'cart', direction: 'read' });
    expect((error as Error).message).toContain('stored value of "cart"');
  });

  it('reads a value its codec cannot decode as absent, with or without a schema', async () => {
    const s = await writtenByOldDeploy({ prefs: new Map([['dark', true]]), userId: 'u1' });
    const events: SessionEvent[] = [];
    const json = createSessionManager({
      secret,
      store: s.store,
      codecs: { prefs: jsonCodec },
      onEvent: (event) => {
        events.push(event);
      },
    });
    expect(await json.open(s.browser.cookie).getAll()).toEqual({ userId: 'u1' });
    expect(events).toEqual([{ type: 'invalid-field', key: 'prefs', reason: 'codec' }]);
    const strict = createSessionManager({
      secret,
      store: s.store,
      codecs: { prefs: jsonCodec },
      onInvalid: 'throw',
    });
    await expect(strict.open(s.browser.cookie).getAll()).rejects.toThrow(CodecError);
  });

  it('throws for a sync failure with async checks in flight, leaving none unhandled', async () => {
    const asyncCart = z.array(z.string()).refine(async () => {
      await sleep(10);
      return false;
    });
    const s = await writtenByOldDeploy({ cart: ['a'], userId: 7 });
    const strict = createSessionManager({
      secret,
      store: s.store,
      schema: { ...schema, cart: asyncCart },
      onInvalid: 'throw',
    });
    await expect(strict.open(s.browser.cookie).getAll()).rejects.toMatchObject({ key: 'userId' });
    await sleep(30);
  });

  it('validates an unchanged value once per request, and a written one again', async () => {
    const { schema: userId, counter } = counted(z.string());
    const { browser } = setup({ schema: { ...schema, userId } });
    await browser.request().set('userId', 'u1');
    counter.calls = 0;
    const session = browser.request();
    await session.get('userId');
    await session.getAll();
    await session.has('userId');
    expect(counter.calls).toBe(1);
    await session.set('userId', 'u2');
    expect(await session.get('userId')).toBe('u2');
    await session.getAll();
    expect(counter.calls).toBe(3);
  });

  it('checks stored values with async validators, dropping those that fail', async () => {
    const asyncCart = z.array(z.string()).refine(async (cart) => cart.length < 3);
    const s = await writtenByOldDeploy({ cart: ['a', 'b', 'c'], userId: 'u1' });
    const manager = createSessionManager({
      secret,
      store: s.store,
      schema: { ...schema, cart: asyncCart },
    });
    expect(await manager.open(s.browser.cookie).getAll()).toEqual({ userId: 'u1' });
  });

  it('drops a flash its schema refuses', async () => {
    const s = await writtenByOldDeploy({ userId: 'u1' });
    const old = createSessionManager({ secret, store: s.store });
    await old.open(s.browser.cookie).flash('cart', 'not an array');
    expect(await s.browser.request().takeFlash('cart')).toBeUndefined();
    expect(s.events).toEqual([{ type: 'invalid-field', key: 'cart', reason: 'schema' }]);
  });

  it('drops fields that fail from listSessions', async () => {
    const s = setup();
    const old = new Browser(createSessionManager({ secret, store: s.store }));
    await old.request().regenerate({ set: { cart: 'apple', userId: 'u1' }, owner: 'ada' });
    const [listed] = await s.manager.listSessions('ada', { fields: ['cart', 'userId'] });
    expect(listed?.fields).toEqual({ userId: 'u1' });
    expect(s.events).toEqual([{ type: 'invalid-field', key: 'cart', reason: 'schema' }]);
  });
});

describe('schema: config', () => {
  it('refuses a schema entry that is not a Standard Schema validator', () => {
    const store = memoryStore();
    expect(() =>
      // biome-ignore lint/suspicious/noExplicitAny: a config a JavaScript caller might pass
      createSessionManager({ secret, store, schema: { cart: (x: unknown) => x } as any }),
    ).toThrow(/schema\.cart is not a Standard Schema v1 validator/);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    expect(() => createSessionManager({ secret, store, schema: [] as any })).toThrow(ConfigError);
  });

  it("refuses onInvalid other than 'drop' or 'throw'", () => {
    expect(() =>
      // biome-ignore lint/suspicious/noExplicitAny: as above
      createSessionManager({ secret, store: memoryStore(), onInvalid: 'ignore' as any }),
    ).toThrow(/onInvalid must be 'drop' or 'throw'/);
  });
});
