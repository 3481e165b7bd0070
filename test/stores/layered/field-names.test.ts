import { describe, expect, it } from 'vitest';
import {
  ANCHOR_FIELD,
  COMPLETE_FIELD,
  coldOnlyField,
  coldOnlyMarker,
  fieldOf,
  parseStoredName,
  storedName,
  TIMING_FIELD,
  WARMING_FIELD,
} from '../../../src/stores/layered/field-names.ts';

const bookkeeping = [
  COMPLETE_FIELD,
  TIMING_FIELD,
  WARMING_FIELD,
  ANCHOR_FIELD,
  coldOnlyMarker('a'),
];

describe('layered field names', () => {
  it('stores ordinary field names as they are, so cold data stays readable on its own', () => {
    for (const field of ['a', 'cart', '@flash:notice', '__proto__', 'ключ 🍪', 'a~b', '']) {
      expect(storedName(field)).toBe(field);
      expect(parseStoredName(field)).toEqual({ kind: 'field', field });
      expect(fieldOf(field)).toBe(field);
    }
  });

  it('never lets a field of the session pass for bookkeeping, whatever its name', () => {
    for (const field of [...bookkeeping, '~', '~~', '~~~x', '~cold:', '~complete~']) {
      const stored = storedName(field);
      expect(bookkeeping).not.toContain(stored);
      expect(parseStoredName(stored)).toEqual({ kind: 'field', field });
      expect(fieldOf(stored)).toBe(field);
    }
  });

  it('recognises its own bookkeeping', () => {
    for (const name of bookkeeping) {
      expect(parseStoredName(name)).toEqual({ kind: 'meta', name });
      expect(fieldOf(name)).toBeUndefined();
    }
  });

  it('names the field a cold-only marker marks, and nothing for other bookkeeping', () => {
    expect(coldOnlyField(coldOnlyMarker('~cart'))).toBe('~cart');
    expect(coldOnlyField(coldOnlyMarker(''))).toBe('');
    expect(coldOnlyField(COMPLETE_FIELD)).toBeUndefined();
  });
});
