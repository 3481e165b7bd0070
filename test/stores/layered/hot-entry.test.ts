import { describe, expect, it } from 'vitest';
import type { FieldWrite, StoredSession } from '../../../src/core/store-contract.ts';
import {
  copyEntry,
  decodeHotValue,
  hotOnlyEntry,
  isComplete,
  lookUp,
  pointerEntry,
  readHotEntry,
  timingEntry,
  warmEntries,
  warmingEntry,
} from '../../../src/stores/layered/hot-entry.ts';

const HOT_TTL = 60_000;
/** When the warms below began, on the hot clock. */
const SINCE = 5_000;
const bytes = (text: string) => new TextEncoder().encode(text);

/** What the hot store would report for `entries`, `elapsed` ms after they were written. */
function asHotWouldReport(entries: readonly FieldWrite[], elapsed = 0): StoredSession {
  const fields = new Map(
    entries.map((entry) => [
      entry.field,
      { value: entry.value, ttlMs: typeof entry.ttlMs === 'number' ? entry.ttlMs - elapsed : null },
    ]),
  );
  return {
    fields,
    ttlMs: HOT_TTL - elapsed,
    maxTtlMs: null,
    createdAt: 0,
    readAt: SINCE + elapsed,
  };
}

const cold: StoredSession = {
  createdAt: 1_700_000_000_000,
  ttlMs: 3_600_000,
  maxTtlMs: 7_200_000,
  readAt: 1_700_000_100_000,
  fields: new Map([
    ['plain', { value: bytes('p'), ttlMs: null }],
    ['short', { value: bytes('s'), ttlMs: 10_000 }],
    ['long', { value: bytes('l'), ttlMs: 3_000_000 }],
    ['big', { value: bytes('b'), ttlMs: null }],
  ]),
};

