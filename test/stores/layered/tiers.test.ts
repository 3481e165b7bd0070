import { describe, expect, it } from 'vitest';
import { InvalidKeyError, StoreError } from '../../../src/core/errors.ts';
import type { SessionStore } from '../../../src/core/store-contract.ts';
import { LayeredStore } from '../../../src/stores/layered-store.ts';
import { memoryStore } from '../../support/memory-store.ts';
import { HOUR, layered, names, text, utf8, write } from './support/tier-double.ts';

const key = 'fam00000.session';

describe('LayeredStore tiers', () => {
  describe('a hot tier killed mid-test', () => {
    it('keeps every operation working from cold, and reports each failure', async () => {
      const { store, hot, events } = layered();
      await store.setMany(
        key,
        [
          { field: 'a', value: utf8('1') },
          { field: 'flash', value: utf8('f') },
        ],
        write(),
      );
      await store.getAll(key);
      hot.kill();
      expect(names(await store.getAll(key))).toEqual(['a', 'flash']);
      expect(text(await store.get(key, 'a'))).toBe('1');
      await store.set(key, { field: 'a', value: utf8('2') }, write());
      await store.setMany(key, [{ field: 'b', value: utf8('3') }], write({ write: 'cold' }));
      await store.set(key, { field: 'csrf', value: utf8('n') }, write({ write: 'hot' }));
      expect(
        (await store.setIfAbsent(key, { field: 'c', value: utf8('4') }, write()))?.written,
      ).toBe(true);
      expect(text(await store.take(key, 'flash'))).toBe('f');
      expect(await store.remove(key, 'c')).toBe(true);
      expect((await store.expire(key, HOUR, 'extend'))?.ttlMs).toBeGreaterThan(0);
      const renamed = 'fam00000.renamed';
      expect((await store.rename(key, renamed, { idleMs: HOUR })).status).toBe('renamed');
      const session = await store.getAll(renamed);
      expect(names(session)).toEqual(['a', 'b', 'csrf']);
      expect(text(session?.fields.get('a')?.value)).toBe('2');
      expect(await store.delete(renamed)).toBe(true);
      expect(await store.getAll(renamed)).toBeUndefined();
      expect(new Set(events.map((event) => event.type))).toEqual(
        new Set(['hot-error', 'hot-stale']),
      );
      expect(new Set(events.map((event) => event.operation))).toEqual(
        new Set([
          'getAll',
          'get',
          'set',
          'setMany',
          'setIfAbsent',
          'take',
          'remove',
          'expire',
          'rename',
          'delete',
        ]),
      );
    });

    it('serves nothing stale once hot is back, for sessions written during the outage', async () => {
      const { store, hot } = layered();
      await store.set(key, { field: 'a', value: utf8('before') }, write());
      await store.getAll(key);
      hot.kill();
      await store.set(key, { field: 'a', value: utf8('during') }, write());
      hot.revive();
      // Hot still holds the old copy; this process knows not to trust it.
      expect(text((await hot.inner.getAll(key))?.fields.get('a')?.value)).toBe('before');
      expect(text(await store.get(key, 'a'))).toBe('during');
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('during');
    });

    it('goes back to answering from hot once hot is back', async () => {
      const { store, hot, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      hot.kill();
      await store.getAll(key);
      hot.revive();
      await store.getAll(key);
      cold.reset();
      expect(names(await store.getAll(key))).toEqual(['a']);
      expect(cold.total()).toBe(0);
    });

    it('ignores an event handler that throws', async () => {
      const hot = memoryStore();
      const cold = memoryStore();
      const failing: SessionStore = new Proxy(hot, {
        get: (target, property) =>
          property === 'getAll'
            ? () => Promise.reject(new Error('down'))
            : Reflect.get(target, property),
      });
      const store = new LayeredStore({
        hot: failing,
        cold,
        onEvent: () => {
          throw new Error('the logger is broken too');
        },
      });
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      expect(names(await store.getAll(key))).toEqual(['a']);
    });
  });

  describe('cold failures', () => {
    it('name the cold tier and keep the driver error as the cause', async () => {
      const { store, cold } = layered();
      cold.kill();
      const failure = await store.getAll(key).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreError);
      expect(failure).toMatchObject({
        code: 'RUTS_STORE',
        operation: 'getAll on the cold tier',
        cause: { message: 'connect ECONNREFUSED (getAll)' },
      });
    });

    it("unwrap a cold store's own StoreError rather than nest it", async () => {
      const cause = new Error('relation "ruts_sessions" does not exist');
      const cold = new Proxy(memoryStore(), {
        get: (target, property) =>
          property === 'set'
            ? () => Promise.reject(new StoreError('set', cause))
            : Reflect.get(target, property),
      });
      const store = new LayeredStore({ hot: memoryStore(), cold, onEvent: () => {} });
      const failure = await store
        .set(key, { field: 'a', value: utf8('1') }, write())
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreError);
      expect((failure as StoreError).cause).toBe(cause);
      expect((failure as StoreError).message).toBe(
        'ruts: the session store failed during set on the cold tier: relation "ruts_sessions" ' +
          'does not exist. Check that the store is reachable; the change was not confirmed, so it ' +
          'may or may not have been applied.',
      );
    });

    it('pass other ruts errors through unchanged', async () => {
      const invalid = new InvalidKeyError('', 'keys must not be empty');
      const cold = new Proxy(memoryStore(), {
        get: (target, property) =>
          property === 'get' ? () => Promise.reject(invalid) : Reflect.get(target, property),
      });
      const hot = new Proxy(memoryStore(), {
        get: (target, property) =>
          property === 'get'
            ? () => Promise.reject(new Error('down'))
            : Reflect.get(target, property),
      });
      const store = new LayeredStore({ hot, cold, onEvent: () => {} });
      await expect(store.get(key, 'a')).rejects.toBe(invalid);
    });
  });
});
