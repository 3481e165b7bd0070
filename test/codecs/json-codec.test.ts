import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../src/codecs/json-codec.ts';

function roundTrip(value: unknown): unknown {
  return jsonCodec.decode(jsonCodec.encode(value));
}

describe('jsonCodec', () => {
  it('is named json', () => {
    expect(jsonCodec.name).toBe('json');
  });

  describe('round trips', () => {
    it.each([
      ['a string', 'héllo wörld 👋'],
      ['a lone surrogate', '\ud800'],
      ['an empty string', ''],
      ['null', null],
      ['false', false],
      ['an integer', 42],
      ['a float', -1.25],
      ['an empty object', {}],
      ['an empty array', []],
      [
        'nested plain data',
        { user: { id: 7, name: 'Ada', roles: ['admin'], avatar: null }, cart: [{ qty: 2 }] },
      ],
    ])('keeps %s', (_name, value) => {
      expect(roundTrip(value)).toEqual(value);
    });

    it('accepts an object without a prototype', () => {
      const bare = Object.assign(Object.create(null) as object, { a: 1 });
      expect(roundTrip(bare)).toEqual({ a: 1 });
    });

    it('leaves out object properties that hold undefined, as JSON.stringify does', () => {
      expect(roundTrip({ a: 1, b: undefined })).toEqual({ a: 1 });
    });

    it('keeps an own __proto__ key as data without changing the prototype', () => {
      const result = roundTrip(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
      expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toEqual({
        polluted: true,
      });
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    });
  });

  it('encodes UTF-8 JSON text that other programs can read', () => {
    const bytes = jsonCodec.encode({ name: 'Zoë', n: [1, 2] });
    expect(new TextDecoder().decode(bytes)).toBe('{"name":"Zoë","n":[1,2]}');
  });

  describe('refusing values it cannot keep', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const circular: Record<string, unknown> = {};
    circular.self = circular;

    it.each([
      ['undefined at the top level', undefined, /undefined/],
      ['undefined in an array', [1, undefined], /undefined in an array/],
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point of the test
      ['a hole in an array', [1, , 3], /undefined in an array/],
      ['a function', () => 1, /function/],
      ['a function in an object', { onClick() {} }, /function/],
      ['a symbol', Symbol('s'), /symbol/],
      ['a symbol in an object', { s: Symbol('s') }, /symbol/],
      ['a symbol-keyed property', { [Symbol('k')]: 1 }, /symbol-keyed/],
      ['a BigInt', 1n, /BigInt/],
      ['a BigInt in an object', { id: 1n }, /BigInt/],
      ['NaN', Number.NaN, /NaN/],
      ['Infinity', { n: Number.POSITIVE_INFINITY }, /Infinity/],
      ['a Date', { at: new Date(0) }, /a Date/],
      ['a Map', new Map([['a', 1]]), /a Map/],
      ['a Set', [new Set([1])], /a Set/],
      ['a Uint8Array', new Uint8Array([1]), /a Uint8Array/],
      ['a class instance', new Point(1), /a Point/],
      ['an object with toJSON', { toJSON: () => 'x' }, /toJSON/],
      ['a circular value', circular, /circular/],
    ])('throws on %s', (_name, value, message) => {
      expect(() => jsonCodec.encode(value)).toThrow(message);
    });
  });

  describe('decoding', () => {
    it.each([
      ['no bytes', new Uint8Array()],
      ['text that is not JSON', new TextEncoder().encode('{not json')],
      ['truncated JSON', jsonCodec.encode({ a: 'b' }).slice(0, -1)],
      ['invalid UTF-8', new Uint8Array([0x22, 0xff, 0xfe, 0x22])],
    ])('throws on %s', (_name, bytes) => {
      expect(() => jsonCodec.decode(bytes)).toThrow();
    });
  });
});
