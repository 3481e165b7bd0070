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
  warmEntries,
} from '../../../src/stores/layered/hot-entry.ts';

const HOT_TTL = 60_000;
const bytes = (text: string) => new TextEncoder().encode(text);

/** What the hot store would report for `entries`, `elapsed` ms after they were written. */
function asHotWouldReport(entries: readonly FieldWrite[], elapsed = 0): StoredSession {
  const fields = new Map(
    entries.map((entry) => [
      entry.field,
      { value: entry.value, ttlMs: typeof entry.ttlMs === 'number' ? entry.ttlMs - elapsed : null },
    ]),
  );
  return { fields, ttlMs: HOT_TTL - elapsed, maxTtlMs: null, createdAt: 0 };
}

const cold: StoredSession = {
  createdAt: 1_700_000_000_000,
  ttlMs: 3_600_000,
  maxTtlMs: 7_200_000,
  fields: new Map([
    ['plain', { value: bytes('p'), ttlMs: null }],
    ['short', { value: bytes('s'), ttlMs: 10_000 }],
    ['long', { value: bytes('l'), ttlMs: 3_000_000 }],
    ['big', { value: bytes('b'), ttlMs: null }],
  ]),
};

describe('layered hot entries', () => {
  it('caps every copy with a TTL at the hot TTL and at its own life in cold', () => {
    const entries = warmEntries(cold, new Set(['big']), new Map(), HOT_TTL) ?? [];
    const ttl = new Map(entries.map((entry) => [entry.field, entry.ttlMs]));
    expect(Object.fromEntries(ttl)).toEqual({
      '~complete': HOT_TTL,
      '~timing': HOT_TTL,
      // Trusted only while ~complete lives, so it needs no TTL of its own.
      plain: undefined,
      short: 10_000,
      long: HOT_TTL,
      big: HOT_TTL,
    });
  });

  it('reports cold TTLs from hot by the time its own TTLs have run down', () => {
    const entries = warmEntries(cold, new Set(), new Map(), HOT_TTL) ?? [];
    const found = lookUp(readHotEntry(asHotWouldReport(entries, 4_000)));
    expect(found.kind).toBe('hit');
    if (found.kind !== 'hit') return;
    expect(found.session).toMatchObject({
      createdAt: cold.createdAt,
      ttlMs: 3_596_000,
      maxTtlMs: 7_196_000,
    });
    const ttls = Object.fromEntries([...found.session.fields].map(([n, f]) => [n, f.ttlMs]));
    expect(ttls).toEqual({ plain: null, short: 6_000, long: 2_996_000, big: null });
    expect(new TextDecoder().decode(found.session.fields.get('long')?.value)).toBe('l');
  });

  it('leaves a cold-only field to cold, and the rest of the entry to hot', () => {
    const entries = warmEntries(cold, new Set(['big']), new Map(), HOT_TTL) ?? [];
    const view = readHotEntry(asHotWouldReport(entries));
    expect(lookUp(view)).toEqual({ kind: 'partial' });
    expect(view?.fields.get('big')).toEqual({ kind: 'pointer' });
  });

  it("leaves 'hot' fields out of what warming writes", () => {
    const entries = warmEntries(cold, new Set(), new Map([['plain', {}]]), HOT_TTL) ?? [];
    expect(entries.map((entry) => entry.field)).not.toContain('plain');
  });

  it('does not cache a session with less than a millisecond left', () => {
    expect(warmEntries({ ...cold, ttlMs: 0.5 }, new Set(), new Map(), HOT_TTL)).toBeUndefined();
  });

  it('is not complete without both its complete mark and its timing', () => {
    const entries = warmEntries(cold, new Set(), new Map(), HOT_TTL) ?? [];
    for (const missing of ['~complete', '~timing']) {
      const view = readHotEntry(asHotWouldReport(entries.filter((e) => e.field !== missing)));
      expect(isComplete(view)).toBe(false);
      expect(lookUp(view)).toEqual({ kind: 'miss' });
    }
    expect(lookUp(undefined)).toEqual({ kind: 'miss' });
  });

  it('treats a value it cannot read as a miss, never as data', () => {
    const entries = warmEntries(cold, new Set(), new Map(), HOT_TTL) ?? [];
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
