import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import { createEdgeGuard } from '../../src/next/edge-guard.ts';
import { memoryStore } from '../support/memory-store.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const HOUR = 3600;

afterEach(() => {
  vi.useRealTimers();
});

/** Starts a session holding a user and returns its cookie value. */
async function signIn(manager: ReturnType<typeof createSessionManager>): Promise<string> {
  let cookie: string | undefined;
  await manager
    .open(undefined, { onCookie: (c) => (cookie = c.value) })
    .regenerate({ set: { userId: 'u1' } });
  if (cookie === undefined) throw new Error('no cookie was set');
  return cookie;
}

describe('a cookie never ends before its session', () => {
  it('refuses a cookie.maxAge shorter than a session can live, saying what to do instead', () => {
    const config =
      (cookie: object, timeouts: object = {}) =>
      () =>
        createSessionManager({ secret, store: memoryStore(), cookie, ...timeouts });
    // The case found: an active user was signed out at creation + 60 s, and a new session minted.
    expect(config({ maxAge: 60 }, { idleTimeout: HOUR })).toThrow(ConfigError);
    expect(config({ maxAge: 60 }, { idleTimeout: HOUR })).toThrow(
      /maxAge of 60 s is shorter than a session can live \(as long as it is used.*absoluteTimeout: 60/,
    );
    expect(config({ maxAge: 30 * 24 * HOUR })).toThrow(/absoluteTimeout: 2592000/);
    expect(config({ maxAge: 6 * HOUR - 1 }, { absoluteTimeout: 6 * HOUR })).toThrow(
      /up to its absoluteTimeout of 21600 s/,
    );
    expect(() => createEdgeGuard({ secret, cookie: { maxAge: 60 } })).toThrow(ConfigError);

    // A cookie as long as the session, or longer, or the browser's own session, is fine.
    expect(config({})).not.toThrow();
    expect(config({ maxAge: 6 * HOUR }, { absoluteTimeout: 6 * HOUR })).not.toThrow();
    expect(config({ maxAge: 10 ** 9 })).not.toThrow();
    expect(config({ maxAge: 'session' }, { idleTimeout: HOUR })).not.toThrow();
  });

  it("opens an active session's cookie until the session's own end (simulated clock)", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const manager = createSessionManager({
      secret,
      store: memoryStore(),
      cookie: { secure: false },
      idleTimeout: HOUR,
      absoluteTimeout: 6 * HOUR,
    });
    const cookie = await signIn(manager);
    // A request every 50 minutes: the idle timeout never runs out, the cookie must not either.
    for (let minutes = 50; minutes < 6 * 60; minutes += 50) {
      vi.setSystemTime(start + minutes * 60_000);
      expect(await manager.open(cookie).get('userId'), `after ${minutes} minutes`).toBe('u1');
    }
    vi.setSystemTime(start + 6 * HOUR * 1000 + 1000);
    expect(await manager.open(cookie).get('userId')).toBeUndefined();
  });
});
