import { describe, expect, it } from 'vitest';
import type { StoredField } from '../../../src/core/store-contract.ts';
import {
  anchorEntry,
  coldEntry,
  coldOnlyEntries,
  readColdEntry,
  withHotFields,
} from '../../../src/stores/layered/cold-entry.ts';

const field = (text: string, ttlMs: number | null = null): StoredField => ({
  value: new TextEncoder().encode(text),
  ttlMs,
});

describe('layered cold entries', () => {
  it('writes a cold-only field with a marker of the same TTL', () => {
    const entry = { field: '~x', value: new Uint8Array([1]), ttlMs: 5_000 };
    expect(coldOnlyEntries(entry)).toEqual([
      { field: '~~x', value: entry.value, ttlMs: 5_000 },
      { field: '~cold:~x', value: new Uint8Array(0), ttlMs: 5_000 },
    ]);
    expect(coldEntry({ field: 'plain', value: entry.value })).toEqual({
      field: 'plain',
      value: entry.value,
    });
  });

  it('reads a cold session without its bookkeeping, and with its cold-only fields', () => {
    const view = readColdEntry({
      ttlMs: 1_000,
      maxTtlMs: null,
      createdAt: 7,
      readAt: 8,
      fields: new Map([
        ['a', field('1')],
        ['~~b', field('2', 500)],
        ['big', field('3')],
        ['~cold:big', field('')],
        ['~cold:gone', field('')],
        [anchorEntry.field, field('')],
        ['~unknown', field('')],
      ]),
    });
    expect([...(view?.session.fields.keys() ?? [])]).toEqual(['a', '~b', 'big']);
    expect(view?.session.fields.get('~b')?.ttlMs).toBe(500);
    expect([...(view?.coldOnly ?? [])]).toEqual(['big']);
    expect(view?.session).toMatchObject({ ttlMs: 1_000, maxTtlMs: null, createdAt: 7 });
    expect(readColdEntry(undefined)).toBeUndefined();
  });

  it("lays 'hot' fields over cold ones of the same name", () => {
    const cold = {
      ttlMs: null,
      maxTtlMs: null,
      createdAt: 1,
      readAt: 2,
      fields: new Map([['a', field('cold')]]),
    };
    const merged = withHotFields(
      cold,
      new Map([
        ['a', field('hot', 10)],
        ['b', field('b')],
      ]),
    );
    expect(merged.fields.get('a')).toEqual(field('hot', 10));
    expect([...merged.fields.keys()]).toEqual(['a', 'b']);
    expect(withHotFields(cold, new Map())).toBe(cold);
  });
});
