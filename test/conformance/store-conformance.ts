/**
 * The store conformance suite: the same cases for every {@link SessionStore}, memory, Redis or
 * Postgres alike. A store passes it or it isn't done.
 *
 * Stores run here against real servers, with a real clock and network latency, so nothing injects
 * a clock. Timing cases use TTLs of a few hundred milliseconds, wait about twice as long, and run
 * concurrently to keep the suite quick. A store may be shared by every test, so each test works on
 * fresh random keys and never assumes it is alone.
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canSweep, type FieldWrite, type SessionStore } from '../../src/core/store-contract.ts';
import { readField } from '../support/read-field.ts';
import {
  type ConformanceContext,
  expectTtl,
  hex,
  IDLE,
  names,
  newKey,
  opts,
  utf8,
} from './conformance-helpers.ts';
import { describeConcurrency } from './store-conformance-concurrency.ts';
import { describeExpire } from './store-conformance-expire.ts';
import { describeLimits } from './store-conformance-limits.ts';
import { describeOwners } from './store-conformance-owners.ts';
import { describeRename } from './store-conformance-rename.ts';
import { describeExpiryInRealTime } from './store-conformance-timing.ts';

export type { ConformanceContext } from './conformance-helpers.ts';

/**
 * Registers the conformance suite for one store.
 *
 * @param name - Shown in the test report.
 * @param setup - Runs once before the suite. The store it returns may be shared with other tests.
 */
