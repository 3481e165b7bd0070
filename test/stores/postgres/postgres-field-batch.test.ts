import { describe, expect, it } from 'vitest';
import { fieldBatch, fieldParams } from '../../../src/stores/postgres/postgres-field-batch.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('fieldBatch', () => {
  it('concatenates the values and records where each one starts, counting from 1', () => {
    const batch = fieldBatch(
      [
        { field: 'a', value: bytes('xy') },
        { field: 'empty', value: new Uint8Array(0) },
        { field: 'b', value: bytes('z') },
      ],
      1_000,
    );
    expect(batch.names).toEqual(['a', 'empty', 'b']);
    expect(new TextDecoder().decode(batch.values)).toBe('xyz');
    expect(batch.starts).toEqual([1, 3, 3]);
    expect(batch.lengths).toEqual([2, 0, 1]);
  });

  it('keeps the last write of a field name, as writing them in turn would', () => {
    const batch = fieldBatch(
      [
        { field: 'a', value: bytes('first'), ttlMs: 5_000 },
        { field: 'a', value: bytes('second') },
      ],
      1_000,
    );
    expect(batch.names).toEqual(['a']);
    expect(new TextDecoder().decode(batch.values)).toBe('second');
    expect(batch.ttls).toEqual([0]);
  });

  it('extends the session by the idle timeout or the longest field ttl, whichever is longer', () => {
    expect(fieldBatch([{ field: 'a', value: bytes('1') }], 1_000).extendMs).toBe(1_000);
    const long = [{ field: 'a', value: bytes('1'), ttlMs: 9_000 }];
    expect(fieldBatch(long, 1_000).extendMs).toBe(9_000);
  });

  it('makes the session persistent when any write is persistent, even one overwritten later', () => {
    const batch = fieldBatch(
      [
        { field: 'a', value: bytes('1'), ttlMs: 'persistent' },
        { field: 'a', value: bytes('2'), ttlMs: 5_000 },
      ],
      1_000,
    );
    expect(batch.extendMs).toBeNull();
    expect(batch.ttls).toEqual([5_000]);
  });

  it('drops fields written with a ttl of zero or less instead of writing them', () => {
    const batch = fieldBatch(
      [
        { field: 'gone', value: bytes('1'), ttlMs: 0 },
        { field: 'also gone', value: bytes('2'), ttlMs: -5 },
        { field: 'kept', value: bytes('3'), ttlMs: 10 },
      ],
      1_000,
    );
    expect(batch.dropped).toEqual(['gone', 'also gone']);
    expect(batch.names).toEqual(['kept']);
    expect(batch.extendMs).toBe(1_000);
  });

  it('orders the parameters as the field-batch statements number them', () => {
    const batch = fieldBatch([{ field: 'a', value: bytes('1'), ttlMs: 7 }], 1_000);
    expect(fieldParams('key', batch)).toEqual(['key', ['a'], batch.values, [1], [1], [7], []]);
  });
});