describe('layered hot entries', () => {
  it('caps every copy with a TTL at the hot TTL and at its own life in cold', () => {
    const entries = warmEntries(cold, new Set(['big']), new Map(), HOT_TTL, SINCE) ?? [];
    const ttl = new Map(entries.map((entry) => [entry.field, entry.ttlMs]));
    expect(Object.fromEntries(ttl)).toEqual({
      // Timed by when the warm began, not by a TTL in hot.
      '~complete': undefined,
      // ~complete carries the timing: an older ~timing is removed.
      '~timing': 0,
      // Trusted only while ~complete lives, so it needs no TTL of its own.
      plain: undefined,
      short: 10_000,
      long: HOT_TTL,
      big: HOT_TTL,
    });
  });

  it('reports cold TTLs from hot by the time its own TTLs have run down', () => {
    const entries = warmEntries(cold, new Set(), new Map(), HOT_TTL, SINCE) ?? [];
    const found = lookUp(readHotEntry(asHotWouldReport(entries, 4_000)));
    expect(found.kind).toBe('hit');
    if (found.kind !== 'hit') return;
    expect(found.session).toMatchObject({
      createdAt: cold.createdAt,
      ttlMs: 3_596_000,
      maxTtlMs: 7_196_000,
      // The cold clock, moved on by the time the hot clock says has passed.
      readAt: (cold.readAt as number) + 4_000,
    });
    const ttls = Object.fromEntries([...found.session.fields].map(([n, f]) => [n, f.ttlMs]));
    expect(ttls).toEqual({ plain: null, short: 6_000, long: 2_996_000, big: null });
    expect(new TextDecoder().decode(found.session.fields.get('long')?.value)).toBe('l');
  });

  it('leaves a cold-only field to cold, and the rest of the entry to hot', () => {
    const entries = warmEntries(cold, new Set(['big']), new Map(), HOT_TTL, SINCE) ?? [];
    const view = readHotEntry(asHotWouldReport(entries));
    expect(lookUp(view)).toEqual({ kind: 'partial' });
    expect(view?.fields.get('big')).toEqual({ kind: 'pointer' });
  });

  it("leaves 'hot' fields out of what warming writes", () => {
    const entries = warmEntries(cold, new Set(), new Map([['plain', {}]]), HOT_TTL, SINCE) ?? [];
    expect(entries.map((entry) => entry.field)).not.toContain('plain');
  });

  it('does not cache a session with less than a millisecond left', () => {
    expect(
      warmEntries({ ...cold, ttlMs: 0.5 }, new Set(), new Map(), HOT_TTL, SINCE),
    ).toBeUndefined();
  });

  it('is not complete without its complete mark', () => {
    const entries = warmEntries(cold, new Set(), new Map(), HOT_TTL, SINCE) ?? [];
    const view = readHotEntry(asHotWouldReport(entries.filter((e) => e.field !== '~complete')));
    expect(isComplete(view)).toBe(false);
    expect(lookUp(view)).toEqual({ kind: 'miss' });
    expect(lookUp(undefined)).toEqual({ kind: 'miss' });
  });

  it('reports the more recent of the timing warming recorded and a later ~timing', () => {
    const warmed = asHotWouldReport(
      warmEntries(cold, new Set(), new Map(), HOT_TTL, SINCE) ?? [],
      9_000,
    );
    const ttlOf = (stored: StoredSession) => readHotEntry(stored)?.ttlMs;
    expect(ttlOf(warmed)).toBe(3_591_000);
    // Written 2 s ago, after a write that left the cold session an hour and a half.
    const later = timingEntry(5_400_000, HOT_TTL);
    const withLater = new Map(warmed.fields);
    withLater.set(later.field, { value: later.value, ttlMs: HOT_TTL - 2_000 });
    expect(ttlOf({ ...warmed, fields: withLater })).toBe(5_398_000);
    // A ~timing older than the warm (left from before it) does not count.
    withLater.set(later.field, { value: later.value, ttlMs: HOT_TTL - 20_000 });
    expect(ttlOf({ ...warmed, fields: withLater })).toBe(3_591_000);
  });

  it('is complete for its life on the hot clock, and not before it began', () => {
    const entries = warmEntries(cold, new Set(), new Map(), HOT_TTL, SINCE) ?? [];
    const at = (elapsed: number) => isComplete(readHotEntry(asHotWouldReport(entries, elapsed)));
    expect(at(0)).toBe(true);
    expect(at(HOT_TTL - 1)).toBe(true);
    expect(at(HOT_TTL)).toBe(false);
    // A hot clock that went back cannot stretch the life.
    expect(at(-1)).toBe(false);
    // No longer than the cold session had left when warmed.
    const short = warmEntries({ ...cold, ttlMs: 2_000 }, new Set(), new Map(), HOT_TTL, SINCE);
    const atShort = (elapsed: number) =>
      isComplete(readHotEntry(asHotWouldReport(short ?? [], elapsed)));
    expect([atShort(1_999), atShort(2_000)]).toEqual([true, false]);
  });

  it("counts from the hot entry's creation when the warm found no entry", () => {
    const entries = warmEntries(cold, new Set(), new Map(), HOT_TTL, Number.NaN) ?? [];
    const stored = { ...asHotWouldReport(entries), createdAt: 100, readAt: 100 + HOT_TTL - 1 };
    expect(isComplete(readHotEntry(stored))).toBe(true);
    expect(isComplete(readHotEntry({ ...stored, readAt: 100 + HOT_TTL }))).toBe(false);
  });

  it('reads an entry warmed by an older version of the store as not complete', () => {
    const stored: StoredSession = {
      createdAt: 0,
      readAt: 0,
      ttlMs: HOT_TTL,
      maxTtlMs: null,
      fields: new Map([['~complete', { value: new Uint8Array(24), ttlMs: HOT_TTL }]]),
    };
    expect(isComplete(readHotEntry(stored))).toBe(false);
  });

  it('tells how long ago a warm marked the entry', () => {
    const { entry } = warmingEntry(SINCE);
    const stored = asHotWouldReport([entry], 12_000);
    expect(readHotEntry(stored)?.warmingAge).toBe(12_000);
    expect(readHotEntry(asHotWouldReport([]))?.warmingAge).toBeUndefined();
  });

  it('treats a value it cannot read as a miss, never as data', () => {
    const entries = warmEntries(cold, new Set(), new Map(), HOT_TTL, SINCE) ?? [];
    const garbled = [...entries, { field: 'odd', value: new Uint8Array([99, 1]) }];
    expect(lookUp(readHotEntry(asHotWouldReport(garbled)))).toEqual({ kind: 'miss' });
    expect(decodeHotValue(new Uint8Array([2, 1]))).toEqual({ kind: 'unknown' });
    expect(decodeHotValue(new Uint8Array(0))).toEqual({ kind: 'unknown' });
  });

  it('keeps a copy no longer than the cold session, and mirrors a removing write', () => {
    // Without a TTL of its own a copy lives with the entry, trusted only while ~complete lives.
    expect(copyEntry('a', bytes('1'), undefined, 5_000, HOT_TTL).ttlMs).toBeUndefined();
    expect(copyEntry('a', bytes('1'), 'persistent', null, HOT_TTL).ttlMs).toBeUndefined();
    expect(copyEntry('a', bytes('1'), 90_000, 20_000, HOT_TTL).ttlMs).toBe(20_000);
    expect(copyEntry('a', bytes('1'), 0, null, HOT_TTL).ttlMs).toBe(0);
    expect(pointerEntry('a', -1, null, HOT_TTL).ttlMs).toBe(-1);
    expect(pointerEntry('a', 90_000, null, HOT_TTL).ttlMs).toBe(HOT_TTL);
  });

  it("keeps a 'hot' field at most the hot TTL, or as long as the entry without one", () => {
    const entry = { field: '~nonce', value: bytes('n') };
    expect(hotOnlyEntry({ ...entry, ttlMs: 5_000 }, HOT_TTL)).toMatchObject({
      field: '~~nonce',
      ttlMs: 5_000,
    });
    expect(hotOnlyEntry({ ...entry, ttlMs: 2 * HOT_TTL }, HOT_TTL).ttlMs).toBe(HOT_TTL);
    expect(hotOnlyEntry({ ...entry, ttlMs: 'persistent' }, HOT_TTL).ttlMs).toBeUndefined();
    expect(decodeHotValue(hotOnlyEntry(entry, HOT_TTL).value, 123)).toEqual({
      kind: 'hot',
      value: bytes('n'),
      ttlMs: 123,
    });
  });
});
