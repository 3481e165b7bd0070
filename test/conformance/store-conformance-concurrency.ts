/**
 * Conformance cases that race calls against each other. A store must make each call atomic on
 * its own; these cases fail when two concurrent calls can both see the state before either wrote.
 *
 * @packageDocumentation
 */

import { describe, expect, it } from 'vitest';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { readField } from '../support/read-field.ts';
import { hex, IDLE, names, newKey, opts, siblingKeys, utf8 } from './conformance-helpers.ts';

/** Registers the concurrency cases against the store `store()` returns. */
export function describeConcurrency(store: () => SessionStore): void {
  describe('concurrency', () => {
    it('keeps every one of 200 concurrent writes of distinct fields to one session', async () => {
      const key = newKey();
      const fields = Array.from({ length: 200 }, (_, i) => `field-${i}`);
      await Promise.all(
        fields.map((field) => store().set(key, { field, value: utf8(field) }, opts())),
      );
      const session = await store().getAll(key);
      expect(session?.fields.size).toBe(200);
      for (const field of fields)
        expect(hex(session?.fields.get(field)?.value)).toBe(hex(utf8(field)));
    });

    it('lets exactly one of 50 concurrent setIfAbsent calls write, and keeps its value', async () => {
      const key = newKey();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store().setIfAbsent(key, { field: 'f', value: utf8(`writer ${i}`) }, opts()),
        ),
      );
      const winners = results.flatMap((result, i) => (result?.written ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(results.every((result) => result !== null)).toBe(true);
      expect(hex(await readField(store(), key, 'f'))).toBe(hex(utf8(`writer ${winners[0]}`)));
    });

    it('lets exactly one of 50 concurrent setIfAbsent calls write to an existing session', async () => {
      const key = newKey();
      await store().set(key, { field: 'other', value: utf8('x') }, opts());
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store().setIfAbsent(
            key,
            { field: 'f', value: utf8(`writer ${i}`) },
            opts({ create: false }),
          ),
        ),
      );
      const winners = results.flatMap((result, i) => (result?.written ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(hex(await readField(store(), key, 'f'))).toBe(hex(utf8(`writer ${winners[0]}`)));
    });

    it('hands a field to exactly one of 50 concurrent takers', async () => {
      const key = newKey();
      await store().set(key, { field: 'flash', value: utf8('once') }, opts());
      const taken = await Promise.all(Array.from({ length: 50 }, () => store().take(key, 'flash')));
      const received = taken.filter((value) => value !== undefined);
      expect(received.map(hex)).toEqual([hex(utf8('once'))]);
      expect(await readField(store(), key, 'flash')).toBeUndefined();
    });

    it('renames one source to exactly one of two concurrent targets', async () => {
      const [from, first, second] = siblingKeys(3);
      await store().set(from, { field: 'a', value: utf8('1') }, opts());
      const results = await Promise.all([
        store().rename(from, first, { idleMs: IDLE }),
        store().rename(from, second, { idleMs: IDLE }),
      ]);
      expect(results.map((result) => result.status).sort()).toEqual(['missing', 'renamed']);
      const winner = results[0]?.status === 'renamed' ? first : second;
      const loser = winner === first ? second : first;
      expect(names(await store().getAll(winner))).toEqual(['a']);
      expect(await store().getAll(loser)).toBeUndefined();
      expect(await store().getAll(from)).toBeUndefined();
    });

    it('renames exactly one of two concurrent sources onto one target, never merging', async () => {
      const [one, two, to] = siblingKeys(3);
      await store().set(one, { field: 'one', value: utf8('1') }, opts());
      await store().set(two, { field: 'two', value: utf8('2') }, opts());
      const results = await Promise.all([
        store().rename(one, to, { idleMs: IDLE }),
        store().rename(two, to, { idleMs: IDLE }),
      ]);
      expect(results.map((result) => result.status).sort()).toEqual(['collision', 'renamed']);
      const [winner, loser] = results[0]?.status === 'renamed' ? ['one', 'two'] : ['two', 'one'];
      expect(names(await store().getAll(to))).toEqual([winner]);
      expect(names(await store().getAll(loser === 'one' ? one : two))).toEqual([loser]);
    });
  });
}
