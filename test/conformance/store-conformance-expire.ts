/**
 * Conformance cases for {@link SessionStore.expire}: `'extend'` only lengthens, `'set'` gives the
 * session an end that later activity cannot move, and zero or less deletes.
 *
 * @packageDocumentation
 */

import { describe, expect, it } from 'vitest';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { readField } from '../support/read-field.ts';
import { expectTtl, IDLE, newKey, opts, utf8 } from './conformance-helpers.ts';

/** Registers the expire cases against the store `store()` returns. */
export function describeExpire(store: () => SessionStore): void {
  describe('expire', () => {
    it('resolves null for a missing session in every mode and creates nothing', async () => {
      const key = newKey();
      expect(await store().expire(key, 5_000, 'set')).toBeNull();
      expect(await store().expire(key, 5_000, 'extend')).toBeNull();
      expect(await store().expire(key, 'persistent', 'set')).toBeNull();
      expect(await store().expire(key, 'persistent', 'extend')).toBeNull();
      expect(await store().expire(key, 0, 'set')).toBeNull();
      expect(await store().getAll(key)).toBeUndefined();
    });

    it("replaces the expiry in 'set' mode, shorter or longer", async () => {
      const [shorter, longer] = [newKey(), newKey()];
      await store().set(shorter, { field: 'a', value: utf8('1') }, opts());
      await store().set(longer, { field: 'a', value: utf8('1') }, opts());
      expectTtl((await store().expire(shorter, 5_000, 'set'))?.ttlMs, 5_000);
      expectTtl((await store().getAll(shorter))?.ttlMs, 5_000);
      expectTtl((await store().expire(longer, 120_000, 'set'))?.ttlMs, 120_000);
      expectTtl((await store().getAll(longer))?.ttlMs, 120_000);
    });

    it("makes a 'set' expiry a deadline that no later call moves later", async () => {
      const key = newKey();
      await store().set(key, { field: 'a', value: utf8('1') }, opts());
      expectTtl((await store().expire(key, 5_000, 'set'))?.ttlMs, 5_000);
      const long = { field: 'long', value: utf8('2'), ttlMs: 120_000 };
      const forever = { field: 'forever', value: utf8('3'), ttlMs: 'persistent' as const };
      expectTtl((await store().set(key, { field: 'b', value: utf8('2') }, opts()))?.ttlMs, 5_000);
      expectTtl((await store().set(key, long, opts()))?.ttlMs, 5_000);
      expectTtl((await store().set(key, forever, opts()))?.ttlMs, 5_000);
      expectTtl((await store().expire(key, 120_000, 'extend'))?.ttlMs, 5_000);
      expectTtl((await store().expire(key, 120_000, 'set'))?.ttlMs, 5_000);
      const session = await store().getAll(key);
      expectTtl(session?.ttlMs, 5_000);
      expectTtl(session?.maxTtlMs, 5_000);
    });

    it("lowers an earlier deadline no further than 'set' asks", async () => {
      const key = newKey();
      await store().set(key, { field: 'a', value: utf8('1') }, opts({ absoluteMs: 120_000 }));
      expectTtl((await store().expire(key, 5_000, 'set'))?.ttlMs, 5_000);
      expectTtl((await store().getAll(key))?.maxTtlMs, 5_000);
    });

    it("only lengthens the expiry in 'extend' mode", async () => {
      const key = newKey();
      await store().set(key, { field: 'a', value: utf8('1') }, opts());
      expectTtl((await store().expire(key, 5_000, 'extend'))?.ttlMs, IDLE);
      expectTtl((await store().expire(key, 0, 'extend'))?.ttlMs, IDLE);
      expectTtl((await store().expire(key, 120_000, 'extend'))?.ttlMs, 120_000);
      expectTtl((await store().getAll(key))?.ttlMs, 120_000);
    });

    it('makes a session persistent, which extending cannot undo but setting can', async () => {
      const key = newKey();
      await store().set(key, { field: 'a', value: utf8('1') }, opts());
      expect(await store().expire(key, 'persistent', 'extend')).toEqual({ ttlMs: null });
      expect(await store().expire(key, 5_000, 'extend')).toEqual({ ttlMs: null });
      expect(await store().expire(key, 'persistent', 'set')).toEqual({ ttlMs: null });
      expect((await store().getAll(key))?.maxTtlMs).toBeNull();
      expectTtl((await store().expire(key, 5_000, 'set'))?.ttlMs, 5_000);
    });

    it("keeps the deadline when 'set' makes a session persistent", async () => {
      const [created, lowered] = [newKey(), newKey()];
      await store().set(created, { field: 'a', value: utf8('1') }, opts({ absoluteMs: 5_000 }));
      await store().set(lowered, { field: 'a', value: utf8('1') }, opts());
      await store().expire(lowered, 5_000, 'set');
      for (const key of [created, lowered]) {
        expectTtl((await store().expire(key, 'persistent', 'set'))?.ttlMs, 5_000);
        expectTtl((await store().getAll(key))?.maxTtlMs, 5_000);
      }
    });

    it("deletes the session when 'set' gets a ttl of zero or less", async () => {
      const [zero, negative] = [newKey(), newKey()];
      await store().set(zero, { field: 'a', value: utf8('1') }, opts());
      await store().set(negative, { field: 'a', value: utf8('1') }, opts());
      expect(await store().expire(zero, 0, 'set')).toEqual({ ttlMs: 0 });
      expect(await store().expire(negative, -1, 'set')).toEqual({ ttlMs: 0 });
      expect(await store().getAll(zero)).toBeUndefined();
      expect(await readField(store(), negative, 'a')).toBeUndefined();
      expect(await store().expire(zero, 0, 'set')).toBeNull();
    });
  });
}
