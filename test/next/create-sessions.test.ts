import './support/next-runtime.ts';
import { isRedirectError } from 'next/dist/client/components/redirect-error.js';
import {
  MutableRequestCookiesAdapter,
  RequestCookiesAdapter,
} from 'next/dist/server/web/spec-extension/adapters/request-cookies.js';
import { RequestCookies } from 'next/dist/server/web/spec-extension/cookies.js';
import { cookies, headers } from 'next/headers.js';
import { redirect } from 'next/navigation.js';
import { describe, expect, it } from 'vitest';
import type { CookieOptions } from '../../src/core/cookie-options.ts';
import { ReadOnlySessionError } from '../../src/core/errors.ts';
import type { Session } from '../../src/core/session.ts';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { createSessions, createSessionsWith } from '../../src/next/create-sessions.ts';
import { memoryStore } from '../support/memory-store.ts';
import { countingStore } from './support/counting-store.ts';
import { NextBrowser, NextRequestScope, parseSetCookies } from './support/next-request.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

/** A Route Handler's request carrying the browser's cookies, as Next passes it. */
function routeRequest(browser: NextBrowser, url = 'https://example.com/cart'): Request {
  const cookie = browser.cookieHeader();
  return new Request(url, cookie === undefined ? {} : { headers: { cookie } });
}

interface Shop {
  cart: string[];
  userId: string;
}
interface Flash {
  notice: string;
}

function setup(options: { cookie?: CookieOptions; store?: SessionStore } = {}) {
  const store = options.store ?? memoryStore();
  const sessions = createSessions<Shop, Flash>({
    secret,
    store,
    cookie: options.cookie ?? { secure: false },
  });
  return { store, sessions, browser: new NextBrowser() };
}

/** Signs a browser in: an action that writes the cart, leaving the cookie in the browser. */
async function withCart(setupResult: ReturnType<typeof setup>, cart: string[]) {
  const { sessions, browser } = setupResult;
  await browser.request('server-action', async () => {
    await (await sessions.getSession()).set('cart', cart);
  });
}

describe('getSession in a Server Component', () => {
  it('reads the session the browser carries', async () => {
    const s = setup();
    await withCart(s, ['apple']);
    const cart = await s.browser.request('server-component', async () =>
      (await s.sessions.getSession()).get('cart'),
    );
    expect(cart).toEqual(['apple']);
  });

  it('throws ReadOnlySessionError from every write, pointing to Server Actions and Route Handlers', async () => {
    const s = setup();
    await withCart(s, ['apple']);
    const scope = new NextRequestScope('server-component', s.browser.cookieHeader());
    const before = scope.requestStore.cookies.get('ruts')?.value;
    await scope.run(async () => {
      const session = await s.sessions.getSession();
      const writes: Array<[string, () => Promise<unknown>]> = [
        ['set', () => session.set('cart', [])],
        ['insert', () => session.insert('userId', 'u1')],
        ['remove', () => session.remove('cart')],
        ['destroy', () => session.destroy()],
        ['regenerate', () => session.regenerate()],
        ['expire', () => session.expire(60)],
        ['flash', () => session.flash('notice', 'hi')],
      ];
      for (const [operation, write] of writes) {
        const error = await write().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, operation).toBeInstanceOf(ReadOnlySessionError);
        expect((error as ReadOnlySessionError).operation).toBe(operation);
        expect((error as Error).message).toContain('a Server Component');
        expect((error as Error).message).toContain('Server Action or a Route Handler');
      }
      expect(await session.get('cart')).toEqual(['apple']);
    });
    expect(scope.setCookies).toEqual([]);
    expect(scope.requestStore.cookies.get('ruts')?.value).toBe(before);
  });

  it('takes flash messages, since that sets no cookie', async () => {
    const s = setup();
    await s.browser.request('server-action', async () => {
      await (await s.sessions.getSession()).flash('notice', 'Saved');
    });
    const taken = await s.browser.request('server-component', async () => {
      const session = await s.sessions.getSession();
      return [await session.takeFlash('notice'), await session.takeFlash('notice')];
    });
    expect(taken).toEqual(['Saved', undefined]);
  });

  it('reads an emptied cookie as no session', async () => {
    const s = setup();
    const scope = new NextRequestScope('server-component', 'ruts=');
    const exists = await scope.run(async () => (await s.sessions.getSession()).exists());
    expect(exists).toBe(false);
  });
});

