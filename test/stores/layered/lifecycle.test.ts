import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/core/errors.ts';
import {
  clock,
  HOUR,
  hotForm,
  layered,
  MINUTE,
  names,
  text,
  utf8,
  write,
} from './support/tier-double.ts';

const key = 'fam00000.session';
const [from, to] = ['fam00000.from', 'fam00000.to'];

/** A layered store holding one warm session at `key` with a field written through. */
async function warmSession(options: Parameters<typeof layered>[0] = {}) {
  const tiers = layered(options);
  await tiers.store.set(key, { field: 'a', value: utf8('1') }, write());
  await tiers.store.getAll(key);
  return tiers;
}

describe('LayeredStore lifecycle', () => {
  describe('take', () => {
    it('takes a field from cold exactly once, and drops its copy from hot', async () => {
      const { store, hot } = await warmSession();
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.take(key, 'a')));
      expect(taken.filter((value) => value !== undefined).map(text)).toEqual(['1']);
      expect(names(await hot.inner.getAll(key))).not.toContain('a');
      expect(await store.get(key, 'a')).toBeUndefined();
      expect(await store.getAll(key)).toBeDefined();
    });

    it("takes a 'hot' field from hot exactly once, never asking cold for it", async () => {
      const { store, cold } = await warmSession();
      await store.set(key, { field: 'flash', value: utf8('once') }, write({ write: 'hot' }));
      cold.reset();
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.take(key, 'flash')));
      expect(taken.filter((value) => value !== undefined).map(text)).toEqual(['once']);
      expect(cold.total()).toBe(0);
    });

    it('answers a take of a field that the complete entry lacks without touching cold', async () => {
      const { store, cold } = await warmSession();
      cold.reset();
      expect(await store.take(key, 'flash')).toBeUndefined();
      expect(cold.total()).toBe(0);
    });

    it("takes nothing from a 'hot' field whose session cold no longer has", async () => {
      const [hotTime, coldTime] = [clock(), clock()];
      const { store } = layered({ hotNow: hotTime.now, coldNow: coldTime.now });
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.set(key, { field: 'flash', value: utf8('x') }, write({ write: 'hot' }));
      // Ends the cold session soon, while hot still holds the field (but no longer vouches).
      await store.expire(key, MINUTE, 'set');
      for (const time of [hotTime, coldTime]) time.advance(MINUTE);
      expect(await store.take(key, 'flash')).toBeUndefined();
      expect(await store.remove(key, 'flash')).toBe(false);
    });

    it('takes from cold when hot is down, and reports it', async () => {
      const { store, hot, events } = await warmSession();
      hot.kill();
      expect(text(await store.take(key, 'a'))).toBe('1');
      expect(await store.take(key, 'a')).toBeUndefined();
      expect(events.map((event) => event.type)).toContain('hot-error');
    });

    it('fails with a StoreError when cold is down, leaving the field in place', async () => {
      const { store, cold } = await warmSession();
      cold.kill();
      await expect(store.take(key, 'a')).rejects.toThrow(/take on the cold tier/);
      cold.revive();
      expect(text(await store.take(key, 'a'))).toBe('1');
    });
  });

  describe('remove', () => {
    it('removes a field from cold, then from hot, and reports whether it was there', async () => {
      const { store, hot, cold } = await warmSession();
      expect(await store.remove(key, 'a')).toBe(true);
      expect(await store.remove(key, 'a')).toBe(false);
      expect(await cold.inner.get(key, 'a')).toBeUndefined();
      expect(names(await hot.inner.getAll(key))).not.toContain('a');
    });

    it("removes a 'hot' field from hot alone", async () => {
      const { store, cold } = await warmSession();
      await store.set(key, { field: 'csrf', value: utf8('n') }, write({ write: 'hot' }));
      cold.reset();
      expect(await store.remove(key, 'csrf')).toBe(true);
      expect(await store.get(key, 'csrf')).toBeUndefined();
      expect(cold.total()).toBe(0);
    });

    it('deletes the hot entry when dropping the field from hot fails', async () => {
      const { store, hot, events } = await warmSession();
      hot.failWhen((method) => method === 'setMany');
      expect(await store.remove(key, 'a')).toBe(true);
      expect(events).toMatchObject([{ type: 'hot-error', operation: 'remove' }]);
      expect(await hot.inner.getAll(key)).toBeUndefined();
      hot.failWhen(() => false);
      expect(await store.get(key, 'a')).toBeUndefined();
    });
  });

  describe('delete', () => {
    it('deletes the session from both tiers and resolves what cold resolved', async () => {
      const { store, hot } = await warmSession();
      expect(await store.delete(key)).toBe(true);
      expect(await hot.inner.getAll(key)).toBeUndefined();
      expect(await store.getAll(key)).toBeUndefined();
      expect(await store.delete(key)).toBe(false);
    });

    it('invalidates hot at once when cold fails, and serves the session once cold shows it lives', async () => {
      const { store, hot, cold } = await warmSession();
      cold.kill();
      await expect(store.delete(key)).rejects.toThrow(StoreError);
      await expect(store.delete(key)).rejects.toThrow(/delete on the cold tier/);
      // The delete may have happened: the session is not served from hot while cold is down.
      expect(await hot.inner.getAll(key)).toBeUndefined();
      await expect(store.get(key, 'a')).rejects.toThrow(/on the cold tier/);
      cold.revive();
      // It had not: cold still has the session, and the next read warms it.
      expect(names(await store.getAll(key))).toEqual(['a']);
      expect(names(await hot.inner.getAll(key))).toContain('a');
    });

    it('reports hot-stale when hot keeps the deleted session, and stops serving it', async () => {
      const { store, hot, events } = await warmSession();
      hot.failWhen((method) => method === 'delete');
      expect(await store.delete(key)).toBe(true);
      expect(events).toMatchObject([{ type: 'hot-stale', operation: 'delete', key }]);
      expect(names(await hot.inner.getAll(key))).toContain('a');
      expect(await store.getAll(key)).toBeUndefined();
      expect(await store.get(key, 'a')).toBeUndefined();
      hot.failWhen(() => false);
      expect(await store.getAll(key)).toBeUndefined();
      expect(await hot.inner.getAll(key)).toBeUndefined();
    });
  });

  describe('rename', () => {
    it("moves the warm hot entry with the session, 'hot' fields included", async () => {
      const { store, cold } = layered();
      await store.set(from, { field: 'a', value: utf8('1') }, write());
      await store.set(from, { field: 'csrf', value: utf8('n') }, write({ write: 'hot' }));
      const set = [{ field: 'user', value: utf8('ada') }];
      const result = await store.rename(from, to, { idleMs: HOUR, set });
      expect(result.status).toBe('renamed');
      cold.reset();
      expect(names(await store.getAll(to))).toEqual(['a', 'csrf', 'user']);
      expect(text(await store.get(to, 'csrf'))).toBe('n');
      expect(cold.total()).toBe(0);
      expect(await store.getAll(from)).toBeUndefined();
    });

    it('takes missing and collision from cold, and then changes nothing in hot', async () => {
      const time = clock();
      const { store, hot } = layered({ hotNow: time.now, coldNow: time.now });
      await store.set(from, { field: 'a', value: utf8('1') }, write());
      await store.set(to, { field: 'b', value: utf8('2') }, write());
      await Promise.all([store.getAll(from), store.getAll(to)]);
      const before = await Promise.all([hot.inner.getAll(from), hot.inner.getAll(to)]);
      expect(await store.rename(from, to, { idleMs: HOUR })).toEqual({ status: 'collision' });
      expect(await store.rename('fam00000.none', to, { idleMs: HOUR })).toEqual({
        status: 'missing',
      });
      expect(await Promise.all([hot.inner.getAll(from), hot.inner.getAll(to)])).toEqual(before);
    });

    it('clears what hot held at the target, which cold did not have', async () => {
      const { store, hot } = layered();
      await store.set(from, { field: 'a', value: utf8('1') }, write());
      await store.getAll(from);
      await hot.inner.set(to, { field: 'leftover', value: utf8('x') }, write());
      expect((await store.rename(from, to, { idleMs: HOUR })).status).toBe('renamed');
      expect(names(await store.getAll(to))).toEqual(['a']);
    });

    it("writes set fields through the cold tier's atomic move, pointers for 'cold'", async () => {
      const { store, hot, cold } = layered();
      await store.set(from, { field: 'a', value: utf8('1') }, write());
      await store.getAll(from);
      const set = [{ field: 'secret', value: utf8('s') }];
      await store.rename(from, to, { idleMs: HOUR, set, write: 'cold' });
      expect(names(await cold.inner.getAll(to))).toEqual(['a', 'secret', '~cold:secret']);
      expect(await hotForm(hot, to, 'secret')).toBe('pointer');
      const hotSet = [{ field: 'nonce', value: utf8('n') }];
      await store.rename(to, from, { idleMs: HOUR, set: hotSet, write: 'hot' });
      expect(text(await cold.inner.get(from, 'nonce'))).toBe('n');
    });

    it('invalidates both keys in hot when hot fails to follow', async () => {
      const { store, hot, events } = layered();
      await store.set(from, { field: 'a', value: utf8('1') }, write());
      await store.getAll(from);
      hot.failWhen((method) => method === 'rename');
      expect((await store.rename(from, to, { idleMs: HOUR })).status).toBe('renamed');
      expect(events).toMatchObject([{ type: 'hot-error', operation: 'rename', key: from }]);
      expect(await hot.inner.getAll(from)).toBeUndefined();
      hot.failWhen(() => false);
      expect(await store.getAll(from)).toBeUndefined();
      expect(names(await store.getAll(to))).toEqual(['a']);
    });

    it('stops serving the old key when hot can neither follow nor be invalidated', async () => {
      const { store, hot, events } = layered();
      await store.set(from, { field: 'a', value: utf8('1') }, write());
      await store.getAll(from);
      hot.kill();
      expect((await store.rename(from, to, { idleMs: HOUR })).status).toBe('renamed');
      expect(events.filter((event) => event.type === 'hot-stale').map((e) => e.key)).toEqual([
        from,
        to,
      ]);
      hot.revive();
      expect(await store.get(from, 'a')).toBeUndefined();
      expect(await store.getAll(from)).toBeUndefined();
      expect(text(await store.get(to, 'a'))).toBe('1');
    });

    it('invalidates both keys in hot at once when cold fails, and changes nothing else', async () => {
      const { store, hot, cold } = layered();
      await store.set(from, { field: 'a', value: utf8('1') }, write());
      await store.getAll(from);
      cold.kill();
      await expect(store.rename(from, to, { idleMs: HOUR })).rejects.toThrow(
        /rename on the cold tier/,
      );
      // The old id may be dead already: it is not served from hot while cold is down.
      expect(await hot.inner.getAll(from)).toBeUndefined();
      await expect(store.get(from, 'a')).rejects.toThrow(/on the cold tier/);
      cold.revive();
      expect(text(await store.get(from, 'a'))).toBe('1');
      expect(await store.getAll(to)).toBeUndefined();
    });
  });

  describe('expire', () => {
    it("'extend' updates the TTL that hot reports, without a read from cold", async () => {
      const [hotTime, coldTime] = [clock(), clock()];
      const { store, cold } = await warmSession({ hotNow: hotTime.now, coldNow: coldTime.now });
      expect(await store.expire(key, 3 * 24 * HOUR, 'extend')).toEqual({ ttlMs: 3 * 24 * HOUR });
      for (const time of [hotTime, coldTime]) time.advance(MINUTE);
      cold.reset();
      expect((await store.getAll(key))?.ttlMs).toBe(3 * 24 * HOUR - MINUTE);
      expect(cold.total()).toBe(0);
    });

    it("'set' makes the next read warm afresh, so no copy outlives the new end", async () => {
      const [hotTime, coldTime] = [clock(), clock()];
      const { store, cold } = await warmSession({ hotNow: hotTime.now, coldNow: coldTime.now });
      expect(await store.expire(key, 10_000, 'set')).toEqual({ ttlMs: 10_000 });
      cold.reset();
      const session = await store.getAll(key);
      expect([session?.ttlMs, session?.maxTtlMs]).toEqual([10_000, 10_000]);
      expect(cold.calls.getAll).toBe(1);
      for (const time of [hotTime, coldTime]) time.advance(10_000);
      expect(await store.getAll(key)).toBeUndefined();
      expect(await store.get(key, 'a')).toBeUndefined();
    });

    it("'set' of zero deletes the hot entry with the session", async () => {
      const { store, hot } = await warmSession();
      expect(await store.expire(key, 0, 'set')).toEqual({ ttlMs: 0 });
      expect(await hot.inner.getAll(key)).toBeUndefined();
      expect(await store.getAll(key)).toBeUndefined();
    });

    it('deletes the hot entry when hot fails to follow, and reports what it cannot', async () => {
      const { store, hot, events } = await warmSession();
      hot.failWhen((method) => method === 'remove');
      await store.expire(key, 10_000, 'set');
      expect(await hot.inner.getAll(key)).toBeUndefined();
      hot.failWhen((method) => method === 'remove' || method === 'delete');
      await store.getAll(key);
      await store.expire(key, 5_000, 'set');
      expect(events.map((event) => event.type)).toEqual(['hot-error', 'hot-error', 'hot-stale']);
      hot.failWhen(() => false);
      const ttl = (await store.getAll(key))?.ttlMs;
      expect(ttl).toBeLessThanOrEqual(5_000);
    });

    it('leaves hot untouched, and changes nothing, when cold fails', async () => {
      const time = clock();
      const { store, hot, cold } = await warmSession({ hotNow: time.now, coldNow: time.now });
      const before = await hot.inner.getAll(key);
      cold.kill();
      await expect(store.expire(key, 5_000, 'set')).rejects.toThrow(/expire on the cold tier/);
      expect(await hot.inner.getAll(key)).toEqual(before);
    });
  });
});
