/**
 * The conformance cases that need time to pass. They use the store's real clock: each writes
 * TTLs of {@link SHORT}, sleeps {@link WAIT}, and checks what is left. They run concurrently, on
 * keys of their own, so the waits overlap instead of adding up.
 *
 * @packageDocumentation
 */

import { describe, it } from 'vitest';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { readField } from '../support/read-field.ts';
import {
  expectTtl,
  hex,
  IDLE,
  names,
  newKey,
  opts,
  SHORT,
  siblingKeys,
  sleep,
  utf8,
  WAIT,
} from './conformance-helpers.ts';

/** Outlives {@link WAIT} by a wide margin, for what must still be alive after it. */
const LONG = 3_000;

/** Registers the real-time expiry cases against the store `store()` returns. */
export function describeExpiryInRealTime(store: () => SessionStore): void {
  describe('expiry in real time', () => {
    it.concurrent('drops a field whose own ttl ran out and keeps the others', async ({
      expect,
    }) => {
      const key = newKey();
      await store().setMany(
        key,
        [
          { field: 'short', value: utf8('1'), ttlMs: SHORT },
          { field: 'plain', value: utf8('2') },
          { field: 'shortened', value: utf8('3') },
          { field: 'lengthened', value: utf8('4'), ttlMs: SHORT },
        ],
        opts(),
      );
      // Writing a field again replaces its ttl, in both directions.
      await store().set(key, { field: 'shortened', value: utf8('3'), ttlMs: SHORT }, opts());
      await store().set(key, { field: 'lengthened', value: utf8('5') }, opts());
      await sleep(WAIT);
      expect(await readField(store(), key, 'short')).toBeUndefined();
      expect(await readField(store(), key, 'shortened')).toBeUndefined();
      expect(hex(await readField(store(), key, 'lengthened'))).toBe(hex(utf8('5')));
      expect(names(await store().getAll(key))).toEqual(['lengthened', 'plain']);
    });

    it.concurrent('reports ends that stay put from one read to the next', async ({ expect }) => {
      const key = newKey();
      await store().setMany(
        key,
        [
          { field: 'timed', value: utf8('1'), ttlMs: LONG },
          { field: 'plain', value: utf8('2') },
        ],
        opts({ idleMs: LONG, absoluteMs: 2 * LONG }),
      );
      const first = await store().getAll(key);
      const firstAt = Date.now();
      await sleep(WAIT);
      const second = await store().getAll(key);
      const secondAt = Date.now();
      if (first === undefined || second === undefined) throw new Error('the session is gone');
      // Each remaining time, added to when it was read, names the same end both times. Stores
      // count whole milliseconds, and this clock reads a moment after the store's.
      const ends = (s: typeof first, at: number) => [
        at + (s.ttlMs ?? Number.NaN),
        at + (s.maxTtlMs ?? Number.NaN),
        at + (s.fields.get('timed')?.ttlMs ?? Number.NaN),
      ];
      const [a, b] = [ends(first, firstAt), ends(second, secondAt)];
      for (let i = 0; i < a.length; i++) {
        expect(Math.abs((b[i] as number) - (a[i] as number))).toBeLessThanOrEqual(50);
      }
    });

    it.concurrent('starts an expired session afresh under 40 concurrent writers', async ({
      expect,
    }) => {
      const key = newKey();
      const old = Array.from({ length: 10 }, (_, i) => ({ field: `old-${i}`, value: utf8('x') }));
      await store().setMany(key, old, opts({ idleMs: SHORT }));
      const before = Date.now();
      await sleep(WAIT);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store().set(key, { field: `new-${i}`, value: utf8(`${i}`) }, opts()),
        ),
      );
      const session = await store().getAll(key);
      expect(session?.fields.size).toBe(40);
      for (let i = 0; i < 40; i++) {
        expect(hex(session?.fields.get(`new-${i}`)?.value)).toBe(hex(utf8(`${i}`)));
      }
      expect(session?.createdAt).toBeGreaterThan(before);
    });

    it.concurrent('keeps a session alive as long as its longest-lived field', async ({
      expect,
    }) => {
      const key = newKey();
      const result = await store().setMany(
        key,
        [
          { field: 'long', value: utf8('1'), ttlMs: LONG },
          { field: 'plain', value: utf8('2') },
        ],
        opts({ idleMs: SHORT }),
      );
      expectTtl(result?.ttlMs, LONG);
      await sleep(WAIT);
      expect(names(await store().getAll(key))).toEqual(['long', 'plain']);
    });

    it.concurrent('ends a session at its absolute deadline despite later writes and persistent fields', async ({
      expect,
    }) => {
      const key = newKey();
      await store().set(key, { field: 'a', value: utf8('1') }, opts({ absoluteMs: SHORT }));
      const forever = { field: 'b', value: utf8('2'), ttlMs: 'persistent' as const };
      expectTtl((await store().set(key, forever, opts()))?.ttlMs, SHORT);
      expectTtl((await store().expire(key, IDLE, 'extend'))?.ttlMs, SHORT);
      await sleep(WAIT);
      expect(await store().getAll(key)).toBeUndefined();
      expect(await readField(store(), key, 'b')).toBeUndefined();
      const entry = { field: 'c', value: utf8('3') };
      expect(await store().set(key, entry, opts({ create: false }))).toBeNull();
      expect(await store().getAll(key)).toBeUndefined();
    });

    it.concurrent('keeps a session alive past a shorter later idle timeout or an extending expire', async ({
      expect,
    }) => {
      const [written, extended] = [newKey(), newKey()];
      await store().set(written, { field: 'a', value: utf8('1') }, opts());
      await store().set(written, { field: 'b', value: utf8('2') }, opts({ idleMs: SHORT }));
      await store().set(extended, { field: 'a', value: utf8('1') }, opts({ idleMs: SHORT }));
      expectTtl((await store().expire(extended, LONG, 'extend'))?.ttlMs, LONG);
      await sleep(WAIT);
      expect(names(await store().getAll(written))).toEqual(['a', 'b']);
      expect(names(await store().getAll(extended))).toEqual(['a']);
    });

    it.concurrent("ends a session at the end 'set' gave it, despite later activity", async ({
      expect,
    }) => {
      const key = newKey();
      await store().set(key, { field: 'a', value: utf8('1') }, opts());
      expectTtl((await store().expire(key, SHORT, 'set'))?.ttlMs, SHORT);
      // Activity after a 'set' does not carry the session past it.
      await store().set(key, { field: 'b', value: utf8('2') }, opts());
      await store().expire(key, IDLE, 'extend');
      await sleep(WAIT);
      expect(await store().getAll(key)).toBeUndefined();
      expect(await store().expire(key, LONG, 'extend')).toBeNull();
    });

    it.concurrent('treats an expired session as missing in every operation', async ({ expect }) => {
      const entry = { field: 'new', value: utf8('new') };
      const renameTarget = newKey();
      // One expired session per operation, so none passes because another purged it first.
      const operations: Record<
        string,
        [expected: unknown, run: (key: string) => Promise<unknown>]
      > = {
        get: [undefined, (key) => readField(store(), key, 'a')],
        getAll: [undefined, (key) => store().getAll(key)],
        take: [undefined, (key) => store().take(key, 'a')],
        remove: [false, (key) => store().remove(key, 'a')],
        delete: [false, (key) => store().delete(key)],
        extend: [null, (key) => store().expire(key, LONG, 'extend')],
        persist: [null, (key) => store().expire(key, 'persistent', 'set')],
        set: [null, (key) => store().set(key, entry, opts({ create: false }))],
        setMany: [null, (key) => store().setMany(key, [entry], opts({ create: false }))],
        setIfAbsent: [null, (key) => store().setIfAbsent(key, entry, opts({ create: false }))],
        rename: [
          { status: 'missing' },
          (key) => store().rename(key, renameTarget, { idleMs: IDLE }),
        ],
      };
      const keys = new Map(
        Object.keys(operations).map((operation) => [operation, newKey(renameTarget)]),
      );
      for (const key of keys.values()) {
        await store().set(key, { field: 'a', value: utf8('1') }, opts({ idleMs: SHORT }));
      }
      await sleep(WAIT);
      for (const [operation, [expected, run]] of Object.entries(operations)) {
        const result = await run(keys.get(operation) as string);
        expect({ operation, result }).toEqual({ operation, result: expected });
      }
      for (const key of [...keys.values(), renameTarget]) {
        expect(await store().getAll(key)).toBeUndefined();
      }
    });

    it.concurrent('recreates an expired session afresh, without its old fields', async ({
      expect,
    }) => {
      const [viaSet, viaSetIfAbsent] = [newKey(), newKey()];
      const old = [
        { field: 'a', value: utf8('1') },
        { field: 'b', value: utf8('2') },
      ];
      await store().setMany(viaSet, old, opts({ idleMs: SHORT }));
      await store().setMany(viaSetIfAbsent, old, opts({ idleMs: SHORT }));
      const createdAt = (await store().getAll(viaSet))?.createdAt ?? Number.NaN;
      await sleep(WAIT);
      const entry = { field: 'a', value: utf8('new') };
      expectTtl((await store().set(viaSet, entry, opts()))?.ttlMs, IDLE);
      expect((await store().setIfAbsent(viaSetIfAbsent, entry, opts()))?.written).toBe(true);
      for (const key of [viaSet, viaSetIfAbsent]) {
        const reborn = await store().getAll(key);
        expect(names(reborn)).toEqual(['a']);
        expect(hex(reborn?.fields.get('a')?.value)).toBe(hex(utf8('new')));
        expect(reborn?.createdAt).toBeGreaterThan(createdAt);
      }
    });

    it.concurrent('treats an expired field as absent in every operation', async ({ expect }) => {
      const key = newKey();
      // One expired field per operation, so none passes because another purged it first.
      await store().setMany(
        key,
        [
          { field: 'get', value: utf8('1'), ttlMs: SHORT },
          { field: 'take', value: utf8('2'), ttlMs: SHORT },
          { field: 'remove', value: utf8('3'), ttlMs: SHORT },
          { field: 'setIfAbsent', value: utf8('4'), ttlMs: SHORT },
          { field: 'getAll', value: utf8('5'), ttlMs: SHORT },
          { field: 'kept', value: utf8('6') },
        ],
        opts(),
      );
      await sleep(WAIT);
      expect(await readField(store(), key, 'get')).toBeUndefined();
      expect(await store().take(key, 'take')).toBeUndefined();
      expect(await store().remove(key, 'remove')).toBe(false);
      const entry = { field: 'setIfAbsent', value: utf8('new') };
      expect((await store().setIfAbsent(key, entry, opts()))?.written).toBe(true);
      expect(hex(await readField(store(), key, 'setIfAbsent'))).toBe(hex(utf8('new')));
      expect(names(await store().getAll(key))).toEqual(['kept', 'setIfAbsent']);
    });

    it.concurrent('renames onto an expired session, replacing it', async ({ expect }) => {
      const [from, to] = siblingKeys(2);
      await store().set(from, { field: 'a', value: utf8('1') }, opts());
      await store().set(to, { field: 'stale', value: utf8('2') }, opts({ idleMs: SHORT }));
      await sleep(WAIT);
      expect(await store().rename(from, to, { idleMs: IDLE })).toMatchObject({ status: 'renamed' });
      expect(names(await store().getAll(to))).toEqual(['a']);
    });

    it.concurrent('carries the absolute deadline through a rename', async ({ expect }) => {
      const [from, to] = siblingKeys(2);
      await store().set(from, { field: 'a', value: utf8('1') }, opts({ absoluteMs: SHORT }));
      const result = await store().rename(from, to, { idleMs: IDLE });
      expectTtl(result.status === 'renamed' ? result.ttlMs : undefined, SHORT);
      await sleep(WAIT);
      expect(await store().getAll(to)).toBeUndefined();
    });
  });
}
