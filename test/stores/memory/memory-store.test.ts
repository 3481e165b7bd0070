import { describe, expect, it, vi } from 'vitest';
import { ConfigError, StoreError } from '../../../src/core/errors.ts';
import { canSweep, type WriteOptions } from '../../../src/core/store-contract.ts';
import { MemoryStore } from '../../../src/stores/memory/memory-store.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';
import { memoryStore } from '../../support/memory-store.ts';
import { readField } from '../../support/read-field.ts';

describeStoreConformance('MemoryStore', async () => {
  const store = memoryStore();
  return { store, teardown: () => store.close() };
});

function clock(start = 1_700_000_000_000) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

const value = (text: string) => new TextEncoder().encode(text);
const write = (idleMs: number, extra: Partial<WriteOptions> = {}): WriteOptions => ({
  create: true,
  idleMs,
  ...extra,
});

describe('MemoryStore', () => {
  describe('options', () => {
    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10'])(
      'rejects maxSessions %s with a ConfigError that names the option',
      (maxSessions) => {
        const create = () => memoryStore({ maxSessions: maxSessions as number });
        expect(create).toThrow(ConfigError);
        expect(create).toThrow(/maxSessions must be a positive integer/);
      },
    );

    it('rejects a clock that is not a function', () => {
      expect(() => memoryStore({ now: 0 as unknown as () => number })).toThrow(ConfigError);
    });

    it('accepts a maxSessions of one', () => {
      expect(memoryStore({ maxSessions: 1 }).size).toBe(0);
    });
  });

  describe('TTL arithmetic on the store clock', () => {
    it('stamps a new session with the store clock', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      time.advance(1234);
      await store.set('k', { field: 'a', value: value('1') }, write(1_000));
      expect((await store.getAll('k'))?.createdAt).toBe(time.now());
    });

    it('expires a session exactly when its idle timeout runs out', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      expect(await store.set('k', { field: 'a', value: value('1') }, write(1_000))).toEqual({
        ttlMs: 1_000,
      });
      time.advance(999);
      expect((await store.getAll('k'))?.ttlMs).toBe(1);
      time.advance(1);
      expect(await store.getAll('k')).toBeUndefined();
    });

    it('keeps the later expiry when a write asks for a shorter one', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      await store.set('k', { field: 'a', value: value('1') }, write(1_000));
      time.advance(400);
      expect(await store.set('k', { field: 'b', value: value('2') }, write(100))).toEqual({
        ttlMs: 600,
      });
      expect(await store.set('k', { field: 'c', value: value('3') }, write(900))).toEqual({
        ttlMs: 900,
      });
    });

    it('expires a field exactly at its own ttl and extends the session to cover it', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      const result = await store.set(
        'k',
        { field: 'a', value: value('1'), ttlMs: 2_000 },
        write(500),
      );
      expect(result).toEqual({ ttlMs: 2_000 });
      time.advance(1_500);
      await store.set('k', { field: 'b', value: value('2') }, write(1_000));
      time.advance(499);
      expect((await store.getAll('k'))?.fields.get('a')?.ttlMs).toBe(1);
      time.advance(1);
      expect(await readField(store, 'k', 'a')).toBeUndefined();
      expect([...((await store.getAll('k'))?.fields.keys() ?? [])]).toEqual(['b']);
    });

    it('ends a session with the field that extended it', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      await store.set('k', { field: 'a', value: value('1'), ttlMs: 2_000 }, write(500));
      time.advance(1_999);
      expect((await store.getAll('k'))?.ttlMs).toBe(1);
      time.advance(1);
      expect(await store.getAll('k')).toBeUndefined();
    });

    it('caps every ttl at the deadline, persistent sessions included', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      await store.set('k', { field: 'a', value: value('1') }, write(1_000, { absoluteMs: 1_500 }));
      time.advance(800);
      const long = { field: 'long', value: value('2'), ttlMs: 5_000 };
      expect(await store.set('k', long, write(1_000))).toEqual({ ttlMs: 700 });
      const forever = { field: 'forever', value: value('3'), ttlMs: 'persistent' as const };
      expect(await store.set('k', forever, write(1_000))).toEqual({ ttlMs: 700 });
      const session = await store.getAll('k');
      expect(session?.ttlMs).toBe(700);
      expect(session?.fields.get('long')?.ttlMs).toBe(700);
      expect(session?.fields.get('forever')?.ttlMs).toBeNull();
      time.advance(700);
      expect(await store.getAll('k')).toBeUndefined();
    });

    it("reports a field's ttl no longer than a session that expire 'set' shortened", async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      await store.set('k', { field: 'a', value: value('1'), ttlMs: 5_000 }, write(1_000));
      expect(await store.expire('k', 1_000, 'set')).toEqual({ ttlMs: 1_000 });
      expect((await store.getAll('k'))?.fields.get('a')?.ttlMs).toBe(1_000);
      time.advance(1_000);
      expect(await readField(store, 'k', 'a')).toBeUndefined();
    });

    it("lowers the deadline with expire 'set' and reports it as maxTtlMs", async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      await store.set('k', { field: 'a', value: value('1') }, write(2_000, { absoluteMs: 9_000 }));
      expect((await store.getAll('k'))?.maxTtlMs).toBe(9_000);
      time.advance(1_000);
      expect(await store.expire('k', 3_000, 'set')).toEqual({ ttlMs: 3_000 });
      time.advance(500);
      expect(await store.set('k', { field: 'b', value: value('2') }, write(10_000))).toEqual({
        ttlMs: 2_500,
      });
      expect(await store.expire('k', 'persistent', 'set')).toEqual({ ttlMs: 2_500 });
      expect(await store.expire('k', 6_000, 'set')).toEqual({ ttlMs: 2_500 });
      const session = await store.getAll('k');
      expect([session?.ttlMs, session?.maxTtlMs]).toEqual([2_500, 2_500]);
      time.advance(2_500);
      expect(await store.getAll('k')).toBeUndefined();
    });

    it('drops a field written with a ttl of zero or less', async () => {
      const store = memoryStore({ now: clock().now });
      await store.set('k', { field: 'a', value: value('1') }, write(1_000));
      await store.set('k', { field: 'a', value: value('2'), ttlMs: 0 }, write(1_000));
      expect(await readField(store, 'k', 'a')).toBeUndefined();
    });
  });

  describe('least-recently-used eviction', () => {
    it('evicts the session least recently read or written when full', async () => {
      const store = memoryStore({ maxSessions: 3, now: clock().now });
      for (const key of ['a', 'b', 'c']) {
        await store.set(key, { field: 'f', value: value(key) }, write(10_000));
      }
      await readField(store, 'a', 'f');
      await store.set('d', { field: 'f', value: value('d') }, write(10_000));
      expect(await store.getAll('b')).toBeUndefined();
      await store.set('c', { field: 'g', value: value('c') }, write(10_000));
      await store.getAll('d');
      await store.set('e', { field: 'f', value: value('e') }, write(10_000));
      expect(await store.getAll('a')).toBeUndefined();
      for (const key of ['c', 'd', 'e'])
        expect(await readField(store, key, 'f')).toEqual(value(key));
      expect(store.size).toBe(3);
    });

    it('counts a rename as use of the renamed session', async () => {
      const store = memoryStore({ maxSessions: 2, now: clock().now });
      await store.set('a', { field: 'f', value: value('a') }, write(10_000));
      await store.set('b', { field: 'f', value: value('b') }, write(10_000));
      await store.rename('a', 'renamed', { idleMs: 10_000 });
      await store.set('c', { field: 'f', value: value('c') }, write(10_000));
      expect(await store.getAll('b')).toBeUndefined();
      expect(await readField(store, 'renamed', 'f')).toEqual(value('a'));
    });

    it('purges expired sessions before it evicts a live one', async () => {
      const time = clock();
      const store = memoryStore({ maxSessions: 2, now: time.now });
      await store.set('stale', { field: 'f', value: value('1') }, write(100));
      await store.set('live', { field: 'f', value: value('2') }, write(10_000));
      await readField(store, 'stale', 'f');
      time.advance(200);
      await store.set('new', { field: 'f', value: value('3') }, write(10_000));
      expect(await readField(store, 'live', 'f')).toEqual(value('2'));
      expect(store.size).toBe(2);
    });

    it('evicts nothing when writing to an existing session or renaming at capacity', async () => {
      const store = memoryStore({ maxSessions: 2, now: clock().now });
      await store.set('a', { field: 'f', value: value('1') }, write(10_000));
      await store.set('b', { field: 'f', value: value('2') }, write(10_000));
      await store.set('a', { field: 'g', value: value('3') }, write(10_000));
      expect(await store.rename('b', 'c', { idleMs: 10_000 })).toEqual({
        status: 'renamed',
        ttlMs: 10_000,
      });
      expect(await readField(store, 'a', 'g')).toEqual(value('3'));
      expect(await readField(store, 'c', 'f')).toEqual(value('2'));
      expect(store.size).toBe(2);
    });
  });

  describe('owner index', () => {
    it('drops evicted, purged, swept and expired sessions from their owner', async () => {
      const time = clock();
      const store = memoryStore({ maxSessions: 3, now: time.now });
      const owned = (idleMs: number) => write(idleMs, { owner: 'user' });
      await store.set('evicted', { field: 'f', value: value('1') }, owned(10_000));
      await store.set('expiring', { field: 'f', value: value('2') }, owned(100));
      await store.set('kept', { field: 'f', value: value('3') }, owned(10_000));
      await store.set('new', { field: 'f', value: value('4') }, owned(10_000));
      const keys = async () => (await store.listOwned('user', [])).map((s) => s.key).sort();
      expect(await keys()).toEqual(['expiring', 'kept', 'new']);
      time.advance(200);
      expect(await keys()).toEqual(['kept', 'new']);
      expect(store.size).toBe(2);
      await store.expire('kept', 100, 'set');
      time.advance(200);
      expect(await store.sweep()).toBe(1);
      expect(await keys()).toEqual(['new']);
      await store.delete('new');
      expect(await keys()).toEqual([]);
      expect(await store.deleteOwned('user')).toEqual([]);
    });

    it('reports the last write or extension as lastActiveAt, on the store clock', async () => {
      const time = clock(5_000);
      const store = memoryStore({ now: time.now });
      await store.setMany('a', [], write(10_000, { owner: 'user' }));
      time.advance(1_000);
      await store.getAll('a');
      const active = async () => (await store.listOwned('user', []))[0]?.lastActiveAt;
      expect(await active()).toBe(5_000);
      await store.expire('a', 10_000, 'extend');
      expect(await active()).toBe(6_000);
      time.advance(1_000);
      await store.set('a', { field: 'f', value: value('1') }, write(10_000));
      expect(await active()).toBe(7_000);
    });
  });

  describe('purging expired sessions', () => {
    it('purges expired sessions during later calls, without a sweep', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      for (let i = 0; i < 40; i++) {
        await store.set(`stale-${i}`, { field: 'f', value: value('1') }, write(100));
      }
      await store.set('live', { field: 'f', value: value('2') }, write(10_000));
      time.advance(100);
      await readField(store, 'live', 'f');
      expect(store.size).toBeLessThan(41);
      expect(store.size).toBeGreaterThan(1);
      for (let i = 0; i < 40; i++) await readField(store, 'live', 'f');
      expect(store.size).toBe(1);
    });

    it('purges sessions whose expiry moved, whether extended, shortened or renamed', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
      for (const [i, key] of keys.entries()) {
        await store.set(key, { field: 'f', value: value(key) }, write(100 + (i % 50) * 20));
        if (i % 3 === 0) await store.expire(key, 50 + (i % 7) * 100, 'set');
        if (i % 5 === 0) await store.expire(key, 400 + (i % 11) * 50, 'extend');
        if (i % 4 === 0) await store.set(key, { field: 'g', value: value(key) }, write(900));
        if (i % 9 === 0) await store.rename(key, `${key}-renamed`, { idleMs: 300 });
        if (i % 13 === 0) await store.delete(key);
        if (i % 17 === 0) await store.expire(key, 'persistent', 'set');
      }
      time.advance(700);
      for (let i = 0; i < 300; i++) await readField(store, 'none', 'f');
      const held = store.size;
      let live = 0;
      for (const key of keys.flatMap((key) => [key, `${key}-renamed`])) {
        if ((await store.getAll(key)) !== undefined) live++;
      }
      expect(held).toBe(live);
      expect(live).toBeGreaterThan(0);
      expect(live).toBeLessThan(300);
      // Sessions still live above were indexed by an earlier expiry; they must come due again.
      time.advance(10_000);
      for (let i = 0; i < 300; i++) await readField(store, 'none', 'f');
      // Persistent and never given an end by 'set' (which also covers the renamed ones).
      const persistent = keys.filter((_, i) => i % 17 === 0 && i % 3 !== 0 && i % 13 !== 0);
      expect(store.size).toBe(persistent.length);
    });

    it('treats a session that expired but is not purged yet as gone', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      for (let i = 0; i < 40; i++) {
        await store.set(`k${i}`, { field: 'f', value: value('1') }, write(100 + i));
      }
      time.advance(200);
      expect(await store.delete('k39')).toBe(false);
      // Most of them are still held, so the calls below meet them unpurged too.
      expect(store.size).toBeGreaterThan(20);
      expect(await store.rename('k38', 'x', { idleMs: 1_000 })).toEqual({ status: 'missing' });
      expect(await store.expire('k37', 1_000, 'extend')).toBeNull();
      expect(
        await store.set('k36', { field: 'g', value: value('2') }, write(1_000, { create: false })),
      ).toBeNull();
      expect(await store.getAll('x')).toBeUndefined();
    });

    it('sweeps every expired session and counts them', async () => {
      const time = clock();
      const store = memoryStore({ now: time.now });
      expect(canSweep(store)).toBe(true);
      for (const key of ['a', 'b', 'c']) {
        await store.set(key, { field: 'f', value: value('1') }, write(100));
      }
      await store.set('d', { field: 'f', value: value('1') }, write(10_000));
      await store.set('e', { field: 'f', value: value('1'), ttlMs: 'persistent' }, write(100));
      time.advance(100);
      expect(await store.sweep()).toBe(3);
      expect(store.size).toBe(2);
      expect(await store.sweep()).toBe(0);
    });
  });

  describe('data handling', () => {
    it('treats session keys such as __proto__ and constructor as plain data', async () => {
      const store = memoryStore({ now: clock().now });
      await store.set('__proto__', { field: 'f', value: value('1') }, write(10_000));
      await store.set('constructor', { field: '__proto__', value: value('2') }, write(10_000));
      expect(await readField(store, '__proto__', 'f')).toEqual(value('1'));
      expect(await readField(store, 'constructor', '__proto__')).toEqual(value('2'));
      expect(await store.getAll('toString')).toBeUndefined();
      expect(store.size).toBe(2);
      expect(Object.keys(Object.prototype)).toEqual([]);
    });

    it('copies a Buffer view on write, so later changes to the underlying memory are ignored', async () => {
      const store = memoryStore({ now: clock().now });
      const backing = Buffer.from('xxoriginalxx');
      await store.set('k', { field: 'f', value: backing.subarray(2, 10) }, write(10_000));
      backing.fill(0);
      expect(await readField(store, 'k', 'f')).toEqual(value('original'));
    });

    it('drops every session on close and resolves', async () => {
      const store = memoryStore({ now: clock().now });
      await store.set('k', { field: 'f', value: value('1') }, write(10_000));
      await expect(store.close()).resolves.toBeUndefined();
      expect(store.size).toBe(0);
    });

    it('rejects calls after close with a StoreError that says to create a new store', async () => {
      const store = memoryStore();
      await store.close();
      await expect(store.getAll('k')).rejects.toThrow(StoreError);
      await expect(store.set('k', { field: 'f', value: value('1') }, write(1_000))).rejects.toThrow(
        /has been closed; create a new one/,
      );
    });
  });

  describe('one set of sessions per name in a process', () => {
    const names = { next: 0 };
    const uniqueName = () => `sharing-${++names.next}`;

    it('gives every store of one name the same sessions, the default name included', async () => {
      const first = new MemoryStore();
      const second = new MemoryStore();
      try {
        expect(first.name).toBe('default');
        await first.set('k', { field: 'cart', value: value('boots') }, write(10_000));
        expect(await readField(second, 'k', 'cart')).toEqual(value('boots'));
        expect(second.size).toBe(1);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });

    it('shares the sessions with a copy of the module evaluated again, as Turbopack does', async () => {
      const name = uniqueName();
      vi.resetModules();
      const copy = await import('../../../src/stores/memory/memory-store.ts');
      expect(copy.MemoryStore).not.toBe(MemoryStore);
      const pages = new MemoryStore({ name });
      const routeHandlers = new copy.MemoryStore({ name });
      try {
        await routeHandlers.set('k', { field: 'cart', value: value('boots') }, write(10_000));
        expect(await readField(pages, 'k', 'cart')).toEqual(value('boots'));
        expect(await pages.delete('k')).toBe(true);
        expect(await routeHandlers.getAll('k')).toBeUndefined();
      } finally {
        await Promise.all([pages.close(), routeHandlers.close()]);
      }
    });

    it('keeps stores of other names apart', async () => {
      const hot = new MemoryStore({ name: uniqueName() });
      const cold = new MemoryStore({ name: uniqueName() });
      await hot.set('k', { field: 'f', value: value('1') }, write(10_000));
      expect(await cold.getAll('k')).toBeUndefined();
      await Promise.all([hot.close(), cold.close()]);
    });

    it('drops the sessions only when the last store of the name closes', async () => {
      const name = uniqueName();
      const first = new MemoryStore({ name });
      const second = new MemoryStore({ name });
      await first.set('k', { field: 'f', value: value('1') }, write(10_000));
      await first.close();
      await first.close();
      expect(await readField(second, 'k', 'f')).toEqual(value('1'));
      await second.close();
      const later = new MemoryStore({ name });
      expect(await later.getAll('k')).toBeUndefined();
      await later.close();
    });

    it('refuses a store whose maxSessions or clock differs from its name, and keeps the sessions', async () => {
      const name = uniqueName();
      const now = () => 1_700_000_000_000;
      const store = new MemoryStore({ name, maxSessions: 5, now });
      await store.set('k', { field: 'f', value: value('1') }, write(10_000));
      expect(() => new MemoryStore({ name, maxSessions: 6, now })).toThrow(ConfigError);
      expect(() => new MemoryStore({ name, maxSessions: 6, now })).toThrow(
        /named "sharing-\d+" already exists in this process with maxSessions 5, where this one asks for 6.*name of its own/,
      );
      expect(() => new MemoryStore({ name, maxSessions: 5 })).toThrow(/another clock/);
      expect(await readField(store, 'k', 'f')).toEqual(value('1'));
      await store.close();
      const renewed = new MemoryStore({ name, maxSessions: 6 });
      expect(renewed.size).toBe(0);
      await renewed.close();
    });

    it.each<[unknown, string]>([
      ['', 'an empty name'],
      ['x'.repeat(257), 'a name of 257 characters'],
      [7, 'a number'],
    ])('rejects %s (%s) as a name with a ConfigError', (name) => {
      const create = () => new MemoryStore({ name: name as string });
      expect(create).toThrow(ConfigError);
      expect(create).toThrow(/name must be a string of 1 to 256/);
    });
  });

  describe('as a session cache', () => {
    it('refuses fills prepared before an eviction dropped their key, until its tokens would have expired', async () => {
      const store = memoryStore({ maxSessions: 1 });
      const session = { fields: new Map(), ttlMs: null, maxTtlMs: null, createdAt: 1 };
      const step = (expected: string, next: string) => ({ expected, next, leaseMs: 60_000 });
      // A read of 'a' sees nothing; a change installs a token; an eviction then drops 'a'.
      const seen = (await store.readCopy('fam00001.a')).token;
      await store.updateCopy('fam00001.a', {}, step('', 'after-change'));
      await store.fillCopy('fam00001.b', session, step('', 'b1'));
      // The fill prepared before the change must not act, though the table forgot 'a'.
      expect(await store.fillCopy('fam00001.a', session, step(seen, 'stale'))).toBe(false);
      const now = await store.readCopy('fam00001.a');
      expect(now.token).toMatch(/^evicted:/);
      expect(await store.fillCopy('fam00001.a', session, step(now.token, 'fresh'))).toBe(true);
      await store.close();
    });
  });
});
