/**
 * The schema and the lifecycle events through `ruts/next`: `createSessions({ schema })` types
 * `getSession()` from the schema, a stale field reads as absent in a Server Component, and the
 * proxy guard reports the cookies it turns away through the manager's `onEvent`.
 */

import './support/next-runtime.ts';
import { NextRequest } from 'next/server.js';
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  createSessions,
  type InferSession,
  SchemaError,
  type SessionEvent,
  type Sessions,
} from '../../src/next/index.ts';
import { memoryStore } from '../support/memory-store.ts';
import { NextBrowser } from './support/next-request.ts';
import { liveSessionCookie } from './support/session-cookies.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const schema = { cart: z.array(z.string()), userId: v.string() };

function setup() {
  const store = memoryStore();
  const events: SessionEvent[] = [];
  const sessions = createSessions({
    secret,
    store,
    schema,
    cookie: { secure: false },
    onEvent: (event) => {
      events.push(event);
    },
  });
  return { store, events, sessions, browser: new NextBrowser() };
}

function request(cookieValue?: string): NextRequest {
  return new NextRequest('https://example.com/account', {
    headers: cookieValue === undefined ? {} : { cookie: `ruts=${cookieValue}` },
  });
}

describe('createSessions({ schema })', () => {
  it('types the session from the schema', () => {
    const { sessions } = setup();
    expectTypeOf(sessions).toEqualTypeOf<
      Sessions<{ cart: string[]; userId: string }, Record<string, unknown>>
    >();
    expectTypeOf<InferSession<typeof schema>>().toEqualTypeOf<{
      cart: string[];
      userId: string;
    }>();
    const read = async () => (await sessions.getSession()).get('cart');
    expectTypeOf(read).returns.resolves.toEqualTypeOf<string[] | undefined>();
  });

  it('refuses a write the schema refuses, in a Server Action', async () => {
    const { sessions, browser, store } = setup();
    const error = await browser.request('server-action', async () =>
      (await sessions.getSession())
        // biome-ignore lint/suspicious/noExplicitAny: a value the type would refuse
        .set('userId', 42 as any)
        .catch((caught: unknown) => caught),
    );
    expect(error).toBeInstanceOf(SchemaError);
    expect(store.size).toBe(0);
    expect(browser.cookies.size).toBe(0);
  });

  it('reads a field an older deploy wrote in another shape as absent, in a Server Component', async () => {
    const { sessions, browser, store, events } = setup();
    const old = createSessions({ secret, store, cookie: { secure: false } });
    await browser.request('server-action', async () => {
      const session = await old.getSession();
      await session.set('cart', 'apple');
      await session.set('userId', 'u1');
    });
    const all = await browser.request('server-component', async () =>
      (await sessions.getSession()).getAll(),
    );
    expect(all).toEqual({ userId: 'u1' });
    expect(events).toEqual([{ type: 'invalid-field', key: 'cart', reason: 'schema' }]);
  });
});

describe('the proxy guard with onEvent', () => {
  it('reports the cookies it turns away: rejected and expired', async () => {
    const { sessions, events, store } = setup();
    const guard = sessions.guard({ redirectTo: '/login' });
    await guard(request('garbage'));
    expect(events).toEqual([{ type: 'rejected', reason: 'malformed' }]);

    const cookie = await liveSessionCookie(
      sessions.manager as unknown as Parameters<typeof liveSessionCookie>[0],
      { userId: 'u1' },
    );
    events.length = 0;
    const live = await guard(request(cookie));
    expect(live.headers.get('x-middleware-next')).toBe('1');
    expect(events).toEqual([]);
    const key = (await sessions.manager.verify(cookie))?.key ?? '';
    await store.delete(key);
    await guard(request(cookie));
    expect(events).toEqual([{ type: 'expired' }]);
  });
});
