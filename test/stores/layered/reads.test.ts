import { describe, expect, it, vi } from 'vitest';
import { isComplete, readHotEntry, warmingEntry } from '../../../src/stores/layered/hot-entry.ts';
import { clock, HOUR, layered, MINUTE, names, text, utf8, write } from './support/tier-double.ts';

const key = 'fam00000.session';

describe('LayeredStore reads', () => {
  describe('warming', () => {
    it('answers a hot miss from cold and leaves the complete session in hot', async () => {
      const { store, hot, cold } = layered();
      await store.setMany(
        key,
        [
          { field: 'a', value: utf8('1') },
          { field: 'b', value: utf8('2') },
        ],
        write(),
      );
      // Writes never warm: hot holds nothing until the session is read.
      expect(await hot.inner.getAll(key)).toBeUndefined();
      cold.reset();
      const session = await store.getAll(key);
      expect(names(session)).toEqual(['a', 'b']);
      expect(cold.calls.getAll).toBe(1);
      // ~complete carries the cold session's timing, and the warm took its mark back: nothing
      // else, since a hot hit reads every entry.
      expect(names(await hot.inner.getAll(key))).toEqual(['a', 'b', '~complete'].sort());
    });

    it('answers the next reads, whole or by field, without touching cold', async () => {
      const { store, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.getAll(key);
      cold.reset();
      expect(names(await store.getAll(key))).toEqual(['a']);
      expect(text(await store.get(key, 'a'))).toBe('1');
      expect(await store.get(key, 'missing')).toBeUndefined();
      expect(cold.total()).toBe(0);
    });

    it('warms on a field read too, and then answers by field from hot', async () => {
      const { store, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      cold.reset();
      expect(text(await store.get(key, 'a'))).toBe('1');
      expect(cold.calls.getAll).toBe(1);
      cold.reset();
      expect(text(await store.get(key, 'a'))).toBe('1');
      expect(cold.total()).toBe(0);
    });

    it("caps each copy's hot TTL at the hot TTL and at the field's own remaining TTL", async () => {
      const { store, hot } = layered({ hotTtl: 60 });
      await store.setMany(
        key,
        [
          { field: 'plain', value: utf8('1') },
          { field: 'short', value: utf8('2'), ttlMs: 10_000 },
          { field: 'long', value: utf8('3'), ttlMs: 2 * HOUR },
        ],
        write(),
      );
      await store.getAll(key);
      const held = (await hot.inner.getAll(key))?.fields;
      // A field without a TTL lives with the entry; ~complete says how long it is trusted.
      expect(held?.get('plain')?.ttlMs).toBeNull();
      expect(held?.get('~t:short')?.ttlMs).toBeLessThanOrEqual(10_000);
      expect(held?.get('~t:long')?.ttlMs).toBeLessThanOrEqual(MINUTE);
      expect((await hot.inner.getAll(key))?.ttlMs).toBeLessThanOrEqual(MINUTE);
    });

    it("caps the whole entry at the cold session's remaining TTL when that is shorter", async () => {
      const [hotTime, coldTime] = [clock(), clock()];
      const { store, hot } = layered({ hotTtl: 3_600, hotNow: hotTime.now, coldNow: coldTime.now });
      await store.set(key, { field: 'a', value: utf8('1') }, write({ idleMs: 30_000 }));
      await store.getAll(key);
      const entry = await hot.inner.getAll(key);
      expect(entry?.ttlMs).toBeLessThanOrEqual(30_000);
      hotTime.advance(30_000 - 1);
      expect(isComplete(readHotEntry(await hot.inner.getAll(key)))).toBe(true);
      hotTime.advance(1);
      expect(isComplete(readHotEntry(await hot.inner.getAll(key)))).toBe(false);
    });

    it('reads cold again once the hot TTL has run out, and warms afresh', async () => {
      const [hotTime, coldTime] = [clock(), clock()];
      const { store, cold } = layered({ hotTtl: 60, hotNow: hotTime.now, coldNow: coldTime.now });
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.getAll(key);
      hotTime.advance(MINUTE);
      coldTime.advance(MINUTE);
      cold.reset();
      expect(names(await store.getAll(key))).toEqual(['a']);
      expect(cold.calls.getAll).toBe(1);
      cold.reset();
      await store.getAll(key);
      expect(cold.total()).toBe(0);
    });

    it('does not trust an entry that holds only some of the session', async () => {
      const [hotTime, coldTime] = [clock(), clock()];
      const { store, hot, cold } = layered({
        hotTtl: 60,
        hotNow: hotTime.now,
        coldNow: coldTime.now,
      });
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await store.getAll(key);
      hotTime.advance(50_000);
      coldTime.advance(50_000);
      // Written through while hot was complete: this copy outlives the warmed ones.
      await store.set(key, { field: 'b', value: utf8('2') }, write());
      hotTime.advance(20_000);
      coldTime.advance(20_000);
      const held = await hot.inner.getAll(key);
      expect(names(held)).toContain('b');
      expect(isComplete(readHotEntry(held))).toBe(false);
      cold.reset();
      expect(names(await store.getAll(key))).toEqual(['a', 'b']);
      expect(text(await store.get(key, 'a'))).toBe('1');
      expect(cold.calls.getAll).toBe(1);
    });

    it('deletes what hot holds for a session that cold no longer has', async () => {
      const { store, hot } = layered();
      await hot.inner.set(key, { field: 'orphan', value: utf8('x') }, write());
      expect(await store.getAll(key)).toBeUndefined();
      expect(await store.get(key, 'orphan')).toBeUndefined();
      expect(await hot.inner.getAll(key)).toBeUndefined();
    });

    it('creates no hot entry for a session that does not exist', async () => {
      const { store, hot } = layered();
      expect(await store.getAll(key)).toBeUndefined();
      expect(await store.get(key, 'a')).toBeUndefined();
      expect(hot.inner.size).toBe(0);
    });

    it('leaves out copies that hot holds for fields cold no longer has', async () => {
      const { store, hot, cold } = layered();
      await store.setMany(
        key,
        [
          { field: 'a', value: utf8('1') },
          { field: 'gone', value: utf8('x') },
        ],
        write(),
      );
      await store.getAll(key);
      // As after a failure: cold lost a field behind hot's back, and hot is no longer complete.
      await cold.inner.remove(key, 'gone');
      await hot.inner.remove(key, '~complete');
      expect(names(await store.getAll(key))).toEqual(['a']);
      expect(names(await hot.inner.getAll(key))).not.toContain('gone');
      expect(names(await store.getAll(key))).toEqual(['a']);
    });
  });

  describe('the warm race', () => {
    it('withdraws the complete mark when a write lands while it warms', async () => {
      const { store, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('old') }, write());
      const snapshot = cold.hold('getAll');
      const reading = store.getAll(key);
      await vi.waitFor(() => expect(cold.calls.getAll).toBe(1));
      await store.set(key, { field: 'a', value: utf8('new') }, write());
      snapshot.release();
      // The read itself returns the snapshot it took, which was true when it was taken.
      expect(text((await reading)?.fields.get('a')?.value)).toBe('old');
      expect(text(await store.get(key, 'a'))).toBe('new');
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('new');
    });

    it('cannot bring back an entry that a delete removed while it warmed', async () => {
      const { store, hot, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      const snapshot = cold.hold('getAll');
      const reading = store.getAll(key);
      await vi.waitFor(() => expect(cold.calls.getAll).toBe(1));
      expect(await store.delete(key)).toBe(true);
      snapshot.release();
      await reading;
      expect(await hot.inner.getAll(key)).toBeUndefined();
      expect(await store.getAll(key)).toBeUndefined();
      expect(await store.get(key, 'a')).toBeUndefined();
    });

    it('lets one warm fill at a time: a read meanwhile answers from cold', async () => {
      const { store, hot, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      const snapshot = cold.hold('getAll');
      const first = store.getAll(key);
      await vi.waitFor(() => expect(cold.calls.getAll).toBe(1));
      hot.reset();
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('1');
      // It marked nothing and filled nothing: its attempt at the mark was all it wrote.
      expect(hot.calls).toEqual({ getAll: 1, setIfAbsent: 1 });
      snapshot.release();
      await first;
      cold.reset();
      expect(names(await hot.inner.getAll(key))).toEqual(['a', '~complete']);
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('1');
      expect(cold.total()).toBe(0);
    });

    it('waits out the mark of a warm that never finished, then takes over', async () => {
      const [hotTime, coldTime] = [clock(), clock()];
      const { store, hot, cold } = layered({ hotNow: hotTime.now, coldNow: coldTime.now });
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      // As a process that died after marking: the mark, and nothing else, with no TTL.
      const { entry } = warmingEntry(hotTime.now());
      await hot.inner.setIfAbsent(key, entry, write({ idleMs: HOUR }));
      for (const time of [hotTime, coldTime]) time.advance(30_000 - 1);
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('1');
      expect(names(await hot.inner.getAll(key))).toEqual(['~warming']);
      for (const time of [hotTime, coldTime]) time.advance(1);
      await store.getAll(key);
      expect(names(await hot.inner.getAll(key))).toEqual(['a', '~complete']);
      cold.reset();
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('1');
      expect(cold.total()).toBe(0);
    });

    it('takes over a mark it cannot read at once', async () => {
      const { store, hot, cold } = layered();
      await store.set(key, { field: 'a', value: utf8('1') }, write());
      await hot.inner.setIfAbsent(key, { field: '~warming', value: utf8('?') }, write());
      await store.getAll(key);
      cold.reset();
      expect(text((await store.getAll(key))?.fields.get('a')?.value)).toBe('1');
      expect(cold.total()).toBe(0);
    });

    it('notices a removal that lands while it warms', async () => {
      const { store, cold } = layered();
      await store.setMany(
        key,
        [
          { field: 'a', value: utf8('1') },
          { field: 'b', value: utf8('2') },
        ],
        write(),
      );
      const snapshot = cold.hold('getAll');
      const reading = store.getAll(key);
      await vi.waitFor(() => expect(cold.calls.getAll).toBe(1));
      expect(await store.remove(key, 'a')).toBe(true);
      snapshot.release();
      await reading;
      expect(await store.get(key, 'a')).toBeUndefined();
      expect(names(await store.getAll(key))).toEqual(['b']);
    });
  });

  describe('what a hot read reports', () => {
    it('reports TTLs, deadline and creation time on the cold clock, never the hot one', async () => {
      // Clocks a year apart: a store that mixed them would report nonsense.
      const hotTime = clock(1_000);
      const coldTime = clock(1_700_000_000_000);
      const { store, cold } = layered({
        hotTtl: 3_600,
        hotNow: hotTime.now,
        coldNow: coldTime.now,
      });
      await store.setMany(
        key,
        [
          { field: 'plain', value: utf8('1') },
          { field: 'long', value: utf8('2'), ttlMs: 2 * HOUR },
          { field: 'short', value: utf8('3'), ttlMs: 10 * MINUTE },
        ],
        write({ idleMs: 4 * HOUR, absoluteMs: 8 * HOUR }),
      );
      const fromCold = await store.getAll(key);
      for (const time of [hotTime, coldTime]) time.advance(5 * MINUTE);
      cold.reset();
      const fromHot = await store.getAll(key);
      expect(cold.total()).toBe(0);
      expect(fromHot?.createdAt).toBe(fromCold?.createdAt);
      expect(fromHot?.createdAt).toBe(1_700_000_000_000);
      expect(fromHot?.ttlMs).toBe(4 * HOUR - 5 * MINUTE);
      expect(fromHot?.maxTtlMs).toBe(8 * HOUR - 5 * MINUTE);
      expect(fromHot?.fields.get('plain')?.ttlMs).toBeNull();
      // Longer than the hot TTL, so hot's own TTL for the copy would be wrong.
      expect(fromHot?.fields.get('long')?.ttlMs).toBe(2 * HOUR - 5 * MINUTE);
      expect(fromHot?.fields.get('short')?.ttlMs).toBe(5 * MINUTE);
    });

    it('reports the TTL a write through gave the session, without reading cold', async () => {
      const [hotTime, coldTime] = [clock(), clock()];
      const { store, cold } = layered({ hotNow: hotTime.now, coldNow: coldTime.now });
      await store.set(key, { field: 'a', value: utf8('1') }, write({ idleMs: HOUR }));
      await store.getAll(key);
      for (const time of [hotTime, coldTime]) time.advance(20 * MINUTE);
      await store.set(key, { field: 'b', value: utf8('2') }, write({ idleMs: 3 * HOUR }));
      for (const time of [hotTime, coldTime]) time.advance(MINUTE);
      cold.reset();
      expect((await store.getAll(key))?.ttlMs).toBe(3 * HOUR - MINUTE);
      expect(cold.total()).toBe(0);
    });

    it('keeps field names that begin with ~ apart from its own bookkeeping', async () => {
      const { store, cold } = layered();
      const tricky = ['~complete', '~timing', '~warming', '~anchor', '~cold:a', '~~', '~'];
      await store.setMany(
        key,
        tricky.map((field) => ({ field, value: utf8(field) })),
        write(),
      );
      for (let read = 0; read < 2; read++) {
        const session = await store.getAll(key);
        expect(names(session)).toEqual([...tricky].sort());
        for (const field of tricky) {
          expect(text(session?.fields.get(field)?.value)).toBe(field);
          expect(text(await store.get(key, field))).toBe(field);
        }
      }
      expect(names(await cold.inner.getAll(key))).toEqual(tricky.map((f) => `~${f}`).sort());
    });
  });
});
