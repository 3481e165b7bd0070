/**
 * Conformance cases for session bounds (`maxFields`, `maxSessionBytes`): a store checks them in
 * the same atomic step as the write, refuses a write that would pass one whole, and never
 * refuses a write that does not grow the session.
 *
 * @packageDocumentation
 */

import { describe, expect, it } from 'vitest';
import { SessionTooLargeError } from '../../src/core/errors.ts';
import type { SessionLimits, SessionStore, WriteOptions } from '../../src/core/store-contract.ts';
import { readField } from '../support/read-field.ts';
import {
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

/** Write options with limits. */
function limited(limits: Partial<SessionLimits>, extra: Partial<WriteOptions> = {}): WriteOptions {
  return opts({
    limits: { maxFields: 1_000, maxSessionBytes: 1 << 20, ...limits },
    ...extra,
  });
}

/** `n` bytes. */
function bytes(n: number, fill = 0x61): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

async function refusal(write: Promise<unknown>): Promise<SessionTooLargeError> {
  const error = await write.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SessionTooLargeError);
  return error as SessionTooLargeError;
}

/** Registers the limit cases against the store `store()` returns. */
export function describeLimits(store: () => SessionStore): void {
  describe('session limits', () => {
    it('refuses a field past maxFields whole, naming the limit and the key', async () => {
      const key = newKey();
      const three = limited({ maxFields: 3 });
      await store().setMany(
        key,
        ['a', 'b', 'c'].map((field) => ({ field, value: utf8(field) })),
        three,
      );
      const error = await refusal(store().set(key, { field: 'd', value: utf8('d') }, three));
      expect(error.limit).toBe('maxFields');
      expect(error.max).toBe(3);
      expect(error.key).toBe('d');
      expect(error.code).toBe('RUTS_SESSION_TOO_LARGE');
      await refusal(
        store().setMany(
          key,
          [
            { field: 'a', value: utf8('A') },
            { field: 'e', value: utf8('e') },
          ],
          three,
        ),
      );
      await refusal(store().setIfAbsent(key, { field: 'f', value: utf8('f') }, three));
      const session = await store().getAll(key);
      expect(names(session)).toEqual(['a', 'b', 'c']);
      expect(hex(session?.fields.get('a')?.value)).toBe(hex(utf8('a')));
    });

    it('creates nothing when the first write is over a limit', async () => {
      const key = newKey();
      const entries = Array.from({ length: 5 }, (_, i) => ({ field: `f${i}`, value: utf8('x') }));
      await refusal(store().setMany(key, entries, limited({ maxFields: 4 })));
      await refusal(
        store().set(key, { field: 'big', value: bytes(200) }, limited({ maxSessionBytes: 100 })),
      );
      expect(await store().getAll(key)).toBeUndefined();
    });

    it('counts names and values in maxSessionBytes', async () => {
      const key = newKey();
      const hundred = limited({ maxSessionBytes: 100 });
      await store().set(key, { field: 'a', value: bytes(90) }, hundred); // 91 bytes
      const error = await refusal(store().set(key, { field: 'bb', value: bytes(8) }, hundred));
      expect(error.limit).toBe('maxSessionBytes');
      expect(error.max).toBe(100);
      await store().set(key, { field: 'b', value: bytes(8) }, hundred); // 100 bytes exactly
      expect(names(await store().getAll(key))).toEqual(['a', 'b']);
    });

    it('always lets a field be replaced by one of the same size or smaller, even past a limit', async () => {
      const key = newKey();
      await store().setMany(
        key,
        ['a', 'b', 'c'].map((field) => ({ field, value: bytes(10) })),
        opts(),
      );
      // Limits lowered below what the session already holds.
      const tight = limited({ maxFields: 2, maxSessionBytes: 20 });
      await store().set(key, { field: 'a', value: bytes(10, 0x62) }, tight);
      await store().set(key, { field: 'b', value: bytes(4) }, tight);
      await store().setMany(key, [{ field: 'c', value: bytes(1) }], tight);
      await refusal(store().set(key, { field: 'c', value: bytes(5) }, tight));
      await refusal(store().set(key, { field: 'd', value: bytes(0) }, tight));
      const session = await store().getAll(key);
      expect(hex(session?.fields.get('a')?.value)).toBe(hex(bytes(10, 0x62)));
      expect(session?.fields.get('c')?.value.byteLength).toBe(1);
      // Writing with a TTL of zero removes the field, which never grows the session.
      await store().set(key, { field: 'a', value: bytes(0), ttlMs: 0 }, tight);
      expect(names(await store().getAll(key))).toEqual(['b', 'c']);
    });

    it('gives back room when fields are removed, taken or expire', async () => {
      const key = newKey();
      const two = limited({ maxFields: 2 });
      await store().setMany(
        key,
        [
          { field: 'a', value: utf8('a') },
          { field: 'b', value: utf8('b') },
        ],
        two,
      );
      await refusal(store().set(key, { field: 'c', value: utf8('c') }, two));
      expect(await store().remove(key, 'a')).toBe(true);
      await store().set(key, { field: 'c', value: utf8('c') }, two);
      expect(hex(await store().take(key, 'b'))).toBe(hex(utf8('b')));
      await store().set(key, { field: 'd', value: utf8('d'), ttlMs: SHORT }, two);
      await refusal(store().set(key, { field: 'e', value: utf8('e') }, two));
      await sleep(WAIT);
      await store().set(key, { field: 'e', value: utf8('e') }, two);
      expect(names(await store().getAll(key))).toEqual(['c', 'e']);
    });

    it('resolves a setIfAbsent of a field already held without refusing it', async () => {
      const key = newKey();
      const one = limited({ maxFields: 1 });
      await store().set(key, { field: 'a', value: utf8('a') }, one);
      const result = await store().setIfAbsent(key, { field: 'a', value: utf8('A') }, one);
      expect(result?.written).toBe(false);
      expect(hex(await readField(store(), key, 'a'))).toBe(hex(utf8('a')));
    });

    it('refuses a rename whose fields would pass a limit, changing nothing', async () => {
      const [from, to] = siblingKeys(2);
      await store().setMany(
        from,
        [
          { field: 'a', value: utf8('a') },
          { field: 'b', value: utf8('b') },
        ],
        opts(),
      );
      await refusal(
        store().rename(from, to, {
          idleMs: IDLE,
          set: [{ field: 'c', value: utf8('c') }],
          limits: { maxFields: 2, maxSessionBytes: 1 << 20 },
        }),
      );
      expect(names(await store().getAll(from))).toEqual(['a', 'b']);
      expect(await store().getAll(to)).toBeUndefined();
      const renamed = await store().rename(from, to, {
        idleMs: IDLE,
        set: [{ field: 'a', value: utf8('A') }],
        limits: { maxFields: 2, maxSessionBytes: 1 << 20 },
      });
      expect(renamed.status).toBe('renamed');
    });

    it('decides each write of a random sequence as the live totals say', async () => {
      const key = newKey();
      const limits = limited({ maxFields: 6, maxSessionBytes: 60 });
      const model = new Map<string, number>();
      let seed = 7;
      const random = (n: number): number => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed % n;
      };
      const totals = (fields: Map<string, number>): [number, number] => {
        let size = 0;
        for (const [name, length] of fields) size += name.length + length;
        return [fields.size, size];
      };
      await store().set(key, { field: 'seed', value: bytes(1) }, limits);
      model.set('seed', 1);
      for (let step = 0; step < 150; step++) {
        const op = random(10);
        const names = Array.from({ length: 1 + random(2) }, () => `f${random(9)}`);
        if (op < 2) {
          const name = names[0] as string;
          expect(await store().remove(key, name)).toBe(model.delete(name));
          continue;
        }
        if (op < 3) {
          const name = names[0] as string;
          const taken = await store().take(key, name);
          expect(taken?.byteLength).toBe(model.get(name));
          model.delete(name);
          continue;
        }
        const entries = [...new Set(names)].map((field) => ({
          field,
          value: bytes(random(14)),
          ...(op === 3 ? { ttlMs: 0 } : {}),
        }));
        const next = new Map(model);
        for (const { field, value, ttlMs } of entries) {
          if (ttlMs === 0) next.delete(field);
          else next.set(field, value.byteLength);
        }
        const [count, size] = totals(model);
        const [grownCount, grownSize] = totals(next);
        const refuses =
          (grownCount > count && grownCount > 6) || (grownSize > size && grownSize > 60);
        const outcome = await store()
          .setMany(key, entries, { ...limits, create: false })
          .then(
            () => 'written',
            (error: unknown) => (error instanceof SessionTooLargeError ? 'refused' : error),
          );
        expect({ step, outcome }).toEqual({ step, outcome: refuses ? 'refused' : 'written' });
        if (!refuses) {
          model.clear();
          for (const [name, length] of next) model.set(name, length);
        }
      }
      const session = await store().getAll(key);
      expect(names(session)).toEqual([...model.keys()].sort());
    });

    it('lets 40 racing writes of new fields fill a session to maxFields and no further', async () => {
      const key = newKey();
      const limits = limited({ maxFields: 12 });
      await store().setMany(
        key,
        ['a', 'b'].map((field) => ({ field, value: utf8(field) })),
        limits,
      );
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          store().set(
            key,
            { field: `new-${i}`, value: utf8(`${i}`) },
            { ...limits, create: false },
          ),
        ),
      );
      const written = results.filter((result) => result.status === 'fulfilled');
      const refused = results.flatMap((result) =>
        result.status === 'rejected' ? [result.reason] : [],
      );
      expect(written).toHaveLength(10);
      for (const reason of refused) expect(reason).toBeInstanceOf(SessionTooLargeError);
      expect((await store().getAll(key))?.fields.size).toBe(12);
    });

    it('lets 40 racing writes fill a session to maxSessionBytes and no further', async () => {
      const key = newKey();
      // Each field takes 10 bytes (a 4-character name and 6 bytes of value): room for 10.
      const limits = limited({ maxSessionBytes: 100 });
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          store().set(key, { field: `f${String(i).padStart(3, '0')}`, value: bytes(6) }, limits),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(10);
      const session = await store().getAll(key);
      let total = 0;
      for (const [name, field] of session?.fields ?? []) total += name.length + field.value.length;
      expect(total).toBe(100);
    });
  });
}
