/**
 * Conformance cases for {@link SessionStore.rename}, which is how the handle regenerates ids:
 * the move is atomic, keeps what the session was, and never merges two sessions.
 *
 * @packageDocumentation
 */

import { describe, expect, it } from 'vitest';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { readField } from '../support/read-field.ts';
import { expectTtl, hex, IDLE, names, opts, siblingKeys, utf8 } from './conformance-helpers.ts';

/** Registers the rename cases against the store `store()` returns. */
export function describeRename(store: () => SessionStore): void {
  describe('rename', () => {
    it('moves fields, field ttls and creation time, and the old key is dead at once', async () => {
      const [from, to] = siblingKeys(2);
      await store().setMany(
        from,
        [
          { field: 'a', value: utf8('1') },
          { field: 'b', value: utf8('2'), ttlMs: 120_000 },
        ],
        opts(),
      );
      const before = await store().getAll(from);
      const result = await store().rename(from, to, { idleMs: IDLE });
      expect(result.status).toBe('renamed');
      expectTtl(result.status === 'renamed' ? result.ttlMs : undefined, 120_000);
      expect(await store().getAll(from)).toBeUndefined();
      expect(await readField(store(), from, 'a')).toBeUndefined();
      const after = await store().getAll(to);
      expect(names(after)).toEqual(['a', 'b']);
      expect(hex(after?.fields.get('a')?.value)).toBe(hex(utf8('1')));
      expect(after?.fields.get('a')?.ttlMs).toBeNull();
      expectTtl(after?.fields.get('b')?.ttlMs, 120_000);
      expect(after?.createdAt).toBe(before?.createdAt);
    });

    it('writes the fields given in set as part of the move', async () => {
      const [from, to] = siblingKeys(2);
      await store().setMany(
        from,
        [
          { field: 'a', value: utf8('1') },
          { field: 'b', value: utf8('1') },
        ],
        opts(),
      );
      const set = [
        { field: 'a', value: utf8('2') },
        { field: 'c', value: utf8('3'), ttlMs: 'persistent' as const },
      ];
      expect(await store().rename(from, to, { idleMs: IDLE, set })).toEqual({
        status: 'renamed',
        ttlMs: null,
      });
      const after = await store().getAll(to);
      expect(names(after)).toEqual(['a', 'b', 'c']);
      expect(hex(after?.fields.get('a')?.value)).toBe(hex(utf8('2')));
      expect(hex(after?.fields.get('b')?.value)).toBe(hex(utf8('1')));
      expect(await store().getAll(from)).toBeUndefined();
    });

    it('extends the renamed session by the idle timeout but keeps its deadline', async () => {
      const [from, to, capped, cappedTo] = [...siblingKeys(2), ...siblingKeys(2)];
      await store().set(from, { field: 'a', value: utf8('1') }, opts({ idleMs: 5_000 }));
      const renamed = await store().rename(from, to, { idleMs: IDLE });
      expectTtl(renamed.status === 'renamed' ? renamed.ttlMs : undefined, IDLE);
      await store().set(capped, { field: 'a', value: utf8('1') }, opts({ absoluteMs: 5_000 }));
      const moved = await store().rename(capped, cappedTo, { idleMs: IDLE });
      expectTtl(moved.status === 'renamed' ? moved.ttlMs : undefined, 5_000);
      expectTtl((await store().getAll(cappedTo))?.maxTtlMs, 5_000);
      const [lowered, loweredTo] = siblingKeys(2);
      await store().set(lowered, { field: 'a', value: utf8('1') }, opts());
      await store().expire(lowered, 5_000, 'set');
      const carried = await store().rename(lowered, loweredTo, { idleMs: IDLE });
      expectTtl(carried.status === 'renamed' ? carried.ttlMs : undefined, 5_000);
      expectTtl((await store().getAll(loweredTo))?.maxTtlMs, 5_000);
    });

    it('changes nothing on either side when the target holds a live session', async () => {
      const [from, to] = siblingKeys(2);
      await store().set(from, { field: 'a', value: utf8('1') }, opts());
      await store().set(to, { field: 'b', value: utf8('2') }, opts());
      const [fromBefore, toBefore] = [await store().getAll(from), await store().getAll(to)];
      const set = [{ field: 'x', value: utf8('3') }];
      expect(await store().rename(from, to, { idleMs: IDLE, set })).toEqual({
        status: 'collision',
      });
      const [fromAfter, toAfter] = [await store().getAll(from), await store().getAll(to)];
      expect(names(fromAfter)).toEqual(['a']);
      expect(names(toAfter)).toEqual(['b']);
      expect(hex(toAfter?.fields.get('b')?.value)).toBe(hex(utf8('2')));
      expect(fromAfter?.createdAt).toBe(fromBefore?.createdAt);
      expect(toAfter?.createdAt).toBe(toBefore?.createdAt);
    });

    it('reports missing, and writes nothing, when the source is missing', async () => {
      const [from, to] = siblingKeys(2);
      const set = [{ field: 'x', value: utf8('1') }];
      expect(await store().rename(from, to, { idleMs: IDLE, set })).toEqual({
        status: 'missing',
      });
      expect(await store().getAll(to)).toBeUndefined();
      expect(await store().getAll(from)).toBeUndefined();
    });
  });
}
