import { describe, expect, it } from 'vitest';
import type { FieldWrite, StoredSession } from '../../../src/core/store-contract.ts';
import {
  copyEntries,
  formOf,
  hotOnlyEntry,
  isComplete,
  lookUp,
  pointerEntries,
  readHotEntry,
  timingEntry,
  warmEntries,
  warmingEntry,
} from '../../../src/stores/layered/hot-entry.ts';

const HOT_TTL = 60_000;
/** When the warms below began, on the hot clock. */
const SINCE = 5_000;
const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * What the hot store would report for `entries`, `elapsed` ms after they were written. A TTL of
 * zero or less removes a field.
 */
function asHotWouldReport(entries: readonly FieldWrite[], elapsed = 0): StoredSession {
  const fields = new Map(
    entries
      .filter((entry) => !(typeof entry.ttlMs === 'number' && entry.ttlMs <= 0))
      .map((entry) => [
        entry.field,
        {
          value: entry.value,
          ttlMs: typeof entry.ttlMs === 'number' ? entry.ttlMs - elapsed : null,
        },
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
  const warmed = (view?: Parameters<typeof warmEntries>[2], coldOnly = new Set<string>()) =>
    warmEntries(cold, coldOnly, view, HOT_TTL, SINCE) ?? [];

  it('keeps plain copies as cold does, and caps every copy with a TTL', () => {
    const ttl = new Map(warmed(undefined, new Set(['big'])).map((e) => [e.field, e.ttlMs]));
    expect(Object.fromEntries(ttl)).toEqual({
      // Timed by when the warm began, not by a TTL in hot.
      '~complete': undefined,
      // ~complete carries the timing: an older ~timing is removed.
      '~timing': 0,
      // Trusted only while ~complete lasts, so it needs no TTL of its own, nor any other form.
      plain: undefined,
      '~t:short': 10_000,
      '~t:long': HOT_TTL,
      '~p:big': HOT_TTL,
    });
    const plain = warmed().find((e) => e.field === 'plain');
    expect(plain?.value).toBe(cold.fields.get('plain')?.value);
  });

  it('reports cold TTLs from hot by the time its own TTLs have run down', () => {
    const found = lookUp(readHotEntry(asHotWouldReport(warmed(), 4_000)));
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

  it('hands a plain copy on as the hot store gave it', () => {
    const stored = asHotWouldReport(warmed());
    const found = lookUp(readHotEntry(stored));
    if (found.kind !== 'hit') throw new Error(`a ${found.kind}`);
    expect(found.session.fields.get('plain')).toBe(stored.fields.get('plain'));
  });

  it('leaves a cold-only field to cold, and the rest of the entry to hot', () => {
    const view = readHotEntry(asHotWouldReport(warmed(undefined, new Set(['big']))));
    expect(lookUp(view)).toEqual({ kind: 'partial' });
    expect(formOf(view, 'big')).toBe('pointer');
    expect(formOf(view, 'plain')).toBe('copy');
    expect(formOf(view, 'nothing')).toBeUndefined();
  });

  it("leaves 'hot' fields out of what warming writes", () => {
    const hotPlain = hotOnlyEntry({ field: 'plain', value: bytes('h') }, HOT_TTL);
    const view = readHotEntry(asHotWouldReport([hotPlain]));
    expect(formOf(view, 'plain')).toBe('hot');
    expect(warmed(view).map((entry) => entry.field)).not.toContain('plain');
  });

  it('removes what the entry held in other forms, and fields cold no longer has', () => {
    const before = [
      ...pointerEntries('plain', undefined, null, HOT_TTL),
      ...copyEntries('gone', bytes('g'), undefined, null, HOT_TTL),
    ];
    const view = readHotEntry(asHotWouldReport(before));
    const removed = warmed(view)
      .filter((entry) => entry.ttlMs === 0)
      .map((entry) => entry.field);
    expect(removed).toEqual(
      expect.arrayContaining(['~p:plain', 'gone', '~t:gone', '~p:gone', '~h:gone']),
    );
    const after = new Map(asHotWouldReport(before).fields);
    for (const { field, value, ttlMs } of warmed(view)) {
      if (ttlMs === 0) after.delete(field);
      else after.set(field, { value, ttlMs: typeof ttlMs === 'number' ? ttlMs : null });
    }
    expect([...after.keys()].sort()).toEqual(['big', 'plain', '~complete', '~t:long', '~t:short']);
    expect(lookUp(readHotEntry({ ...asHotWouldReport([]), fields: after })).kind).toBe('hit');
  });

  it('does not cache a session with less than a millisecond left', () => {
    expect(
      warmEntries({ ...cold, ttlMs: 0.5 }, new Set(), undefined, HOT_TTL, SINCE),
    ).toBeUndefined();
  });

  it('is not complete without its complete mark', () => {
    const entries = warmed().filter((e) => e.field !== '~complete');
    const view = readHotEntry(asHotWouldReport(entries));
    expect(isComplete(view)).toBe(false);
    expect(lookUp(view)).toEqual({ kind: 'miss' });
    expect(lookUp(undefined)).toEqual({ kind: 'miss' });
  });

  it('reports the more recent of the timing warming recorded and a later ~timing', () => {
    const report = () => asHotWouldReport(warmed(), 9_000);
    const later = timingEntry(5_400_000, HOT_TTL);
    /** The TTL reported with a ~timing written `ago` ms before, if any. */
    const ttlWith = (ago?: number) => {
      const stored = report();
      if (ago !== undefined) {
        stored.fields.set(later.field, { value: later.value, ttlMs: HOT_TTL - ago });
      }
      return readHotEntry(stored)?.ttlMs;
    };
    expect(ttlWith()).toBe(3_591_000);
    // Written 2 s ago, after a write that left the cold session an hour and a half.
    expect(ttlWith(2_000)).toBe(5_398_000);
    // A ~timing older than the warm (left from before it) does not count.
    expect(ttlWith(20_000)).toBe(3_591_000);
  });

  it('is complete for its life on the hot clock, and not before it began', () => {
    const entries = warmed();
    const at = (elapsed: number) => isComplete(readHotEntry(asHotWouldReport(entries, elapsed)));
    expect(at(0)).toBe(true);
    expect(at(HOT_TTL - 1)).toBe(true);
    expect(at(HOT_TTL)).toBe(false);
    // A hot clock that went back cannot stretch the life.
    expect(at(-1)).toBe(false);
    // No longer than the cold session had left when warmed.
    const short = warmEntries({ ...cold, ttlMs: 2_000 }, new Set(), undefined, HOT_TTL, SINCE);
    const atShort = (elapsed: number) =>
      isComplete(readHotEntry(asHotWouldReport(short ?? [], elapsed)));
    expect([atShort(1_999), atShort(2_000)]).toEqual([true, false]);
  });

  it("counts from the hot entry's creation when the warm found no entry", () => {
    const entries = warmEntries(cold, new Set(), undefined, HOT_TTL, Number.NaN) ?? [];
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

  it('treats a value it cannot read, or a field in two forms, as a miss, never as data', () => {
    const garbled = [...warmed(), { field: '~t:odd', value: new Uint8Array([1, 2]) }];
    const view = readHotEntry(asHotWouldReport(garbled));
    expect(lookUp(view)).toEqual({ kind: 'miss' });
    expect(formOf(view, 'odd')).toBe('copy');
    // Warming removes it, though cold does not have it.
    expect(warmed(view).map((entry) => entry.field)).toContain('~t:odd');
    const twice = [...warmed(), { field: '~h:plain', value: bytes('h') }];
    expect(lookUp(readHotEntry(asHotWouldReport(twice)))).toEqual({ kind: 'miss' });
  });

  it('writes a field in one form and removes the others, or all of them for a removal', () => {
    const fields = (entries: FieldWrite[]) => entries.map((e) => [e.field, e.ttlMs]);
    expect(fields(copyEntries('a', bytes('1'), undefined, 5_000, HOT_TTL))).toEqual([
      ['a', undefined],
      ['~t:a', 0],
      ['~p:a', 0],
      ['~h:a', 0],
    ]);
    expect(copyEntries('a', bytes('1'), 'persistent', null, HOT_TTL)[0]?.ttlMs).toBeUndefined();
    expect(copyEntries('a', bytes('1'), 90_000, 20_000, HOT_TTL)[0]).toMatchObject({
      field: '~t:a',
      ttlMs: 20_000,
    });
    expect(copyEntries('~a', bytes('1'), undefined, null, HOT_TTL)[0]?.field).toBe('~~a');
    expect(fields(copyEntries('a', bytes('1'), 0, null, HOT_TTL))).toEqual([
      ['a', 0],
      ['~t:a', 0],
      ['~p:a', 0],
      ['~h:a', 0],
    ]);
    expect(pointerEntries('a', -1, null, HOT_TTL).every((e) => e.ttlMs === 0)).toBe(true);
    expect(pointerEntries('a', 90_000, null, HOT_TTL)[0]).toMatchObject({
      field: '~p:a',
      ttlMs: HOT_TTL,
    });
  });

  it("keeps a 'hot' field at most the hot TTL, or as long as the entry without one", () => {
    const entry = { field: '~nonce', value: bytes('n') };
    expect(hotOnlyEntry({ ...entry, ttlMs: 5_000 }, HOT_TTL)).toMatchObject({
      field: '~h:~nonce',
      ttlMs: 5_000,
    });
    expect(hotOnlyEntry({ ...entry, ttlMs: 2 * HOT_TTL }, HOT_TTL).ttlMs).toBe(HOT_TTL);
    expect(hotOnlyEntry({ ...entry, ttlMs: 'persistent' }, HOT_TTL).ttlMs).toBeUndefined();
    const view = readHotEntry(asHotWouldReport([hotOnlyEntry(entry, HOT_TTL)]));
    expect(view?.fields.get('~nonce')?.value).toEqual(bytes('n'));
    expect(formOf(view, '~nonce')).toBe('hot');
  });
});
