import './support/next-runtime.ts';
import fc from 'fast-check';
import { RequestCookies } from 'next/dist/server/web/spec-extension/cookies.js';
import { NextRequest } from 'next/server.js';
import { describe, expect, it } from 'vitest';
import { createSessions } from '../../src/next/create-sessions.ts';
import { createEdgeGuard } from '../../src/next/edge-guard.ts';
import {
  cookieFromHeader,
  readRequestCookie,
  withoutCookie,
} from '../../src/next/request-cookie.ts';
import { memoryStore } from '../support/memory-store.ts';
import { NextRequestScope } from './support/next-request.ts';
import { liveSessionCookie, tamper } from './support/session-cookies.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const cookie = { secure: false };

/** What Next's own `cookies()` and `request.cookies` read for `name` from `header`. */
function nextReads(header: string, name: string): string | undefined {
  return new RequestCookies(new Headers({ cookie: header })).get(name)?.value;
}

describe('cookieFromHeader', () => {
  it('reads the named cookie only, decoded, and an empty value as no cookie', () => {
    const header = 'xruts=no; ruts=a%2Ab; other=1';
    expect(cookieFromHeader(header, 'ruts')).toBe('a*b');
    expect(cookieFromHeader(header, 'missing')).toBeUndefined();
    const request = (value: string) =>
      new Request('https://example.com/', { headers: { cookie: value } });
    expect(readRequestCookie(request(header), 'ruts')).toBe('a*b');
    expect(readRequestCookie(request('ruts='), 'ruts')).toBeUndefined();
  });

  it('takes the last of two cookies of one name, as Next does (the first, before the fix)', () => {
    expect(cookieFromHeader('ruts=first; ruts=second', 'ruts')).toBe('second');
    expect(nextReads('ruts=first; ruts=second', 'ruts')).toBe('second');
    // A value Next cannot decode is dropped, and the earlier one stands.
    expect(cookieFromHeader('ruts=first; ruts=%E0', 'ruts')).toBe('first');
    expect(nextReads('ruts=first; ruts=%E0', 'ruts')).toBe('first');
  });

  it("reads whatever header Next's RequestCookies reads, the same way", () => {
    const names = fc.constantFrom('ruts', 'a', 'Ruts', 'xruts', 'ruts ', ' ruts');
    const values = fc.oneof(
      fc.constantFrom('', 'v', '%', '%2A', '%E0%A4', 'a=b', 'x%20y', ' spaced ', 'true'),
      fc.stringMatching(/^[\x21-\x7e]{0,6}$/).filter((v) => !v.includes(';')),
    );
    const pair = fc.oneof(
      fc.tuple(names, values).map(([n, v]) => `${n}=${v}`),
      names,
    );
    const separator = fc.constantFrom(';', '; ', ';  ', '; ;', ' ; ');
    const header = fc
      .array(fc.tuple(pair, separator), { maxLength: 6 })
      .map((parts) => parts.map(([p, s]) => p + s).join(''));
    fc.assert(
      fc.property(header, names, (raw, name) => {
        // Headers trims the value as a request would carry it.
        const carried = new Headers({ cookie: raw }).get('cookie') ?? '';
        expect(cookieFromHeader(carried, name)).toBe(nextReads(carried, name));
        expect(cookieFromHeader(withoutCookie(carried, name), name)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the other cookies of a header whole when it removes one', () => {
    expect(withoutCookie('a=1; ruts=x; b=2=3; ruts=y', 'ruts')).toBe('a=1; b=2=3');
  });
});

/**
 * A browser may carry two session cookies of one name: say a dead one, planted by a sibling
 * subdomain, and its own live one. The guards and the page must agree on which one counts.
 */
describe('two cookies of one name, in either order', () => {
  function setup() {
    const sessions = createSessions({ secret, store: memoryStore(), cookie });
    return {
      sessions,
      proxyGuard: sessions.guard({ redirectTo: '/login' }),
      edgeGuard: createEdgeGuard({ secret, cookie, redirectTo: '/login' }),
    };
  }

  /** The user id the page reads with `getSession()` under that Cookie header. */
  async function pageSees(s: ReturnType<typeof setup>, header: string) {
    const scope = new NextRequestScope('server-component', header);
    return scope.run(async () => (await s.sessions.getSession()).get('userId'));
  }

  function request(header: string) {
    return new NextRequest('https://example.com/account', { headers: { cookie: header } });
  }

  /** Each guard, and a cookie it rejects: the proxy guard asks the store, the edge one the seal. */
  const guards = {
    proxy: {
      run: (s: ReturnType<typeof setup>) => s.proxyGuard,
      async dead(s: ReturnType<typeof setup>) {
        const value = await liveSessionCookie(s.sessions.manager, { userId: 'u2' });
        await s.sessions.manager.open(value).destroy();
        return value;
      },
    },
    edge: {
      run: (s: ReturnType<typeof setup>) => s.edgeGuard,
      dead: async (s: ReturnType<typeof setup>) =>
        tamper(await liveSessionCookie(s.sessions.manager, { userId: 'u2' })),
    },
  };

  for (const [name, guard] of Object.entries(guards)) {
    for (const liveLast of [true, false]) {
      const order = liveLast
        ? 'a dead cookie, then the live one'
        : 'the live cookie, then a dead one';
      it(`${name} guard and page agree with ${order}`, async () => {
        const s = setup();
        const live = await liveSessionCookie(s.sessions.manager);
        const dead = await guard.dead(s);
        const header = liveLast ? `ruts=${dead}; ruts=${live}` : `ruts=${live}; ruts=${dead}`;

        const response = await guard.run(s)(request(header));
        expect(await pageSees(s, header)).toBe(liveLast ? 'u1' : undefined);
        if (liveLast) {
          // Through, and the live cookie is not deleted by a removal cookie.
          expect(response.headers.get('x-middleware-next')).toBe('1');
          expect(response.headers.getSetCookie()).toEqual([]);
        } else {
          expect(response.status).toBe(307);
          expect(new URL(response.headers.get('Location') ?? '').pathname).toBe('/login');
        }
      });
    }
  }
});