describe('getSession in a Server Action or Route Handler', () => {
  it.each(['server-action', 'route-handler'] as const)(
    'sets an HttpOnly, SameSite=Lax, Path=/ cookie on the first write in a %s',
    async (context) => {
      const { sessions } = setup();
      const scope = new NextRequestScope(context);
      await scope.run(async () => (await sessions.getSession()).set('cart', ['apple']));
      const [cookie, ...others] = scope.responseCookies();
      expect(others).toEqual([]);
      expect(cookie).toMatchObject({ name: 'ruts', httpOnly: true, sameSite: 'lax', path: '/' });
      expect(cookie?.secure).toBeUndefined();
      expect(cookie?.maxAge).toBeGreaterThan(0);
      expect(cookie?.value).not.toBe('');
    },
  );

  it('names the cookie __Host- and marks it Secure when the cookie is secure', async () => {
    const { sessions } = setup({ cookie: { secure: true } });
    const scope = new NextRequestScope('server-action');
    await scope.run(async () => (await sessions.getSession()).set('cart', ['apple']));
    const [cookie] = scope.responseCookies();
    expect(cookie).toMatchObject({ name: '__Host-ruts', secure: true, httpOnly: true, path: '/' });
    expect(scope.setCookies[0]).toMatch(
      /^__Host-ruts=[^;]+; Path=\/; Expires=.*; Max-Age=\d+; Secure; HttpOnly; SameSite=lax$/,
    );
  });

  it('clears the cookie on destroy, repeating Path, Domain, Secure and HttpOnly', async () => {
    const s = setup({ cookie: { secure: true, domain: 'example.com' } });
    await withCart(s, ['apple']);
    const scope = new NextRequestScope('server-action', s.browser.cookieHeader());
    await scope.run(async () => (await s.sessions.getSession()).destroy());
    expect(scope.setCookies).toEqual([
      'ruts=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Domain=example.com; Secure; HttpOnly; SameSite=lax',
    ]);
  });

  it('ends destroy() then set() with a cookie for a new id holding only the new data', async () => {
    const s = setup();
    await withCart(s, ['apple']);
    const oldCookie = s.browser.cookieHeader();
    await s.browser.request('server-action', async () => {
      const session = await s.sessions.getSession();
      await session.destroy();
      await session.set('userId', 'u2');
    });
    const newCookie = s.browser.cookieHeader();
    expect(newCookie).toBeDefined();
    expect(newCookie).not.toBe(oldCookie);

    const fresh = await s.browser.request('server-component', async () =>
      (await s.sessions.getSession()).getAll(),
    );
    expect(fresh).toEqual({ userId: 'u2' });

    const stale = new NextRequestScope('server-component', oldCookie);
    const old = await stale.run(async () => {
      const session = await s.sessions.getSession();
      return { data: await session.getAll(), exists: await session.exists() };
    });
    expect(old).toEqual({ data: {}, exists: false });
  });

  it('sets no cookie for reads', async () => {
    const s = setup();
    await withCart(s, ['apple']);
    const scope = new NextRequestScope('route-handler', s.browser.cookieHeader());
    await scope.run(async () => (await s.sessions.getSession()).getAll());
    expect(scope.setCookies).toEqual([]);
  });

  it('lets the render after a Server Action see the session the action created', async () => {
    const { sessions } = setup();
    const scope = new NextRequestScope('server-action');
    await scope.run(async () => (await sessions.getSession()).set('cart', ['pear']));
    scope.endAction();
    const rendered = await scope.run(async () => {
      const session = await sessions.getSession();
      return { cart: await session.get('cart'), readOnly: session.readOnly };
    });
    expect(rendered).toEqual({ cart: ['pear'], readOnly: true });
  });

  it('turns Next refusing a cookie after the action ended into ReadOnlySessionError', async () => {
    const { sessions } = setup();
    const scope = new NextRequestScope('server-action');
    const session = await scope.run(() => sessions.getSession());
    scope.endAction();
    const error = await scope.run(() => session.set('cart', ['late'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadOnlySessionError);
    expect((error as Error).message).toContain('no longer allows setting cookies');
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(scope.setCookies).toEqual([]);
  });
});

describe('getSession within one request', () => {
  it('returns the same handle to every call and reads the store once', async () => {
    const { store, calls } = countingStore();
    const s = setup({ store });
    await withCart(s, ['apple']);
    calls.length = 0;
    const [first, second, cart, userId] = await s.browser.request('server-component', async () => {
      const a = await s.sessions.getSession();
      const b = await s.sessions.getSession();
      return [a, b, await a.get('cart'), await b.get('userId')] as const;
    });
    expect(first).toBe(second);
    expect(cart).toEqual(['apple']);
    expect(userId).toBeUndefined();
    expect(calls).toEqual(['getAll']);
  });

  it('opens a new handle for each request', async () => {
    const s = setup();
    const first = await new NextRequestScope('server-action').run(() => s.sessions.getSession());
    const second = await new NextRequestScope('server-action').run(() => s.sessions.getSession());
    expect(first).not.toBe(second);
  });
});

describe('createSessionsWith', () => {
  it('drives the helpers with any of Next cookie stores', async () => {
    const store = memoryStore();
    let lines: string[] = [];
    const writable = MutableRequestCookiesAdapter.wrap(new RequestCookies(new Headers()), (l) => {
      lines = l;
    });
    const writer = createSessionsWith<Shop, Flash>(
      { secret, store, cookie: { secure: false } },
      async () => writable,
    );
    await (await writer.getSession()).set('cart', ['fig']);
    const [cookie] = parseSetCookies(lines);

    const sealed = RequestCookiesAdapter.seal(
      new RequestCookies(new Headers({ cookie: `ruts=${cookie?.value}` })),
    );
    const reader = createSessionsWith<Shop, Flash>(
      { secret, store, cookie: { secure: false } },
      async () => sealed,
    );
    const session = await reader.getSession();
    expect(session.readOnly).toBe(true);
    expect(await session.get('cart')).toEqual(['fig']);
  });
});

describe('route', () => {
  it('gives the handler the request, the session and the context', async () => {
    const { sessions } = setup();
    const handler = sessions.route(
      async (request, session, context: { params: Promise<{ id: string }> }) => {
        await session.set('userId', (await context.params).id);
        return Response.json({ url: request.url, userId: await session.get('userId') });
      },
    );
    const scope = new NextRequestScope('route-handler');
    const response = await scope.run(() =>
      handler(new Request('https://example.com/users/7'), { params: Promise.resolve({ id: '7' }) }),
    );
    expect(await response.json()).toEqual({ url: 'https://example.com/users/7', userId: '7' });
  });

  it('marks a response private and uncacheable when the session set its cookie', async () => {
    const { sessions } = setup();
    const handler = sessions.route(async (_request, session) => {
      await session.set('cart', ['apple']);
      return new Response('ok', { headers: { 'Cache-Control': 'public, max-age=60' } });
    });
    const response = await new NextRequestScope('route-handler').run(() =>
      handler(new Request('https://example.com/cart'), undefined),
    );
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
    expect(await response.text()).toBe('ok');
  });

  it('marks a response whose headers are immutable by copying it', async () => {
    const { sessions } = setup();
    const handler = sessions.route(async (_request, session) => {
      await session.set('cart', ['apple']);
      return Response.redirect('https://example.com/cart', 303);
    });
    const response = await new NextRequestScope('route-handler').run(() =>
      handler(new Request('https://example.com/cart'), undefined),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe('https://example.com/cart');
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
  });

  it('leaves the response alone when the session did not touch its cookie', async () => {
    const s = setup();
    await withCart(s, ['apple']);
    const handler = s.sessions.route(async (_request, session) => {
      await session.set('cart', ['apple', 'pear']);
      return Response.json(await session.get('cart'), {
        headers: { 'Cache-Control': 'public, max-age=60' },
      });
    });
    const scope = new NextRequestScope('route-handler', s.browser.cookieHeader());
    const response = await scope.run(() => handler(routeRequest(s.browser), undefined));
    expect(response.headers.get('Cache-Control')).toBe('public, max-age=60');
    expect(await response.json()).toEqual(['apple', 'pear']);
  });

  it('reads the cookie from the request: a request that only reads never calls cookies()', async () => {
    const s = setup();
    await withCart(s, ['apple']);
    const scope = new NextRequestScope('route-handler', s.browser.cookieHeader());
    let cookieStores = 0;
    const reader = createSessionsWith<Shop, Flash>(
      { secret, store: s.store, cookie: { secure: false } },
      async () => {
        cookieStores++;
        return scope.requestStore.userspaceMutableCookies;
      },
      headers,
    );
    const handler = reader.route(async (_request, session) =>
      Response.json(await session.getAll()),
    );
    const response = await scope.run(() => handler(routeRequest(s.browser), undefined));
    expect(await response.json()).toEqual({ cart: ['apple'] });
    expect(cookieStores).toBe(0);
    expect(scope.setCookies).toEqual([]);
  });

  it('hands getSession() inside the handler the same handle, so the store is read once', async () => {
    const { store, calls } = countingStore();
    const s = setup({ store });
    await withCart(s, ['apple']);
    calls.length = 0;
    // Another copy of the session module, as Turbopack may load: it shares the request's handle.
    const copy = createSessions<Shop, Flash>({ secret, store, cookie: { secure: false } });
    let handles: unknown[] = [];
    const handler = s.sessions.route(async (_request, session) => {
      const helper = async () => (await s.sessions.getSession()).get('cart');
      const [cart, fromCopy] = await Promise.all([helper(), copy.getSession()]);
      handles = [session, await s.sessions.getSession(), fromCopy];
      return Response.json(cart);
    });
    const scope = new NextRequestScope('route-handler', s.browser.cookieHeader());
    const response = await scope.run(() => handler(routeRequest(s.browser), undefined));
    expect(await response.json()).toEqual(['apple']);
    expect(new Set(handles).size).toBe(1);
    expect(calls).toEqual(['getAll']);
  });

  it('sends one cookie, the last, for every write of the request, and marks the response private', async () => {
    const s = setup();
    await withCart(s, ['apple']);
    const before = s.browser.cookieHeader();
    const handler = s.sessions.route(async (_request, session) => {
      await session.regenerate();
      await session.set('userId', 'u1');
      await session.regenerate();
      return Response.json({ ok: true });
    });
    const scope = new NextRequestScope('route-handler', before);
    const response = await scope.run(() => handler(routeRequest(s.browser), undefined));
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
    expect(scope.responseCookies().map((cookie) => cookie.name)).toEqual(['ruts']);
    s.browser.receive(scope.setCookies);
    expect(s.browser.cookieHeader()).not.toBe(before);
    const data = await s.browser.request('server-component', async () =>
      (await s.sessions.getSession()).getAll(),
    );
    expect(data).toEqual({ cart: ['apple'], userId: 'u1' });
  });

  it('sends the cookie of a handler that throws after writing, as a redirect() does', async () => {
    const s = setup();
    const handler = s.sessions.route(async (_request, session) => {
      await session.set('userId', 'u1');
      redirect('/account');
    });
    const scope = new NextRequestScope('route-handler');
    const error = await scope
      .run(() => handler(routeRequest(s.browser), undefined))
      .catch((e: unknown) => e);
    expect(isRedirectError(error)).toBe(true);
    s.browser.receive(scope.setCookies);
    const userId = await s.browser.request('server-component', async () =>
      (await s.sessions.getSession()).get('userId'),
    );
    expect(userId).toBe('u1');
  });

  it('throws ReadOnlySessionError for a cookie change after the handler returned', async () => {
    const s = setup();
    let kept: Session<Shop, Flash> | undefined;
    const handler = s.sessions.route(async (_request, session) => {
      kept = session;
      return new Response('ok');
    });
    const scope = new NextRequestScope('route-handler');
    await scope.run(() => handler(routeRequest(s.browser), undefined));
    const error = await scope
      .run(() => (kept as Session<Shop, Flash>).set('cart', ['late']))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadOnlySessionError);
    expect((error as Error).message).toContain('already returned its response');
    expect(scope.setCookies).toEqual([]);
  });

  it('lets a route() inside another use the outer handle, the outer one sending the cookie', async () => {
    const s = setup();
    let innerSession: unknown;
    const inner = s.sessions.route(async (_request, session) => {
      innerSession = session;
      await session.set('userId', 'u1');
      return new Response('inner');
    });
    let outerSession: unknown;
    const outer = s.sessions.route(async (request, session) => {
      outerSession = session;
      return inner(request, undefined);
    });
    const scope = new NextRequestScope('route-handler');
    const response = await scope.run(() => outer(routeRequest(s.browser), undefined));
    expect(innerSession).toBe(outerSession);
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
    expect(scope.responseCookies().map((cookie) => cookie.name)).toEqual(['ruts']);
  });

  it('reads and writes through the cookie store when it cannot tell requests apart', async () => {
    const store = memoryStore();
    const sessions = createSessionsWith<Shop, Flash>(
      { secret, store, cookie: { secure: false } },
      cookies,
    );
    const handler = sessions.route(async (_request, session) => {
      await session.set('userId', 'u1');
      return Response.json({ same: session === (await sessions.getSession()) });
    });
    const scope = new NextRequestScope('route-handler');
    const response = await scope.run(() => handler(new Request('https://example.com/'), undefined));
    expect(await response.json()).toEqual({ same: true });
    expect(scope.responseCookies().map((cookie) => cookie.name)).toEqual(['ruts']);
  });
});
