import './next-runtime.ts';
import { workAsyncStorage } from 'next/dist/server/app-render/work-async-storage.external.js';
import {
  type RequestStore,
  workUnitAsyncStorage,
} from 'next/dist/server/app-render/work-unit-async-storage.external.js';
import {
  createRequestStore,
  synchronizeMutableCookies,
} from 'next/dist/server/async-storage/request-store.js';
import type { ImplicitTags } from 'next/dist/server/lib/implicit-tags.js';
import { ResponseCookies } from 'next/dist/server/web/spec-extension/cookies.js';

/** Where App Router code runs, as far as cookies are concerned. */
export type NextContext = 'server-component' | 'server-action' | 'route-handler';

/** A parsed Set-Cookie line. */
export type SetCookie = NonNullable<ReturnType<ResponseCookies['get']>>;

/** Parses Set-Cookie lines with Next's own parser. */
export function parseSetCookies(lines: readonly string[]): SetCookie[] {
  const headers = new Headers();
  for (const line of lines) headers.append('set-cookie', line);
  return new ResponseCookies(headers).getAll();
}

/**
 * One request as Next's App Router sets it up: its real request store, in the phase of the
 * context, so that Next's own `cookies()` answers exactly as it would in an app. Only the work
 * store is reduced to the fields `cookies()` reads.
 */
export class NextRequestScope {
  /** The Set-Cookie lines the response will carry, as Next reports them after each change. */
  setCookies: string[] = [];
  readonly requestStore: RequestStore;

  constructor(context: NextContext, cookieHeader?: string) {
    const headers = new Headers();
    if (cookieHeader) headers.set('cookie', cookieHeader);
    this.requestStore = createRequestStore({
      // Pages render in 'render'; Next switches to 'action' for a Server Action, and Route
      // Handlers run in 'action' throughout.
      phase: context === 'server-component' ? 'render' : 'action',
      headers,
      onUpdateCookies: (lines) => {
        this.setCookies = lines;
      },
      url: { pathname: '/', search: '' },
      rootParams: {},
      implicitTags: { tags: [] } as unknown as ImplicitTags,
      resumeDataCache: null,
      previewProps: undefined,
      isHmrRefresh: false,
      serverComponentsHmrCache: undefined,
      hmrRefreshHash: undefined,
      stagedFallbackParams: null,
    });
  }

  /** Runs `fn` inside this request, where `cookies()` works. */
  run<R>(fn: () => Promise<R>): Promise<R> {
    const workStore = { route: '/', forceStatic: false, dynamicShouldError: false };
    return workAsyncStorage.run(workStore as never, () =>
      workUnitAsyncStorage.run(this.requestStore, fn),
    );
  }

  /** What Next does when a Server Action returns: the rest of the request renders read-only. */
  endAction(): void {
    this.requestStore.phase = 'render';
    synchronizeMutableCookies(this.requestStore);
  }

  /** The response's cookies, parsed. */
  responseCookies(): SetCookie[] {
    return parseSetCookies(this.setCookies);
  }
}

/**
 * Plays the browser: keeps cookies across requests the way a browser would, replacing them on
 * Set-Cookie and dropping expired ones.
 */
export class NextBrowser {
  readonly cookies = new Map<string, string>();

  /** The Cookie header of the next request, or `undefined` when there are no cookies. */
  cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies]
      .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
      .join('; ');
  }

  receive(lines: readonly string[]): void {
    for (const cookie of parseSetCookies(lines)) {
      const expired =
        (cookie.maxAge !== undefined && cookie.maxAge <= 0) ||
        (cookie.expires !== undefined && new Date(cookie.expires).getTime() <= Date.now()) ||
        // Next's parser drops empty attributes, the value of a removal included.
        !cookie.value;
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  /** Runs `fn` as one request of `context` and keeps the cookies its response sets. */
  async request<R>(context: NextContext, fn: () => Promise<R>): Promise<R> {
    const scope = new NextRequestScope(context, this.cookieHeader());
    try {
      return await scope.run(fn);
    } finally {
      this.receive(scope.setCookies);
    }
  }
}
