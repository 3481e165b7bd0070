import { afterEach, describe, expect, it, vi } from 'vitest';
import { CookieSealer } from '../../src/core/cookie-seal.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import { memoryStore } from '../support/memory-store.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cookies opened in one turn of the event loop', () => {
  it('are verified together, once the I/O ready in that turn has been handled', async () => {
    const manager = createSessionManager({ secret, store: memoryStore(), sealCacheSize: 0 });
    const cookies: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const session = manager.open(undefined, { onCookie: (cookie) => cookies.push(cookie.value) });
      await session.set('name', name);
    }
    const order: string[] = [];
    const original = CookieSealer.prototype.unseal;
    const unseal = vi.spyOn(CookieSealer.prototype, 'unseal').mockImplementation(function (
      this: CookieSealer,
      value,
    ) {
      order.push('unseal');
      return original.call(this, value);
    });
    setImmediate(() => order.push('ready I/O'));
    const sessions = cookies.map((cookie) => manager.open(cookie));
    const verified = manager.verify(cookies[0]);
    await Promise.resolve();
    expect(unseal).not.toHaveBeenCalled();
    const names = await Promise.all(sessions.map((session) => session.get('name')));
    expect(names).toEqual(['a', 'b', 'c']);
    expect(await verified).toBeDefined();
    expect(order).toEqual(['ready I/O', 'unseal', 'unseal', 'unseal', 'unseal']);
    expect(unseal).toHaveBeenCalledTimes(4);
  });
});
