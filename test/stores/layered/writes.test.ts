import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/core/errors.ts';
import { hotForm, layered, names, text, utf8, write } from './support/tier-double.ts';

const key = 'fam00000.session';

describe('LayeredStore writes to cold', () => {
  describe("'through', the default", () => {
    it('writes cold first, then updates a warm hot entry so reads stay in hot', async () => {
      const { store, hot, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.getAll(key);
      const order: string[] = [];
      hot.failWhen((method) => {
        order.push(`hot.${method}`);
        return false;
      });
      cold.failWhen((method) => {
        order.push(`cold.${method}`);
        return false;
      });
      await store.set(key, { field: 'a', value: utf8('2') }, write({ write: 'through' }));
      expect(order).toEqual(['cold.set', 'hot.setMany']);
      cold.reset();
      expect(text(await store.get(key, 'a'))).toBe('2');
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('2');
      expect(cold.total()).toBe(0);
    });

    it('resolves what cold resolved, including null for a session it does not have', async () => {
      const { store } = layered();
      const created = await store.set(key, { field: 'a', value: utf8('1') }, write());
      expect(created?.ttlMs).toBeGreaterThan(0);
      const entry = { field: 'a', value: utf8('1') };
      expect(await store.set('fam00000.other', entry, write({ create: false }))).toBeNull();
      expect(await store.setMany('fam00000.other', [entry], write({ create: false }))).toBeNull();
    });

    it('does not warm a session that hot does not hold', async () => {
      const { store, hot } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.setMany(key, [{ field: 'b', value: utf8('2') }], write());
      expect(await hot.inner.getAll(key)).toBeUndefined();
    });

    it('deletes the hot entry when the hot write fails, so hot cannot serve the old value', async () => {
      const { store, hot, events } = layered();
      await store.set(key, { field: 'a', value: utf8('old') }, write());
      await store.getAll(key);
      hot.failWhen((method) => method === 'setMany');
      await store.set(key, { field: 'a', value: utf8('new') }, write());
      expect(await hot.inner.getAll(key)).toBeUndefined();
      expect(events).toMatchObject([{ type: 'hot-error', operation: 'set', key }]);
      hot.failWhen(() => false);
      expect(text(await store.get(key, 'a'))).toBe('new');
    });

    it('reports hot-stale when even the delete fails, and stops reading that entry', async () => {
      const { store, hot, cold, events } = layered();
      await store.set(key, { field: 'a', value: utf8('old') }, write());
      await store.getAll(key);
      hot.failWhen((method) => method === 'setMany' || method === 'delete');
      await store.set(key, { field: 'a', value: utf8('new') }, write());
      expect(events.map((event) => event.type)).toEqual(['hot-error', 'hot-stale']);
      // Hot still holds the old value, but this process no longer reads it.
      expect(text((await hot.inner.getAll(key))?.fields.get('a')?.value)).toBe('old');
      expect(text(await store.get(key, 'a'))).toBe('new');
      hot.failWhen(() => false);
      cold.reset();
      // The next call deletes the stale entry before using hot again, then warms it afresh.
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('new');
      expect(cold.calls.getAll).toBe(1);
      expect(text(await store.get(key, 'a'))).toBe('new');
    });

    it('fails with a StoreError naming the cold tier when cold is down, and writes nothing', async () => {
      const { store, hot, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('old') }, write());
      await store.getAll(key);
      cold.kill();
      const failed = store.set(key, { field: 'a', value: utf8('new') }, write());
      await expect(failed).rejects.toThrow(StoreError);
      await expect(failed).rejects.toThrow(/set on the cold tier: connect ECONNREFUSED/);
      await expect(failed).rejects.toMatchObject({ cause: { message: /ECONNREFUSED/ } });
      await expect(store.setMany(key, [], write())).rejects.toThrow(/setMany on the cold tier/);
      await expect(
        store.setIfAbsent(key, { field: 'b', value: utf8('1') }, write()),
      ).rejects.toThrow(/setIfAbsent on the cold tier/);
      expect(text(await store.get(key, 'a'))).toBe('old');
      cold.revive();
      expect(text(await cold.inner.get(key, 'a'))).toBe('old');
      expect(names(await hot.inner.getAll(key))).not.toContain('b');
    });
  });

  describe("'cold'", () => {
    it('writes the field and its cold-only marker to cold in one step, and only a pointer to hot', async () => {
      const { store, hot, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.getAll(key);
      cold.reset();
      await store.set(key, { field: 'big', value: utf8('cold data') }, write({ write: 'cold' }));
      expect(cold.calls).toEqual({ setMany: 1 });
      expect(names(await cold.inner.getAll(key))).toEqual(['a', 'big', '~cold:big']);
      expect(await hotForm(hot, key, 'big')).toBe('pointer');
    });

    it('never warms a cold-only field into hot, and reads it from cold', async () => {
      const { store, hot, cold } = layered();
      await store.setMany(
        key,
        [
          { field: 'big', value: utf8('cold data') },
          { field: 'other', value: utf8('also cold') },
        ],
        write({ write: 'cold' }),
      );
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      const session = await store.getAll(key);
      expect(names(session)).toEqual(['a', 'big', 'other']);
      for (const field of ['big', 'other']) expect(await hotForm(hot, key, field)).toBe('pointer');
      cold.reset();
      expect(text(await store.get(key, 'big'))).toBe('cold data');
      expect(cold.calls).toEqual({ get: 1 });
      cold.reset();
      expect(text(await store.get(key, 'a'))).toBe('1');
      expect(cold.total()).toBe(0);
      expect(text((await store.getAll(key))?.fields.get('big')?.value)).toBe('cold data');
      expect(cold.calls).toEqual({ getAll: 1 });
    });

    it('reports cold-only fields with their own TTL from cold', async () => {
      const { store } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.set(
        key,
        { field: 'big', value: utf8('2'), ttlMs: 50_000 },
        write({ write: 'cold' }),
      );
      await store.getAll(key);
      const ttl = (await store.getAll(key))?.fields.get('big')?.ttlMs;
      expect(ttl).toBeLessThanOrEqual(50_000);
      expect(ttl).toBeGreaterThan(49_000);
    });

    it('replaces a copy that hot held when a field is rewritten cold-only', async () => {
      const { store, hot } = layered();
      await store.set(key, { field: 'a', value: utf8('cached') }, write());
      await store.getAll(key);
      await store.set(key, { field: 'a', value: utf8('uncached') }, write({ write: 'cold' }));
      expect(await hotForm(hot, key, 'a')).toBe('pointer');
      expect(text(await store.get(key, 'a'))).toBe('uncached');
    });

    it('leaves a field uncached while its marker lives, even after a later write through', async () => {
      const { store, hot } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write({ write: 'cold' }));
      await store.set(key, { field: 'a', value: utf8('2') }, write());
      await hot.inner.delete(key);
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('2');
      expect(await hotForm(hot, key, 'a')).toBe('pointer');
    });
  });

  describe('setIfAbsent', () => {
    it("is decided by cold for 'through', and copies only a written field to hot", async () => {
      const { store, hot } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.getAll(key);
      const taken = await store.setIfAbsent(key, { field: 'a', value: utf8('2') }, write());
      expect(taken?.written).toBe(false);
      const fresh = await store.setIfAbsent(key, { field: 'b', value: utf8('3') }, write());
      expect(fresh?.written).toBe(true);
      expect(names(await hot.inner.getAll(key))).toContain('b');
      expect(text(await store.get(key, 'a'))).toBe('1');
      expect(text(await store.get(key, 'b'))).toBe('3');
    });

    it("is decided by cold for 'cold', and marks a written field cold-only", async () => {
      const { store, cold } = layered();
      const options = write({ write: 'cold' as const });
      expect(
        (await store.setIfAbsent(key, { field: 'a', value: utf8('1') }, options))?.written,
      ).toBe(true);
      expect(
        (await store.setIfAbsent(key, { field: 'a', value: utf8('2') }, options))?.written,
      ).toBe(false);
      expect(names(await cold.inner.getAll(key))).toEqual(['a', '~cold:a']);
      expect(text(await store.get(key, 'a'))).toBe('1');
    });

    it("does not extend a session when a 'cold' insert writes nothing", async () => {
      const { store } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write({ idleMs: 5_000 }));
      const result = await store.setIfAbsent(
        key,
        { field: 'a', value: utf8('2'), ttlMs: 'persistent' },
        write({ write: 'cold' }),
      );
      expect(result?.written).toBe(false);
      expect(result?.ttlMs).toBeLessThanOrEqual(5_000);
    });

    it('resolves an insert whose cold-only marker failed, and reports it', async () => {
      const { store, cold, events } = layered();
      cold.failWhen((method, args) => method === 'set' && String(args[0]) === key);
      const result = await store.setIfAbsent(
        key,
        { field: 'a', value: utf8('1') },
        write({ write: 'cold' }),
      );
      expect(result?.written).toBe(true);
      expect(events).toMatchObject([{ type: 'cold-error', operation: 'setIfAbsent', key }]);
      cold.failWhen(() => false);
      expect(text(await store.get(key, 'a'))).toBe('1');
    });
  });
});
