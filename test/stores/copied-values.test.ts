import { describe, expect, it } from 'vitest';
import { copyValues, SHARED_BLOCK_BYTES } from '../../src/stores/copied-values.ts';

const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill);

describe('copyValues', () => {
  it('copies every value, in order, into memory the inputs do not share', () => {
    const values = [bytes(3, 1), bytes(0, 2), bytes(100, 3), bytes(1, 4)];
    const copies = copyValues(values);
    expect(copies).toEqual(values);
    for (const value of values) value.fill(9);
    expect(copies.map((copy) => copy[0])).toEqual([1, undefined, 3, 4]);
  });

  it('keeps copies apart although small ones share a block', () => {
    const copies = copyValues([bytes(10, 1), bytes(10, 2)]);
    expect(copies[0]?.buffer).toBe(copies[1]?.buffer);
    copies[0]?.fill(7);
    expect(copies[1]).toEqual(bytes(10, 2));
  });

  it('never puts more than a block in one allocation, and gives a larger value its own', () => {
    const values = [
      ...Array.from({ length: 30 }, (_, n) => bytes(500, n)),
      bytes(SHARED_BLOCK_BYTES, 200),
      bytes(SHARED_BLOCK_BYTES + 1, 201),
      bytes(1, 202),
    ];
    const copies = copyValues(values);
    expect(copies).toEqual(values);
    for (const copy of copies) {
      expect(copy.buffer.byteLength).toBeLessThanOrEqual(
        Math.max(SHARED_BLOCK_BYTES, copy.byteLength),
      );
    }
    expect(copies.at(-2)?.buffer.byteLength).toBe(SHARED_BLOCK_BYTES + 1);
    expect(copies.at(-1)?.buffer.byteLength).toBe(1);
  });
});