export function describeStoreConformance(
  name: string,
  setup: () => Promise<ConformanceContext>,
): void {
  describe(`${name} meets the store contract`, () => {
    let context: ConformanceContext | undefined;
    const store = (): SessionStore => {
      if (context === undefined) throw new Error('the conformance setup has not run');
      return context.store;
    };
    beforeAll(async () => {
      context = await setup();
    });
    afterAll(async () => {
      await context?.teardown?.();
    });

    describe('values and field names', () => {
      it('round-trips every byte value, an empty value and a 100 KB value exactly', async () => {
        const key = newKey();
        const values: Record<string, Uint8Array> = {
          all: Uint8Array.from({ length: 256 }, (_, i) => i),
          empty: new Uint8Array(0),
          big: new Uint8Array(randomBytes(100 * 1024)),
        };
        const entries = Object.entries(values).map(([field, value]) => ({ field, value }));
        await store().setMany(key, entries, opts());
        const session = await store().getAll(key);
        for (const [field, value] of Object.entries(values)) {
          const read = await readField(store(), key, field);
          expect(read).toBeInstanceOf(Uint8Array);
          expect(hex(read)).toBe(hex(value));
          expect(hex(session?.fields.get(field)?.value)).toBe(hex(value));
        }
        await store().set(key, { field: 'one', value: values.big as Uint8Array }, opts());
        expect(hex(await store().take(key, 'one'))).toBe(hex(values.big));
        expect(hex(await store().take(key, 'empty'))).toBe('');
      });

      it('keeps field names such as __proto__, constructor and unicode as plain data', async () => {
        const key = newKey();
        const fieldNames = [
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          'ключ 🍪 鍵',
          'a.b:c{d}[e] "f"',
          'x'.repeat(1_000),
        ];
        const entries = fieldNames.map((field, i) => ({ field, value: utf8(`value ${i}`) }));
        await store().setMany(key, entries, opts());
        const session = await store().getAll(key);
        expect(session?.fields).toBeInstanceOf(Map);
        expect(names(session)).toEqual([...fieldNames].sort());
        for (const [i, field] of fieldNames.entries()) {
          expect(hex(session?.fields.get(field)?.value)).toBe(hex(utf8(`value ${i}`)));
          expect(hex(await readField(store(), key, field))).toBe(hex(utf8(`value ${i}`)));
        }
        expect(hex(await store().take(key, '__proto__'))).toBe(hex(utf8('value 0')));
        expect(await store().remove(key, 'constructor')).toBe(true);
        expect(names(await store().getAll(key))).toEqual(fieldNames.slice(2).sort());
      });

      it('keeps its own copy, so changing a buffer after a call changes nothing stored', async () => {
        const key = newKey();
        const value = utf8('original');
        await store().set(key, { field: 'a', value }, opts());
        value.fill(0);
        const read = await readField(store(), key, 'a');
        read?.fill(0);
        (await store().getAll(key))?.fields.get('a')?.value.fill(0);
        expect(hex(await readField(store(), key, 'a'))).toBe(hex(utf8('original')));
      });
    });

    describe('set and setMany', () => {
      it('creates the session and reports its remaining ttl', async () => {
        const key = newKey();
        const result = await store().set(key, { field: 'a', value: utf8('1') }, opts());
        expectTtl(result?.ttlMs, IDLE);
        const session = await store().getAll(key);
        expectTtl(session?.ttlMs, IDLE);
        expect(session?.maxTtlMs).toBeNull();
        expect(names(session)).toEqual(['a']);
      });

      it('reports a creation time on the store clock that later writes keep', async () => {
        const key = newKey();
        const before = Date.now();
        await store().set(key, { field: 'a', value: utf8('1') }, opts());
        const createdAt = (await store().getAll(key))?.createdAt;
        // Generous: the server's clock may be skewed from this process's.
        expect(createdAt).toBeGreaterThan(before - 60_000);
        expect(createdAt).toBeLessThan(Date.now() + 60_000);
        await store().set(key, { field: 'b', value: utf8('2') }, opts());
        expect((await store().getAll(key))?.createdAt).toBe(createdAt);
      });

      it('replaces the value of a field written again', async () => {
        const key = newKey();
        await store().set(key, { field: 'a', value: utf8('first') }, opts());
        await store().set(key, { field: 'a', value: utf8('second') }, opts());
        const session = await store().getAll(key);
        expect(names(session)).toEqual(['a']);
        expect(hex(session?.fields.get('a')?.value)).toBe(hex(utf8('second')));
      });

      it('replaces the ttl of a field written again', async () => {
        const key = newKey();
        const write = (ttlMs?: FieldWrite['ttlMs']) =>
          store().set(key, { field: 'a', value: utf8('1'), ttlMs }, opts());
        await write(120_000);
        expectTtl((await store().getAll(key))?.fields.get('a')?.ttlMs, 120_000);
        await write(undefined);
        expect((await store().getAll(key))?.fields.get('a')?.ttlMs).toBeNull();
        await write(5_000);
        expectTtl((await store().getAll(key))?.fields.get('a')?.ttlMs, 5_000);
      });

      it('writes several fields in one call, each with its own ttl', async () => {
        const key = newKey();
        const result = await store().setMany(
          key,
          [
            { field: 'plain', value: utf8('1') },
            { field: 'long', value: utf8('2'), ttlMs: 120_000 },
            { field: 'short', value: utf8('3'), ttlMs: 30_000 },
          ],
          opts(),
        );
        expectTtl(result?.ttlMs, 120_000);
        const fields = (await store().getAll(key))?.fields;
        expect(fields?.get('plain')?.ttlMs).toBeNull();
        expectTtl(fields?.get('long')?.ttlMs, 120_000);
        expectTtl(fields?.get('short')?.ttlMs, 30_000);
      });

      it('resolves null and creates nothing when create is false and the session is missing', async () => {
        const key = newKey();
        const entry = { field: 'a', value: utf8('1') };
        const noCreate = opts({ create: false, absoluteMs: 5_000 });
        expect(await store().set(key, entry, noCreate)).toBeNull();
        expect(await store().setMany(key, [entry], noCreate)).toBeNull();
        expect(await store().setIfAbsent(key, entry, noCreate)).toBeNull();
        expect(await store().getAll(key)).toBeUndefined();
        expect(await readField(store(), key, 'a')).toBeUndefined();
      });

      it('writes to an existing session when create is false', async () => {
        const key = newKey();
        await store().set(key, { field: 'a', value: utf8('1') }, opts());
        const result = await store().set(
          key,
          { field: 'b', value: utf8('2') },
          opts({ create: false }),
        );
        expectTtl(result?.ttlMs, IDLE);
        expect(hex(await readField(store(), key, 'b'))).toBe(hex(utf8('2')));
      });

      it('reads absoluteMs only when the write creates the session', async () => {
        const key = newKey();
        await store().set(key, { field: 'a', value: utf8('1') }, opts());
        const result = await store().set(
          key,
          { field: 'b', value: utf8('2') },
          opts({ absoluteMs: 1_000 }),
        );
        expectTtl(result?.ttlMs, IDLE);
      });
    });

    describe('the TTL model', () => {
      it('extends the session by the idle timeout on every kind of write', async () => {
        const [viaSet, viaSetMany, viaSetIfAbsent] = [newKey(), newKey(), newKey()];
        for (const key of [viaSet, viaSetMany, viaSetIfAbsent]) {
          await store().set(key, { field: 'a', value: utf8('1') }, opts({ idleMs: 5_000 }));
        }
        const entry = { field: 'b', value: utf8('2') };
        expectTtl((await store().set(viaSet, entry, opts()))?.ttlMs, IDLE);
        expectTtl((await store().setMany(viaSetMany, [entry], opts()))?.ttlMs, IDLE);
        expectTtl((await store().setIfAbsent(viaSetIfAbsent, entry, opts()))?.ttlMs, IDLE);
        for (const key of [viaSet, viaSetMany, viaSetIfAbsent]) {
          expectTtl((await store().getAll(key))?.ttlMs, IDLE);
        }
      });

      it('never shortens the session on a write with a shorter idle timeout', async () => {
        const key = newKey();
        await store().set(key, { field: 'a', value: utf8('1') }, opts());
        const result = await store().set(
          key,
          { field: 'b', value: utf8('2') },
          opts({ idleMs: 1_000 }),
        );
        expectTtl(result?.ttlMs, IDLE);
        expectTtl((await store().getAll(key))?.ttlMs, IDLE);
      });

      it('extends the session to cover a field ttl longer than its idle timeout', async () => {
        const key = newKey();
        const entry = { field: 'a', value: utf8('1'), ttlMs: 120_000 };
        expectTtl((await store().set(key, entry, opts({ idleMs: 5_000 })))?.ttlMs, 120_000);
        expectTtl((await store().getAll(key))?.ttlMs, 120_000);
      });

      it('makes the session persistent when a field is persistent, and keeps it so', async () => {
        const key = newKey();
        const entry = { field: 'a', value: utf8('1'), ttlMs: 'persistent' as const };
        expect(await store().set(key, entry, opts())).toEqual({ ttlMs: null });
        const session = await store().getAll(key);
        expect(session?.ttlMs).toBeNull();
        expect(session?.fields.get('a')?.ttlMs).toBeNull();
        const later = await store().set(
          key,
          { field: 'b', value: utf8('2') },
          opts({ idleMs: 5_000 }),
        );
        expect(later).toEqual({ ttlMs: null });
      });

      it('caps the session and every ttl it reports at the absolute deadline', async () => {
        const key = newKey();
        const deadline = 5_000;
        const created = await store().set(
          key,
          { field: 'a', value: utf8('1') },
          opts({ absoluteMs: deadline }),
        );
        expectTtl(created?.ttlMs, deadline);
        const long = { field: 'long', value: utf8('2'), ttlMs: 120_000 };
        const forever = { field: 'forever', value: utf8('3'), ttlMs: 'persistent' as const };
        expectTtl((await store().set(key, long, opts()))?.ttlMs, deadline);
        expectTtl((await store().set(key, forever, opts()))?.ttlMs, deadline);
        expectTtl((await store().expire(key, 120_000, 'extend'))?.ttlMs, deadline);
        expectTtl((await store().expire(key, 'persistent', 'set'))?.ttlMs, deadline);
        const session = await store().getAll(key);
        expectTtl(session?.ttlMs, deadline);
        expectTtl(session?.maxTtlMs, deadline);
        expectTtl(session?.fields.get('long')?.ttlMs, deadline);
      });
    });

    describe('setIfAbsent', () => {
      it('writes an absent field, creating the session if allowed', async () => {
        const key = newKey();
        const result = await store().setIfAbsent(key, { field: 'a', value: utf8('1') }, opts());
        expect(result?.written).toBe(true);
        expectTtl(result?.ttlMs, IDLE);
        expect(hex(await readField(store(), key, 'a'))).toBe(hex(utf8('1')));
      });

      it('leaves a live field, and the session expiry, unchanged', async () => {
        const key = newKey();
        await store().set(key, { field: 'a', value: utf8('first') }, opts({ idleMs: 5_000 }));
        const result = await store().setIfAbsent(
          key,
          { field: 'a', value: utf8('second') },
          opts(),
        );
        expect(result?.written).toBe(false);
        expectTtl(result?.ttlMs, 5_000);
        expect(hex(await readField(store(), key, 'a'))).toBe(hex(utf8('first')));
      });
    });

    describe('remove, take and delete', () => {
      it('removes one live field and reports whether it was there', async () => {
        const key = newKey();
        await store().setMany(
          key,
          [
            { field: 'a', value: utf8('1') },
            { field: 'b', value: utf8('2') },
          ],
          opts(),
        );
        expect(await store().remove(key, 'a')).toBe(true);
        expect(await store().remove(key, 'a')).toBe(false);
        expect(await store().remove(key, 'never')).toBe(false);
        expect(await store().remove(newKey(), 'a')).toBe(false);
        expect(names(await store().getAll(key))).toEqual(['b']);
      });

      it('takes a field once: it returns the value and removes only that field', async () => {
        const key = newKey();
        await store().setMany(
          key,
          [
            { field: 'a', value: utf8('1') },
            { field: 'b', value: utf8('2') },
          ],
          opts(),
        );
        expect(hex(await store().take(key, 'a'))).toBe(hex(utf8('1')));
        expect(await store().take(key, 'a')).toBeUndefined();
        expect(await store().take(newKey(), 'a')).toBeUndefined();
        expect(names(await store().getAll(key))).toEqual(['b']);
      });

      it('deletes the whole session and reports whether it existed', async () => {
        const key = newKey();
        await store().set(key, { field: 'a', value: utf8('1') }, opts());
        expect(await store().delete(key)).toBe(true);
        expect(await store().getAll(key)).toBeUndefined();
        expect(await readField(store(), key, 'a')).toBeUndefined();
        expect(await store().delete(key)).toBe(false);
        expect(await store().delete(newKey())).toBe(false);
      });
    });

    describe('sweep', () => {
      it('keeps live sessions when the store offers it', async ({ skip }) => {
        const s = store();
        if (!canSweep(s)) return skip();
        const key = newKey();
        await s.set(key, { field: 'a', value: utf8('1') }, opts());
        const removed = await s.sweep();
        expect(Number.isInteger(removed) && removed >= 0).toBe(true);
        expect(hex(await readField(s, key, 'a'))).toBe(hex(utf8('1')));
      });
    });

    describeExpire(store);
    describeRename(store);
    describeConcurrency(store);
    describeLimits(store);
    describeOwners(store);
    describeExpiryInRealTime(store);
  });
}
