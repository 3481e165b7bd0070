import { describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';

function roundTrip(value: unknown): unknown {
  return msgpackCodec.decode(msgpackCodec.encode(value));
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** A parsed object with an own `__proto__` field, as an attacker's JSON body would produce. */
function withProtoKey(): Record<string, unknown> {
  return JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
}

function ownProto(value: unknown): unknown {
  return Object.getOwnPropertyDescriptor(value, '__proto__')?.value;
}

describe('msgpackCodec', () => {
  it('is named msgpack', () => {
    expect(msgpackCodec.name).toBe('msgpack');
  });

  describe('round trips', () => {
    it.each([
      ['a string', 'héllo wörld 👋'],
      ['an empty string', ''],
      ['null', null],
      ['undefined', undefined],
      ['true', true],
      ['a small integer', 42],
      ['a negative integer', -7],
      ['a float', 1.5],
      ['a number past 32 bits', 2 ** 40],
      ['the largest safe integer', Number.MAX_SAFE_INTEGER],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['an empty object', {}],
      ['an empty array', []],
    ])('keeps %s', (_name, value) => {
      expect(roundTrip(value)).toEqual(value);
    });

    it('keeps a Date a Date, to the millisecond', () => {
      const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
      const result = roundTrip(date);
      expect(result).toBeInstanceOf(Date);
      expect((result as Date).getTime()).toBe(date.getTime());
    });

    it('keeps a Map a Map, with non-string keys and object values', () => {
      const map = new Map<unknown, unknown>([
        ['theme', 'dark'],
        [2, { x: 1 }],
      ]);
      const result = roundTrip(map);
      expect(result).toBeInstanceOf(Map);
      expect(result).toEqual(map);
    });

    it('keeps a Set a Set', () => {
      const result = roundTrip(new Set([1, 'a', null]));
      expect(result).toBeInstanceOf(Set);
      expect(result).toEqual(new Set([1, 'a', null]));
    });

    it.each([
      ['zero', 0n],
      ['a small positive', 5n],
      ['a small negative', -5n],
      ['the largest int64', 2n ** 63n - 1n],
      ['the smallest int64', -(2n ** 63n)],
      ['the largest uint64', 2n ** 64n - 1n],
      ['a 200-bit positive', 2n ** 200n + 3n],
      ['a 100-bit negative', -(2n ** 100n) - 7n],
    ])('keeps %s BigInt a BigInt', (_name, value) => {
      const result = roundTrip(value);
      expect(typeof result).toBe('bigint');
      expect(result).toBe(value);
    });

    it('keeps numbers numbers rather than turning large ones into BigInts', () => {
      expect(typeof roundTrip(2 ** 40)).toBe('number');
      expect(typeof roundTrip(-(2 ** 52))).toBe('number');
    });

    it('keeps a Uint8Array a Uint8Array (not a Node Buffer)', () => {
      const result = roundTrip(new Uint8Array([0, 1, 254, 255]));
      expect(result?.constructor).toBe(Uint8Array);
      expect(result).toEqual(new Uint8Array([0, 1, 254, 255]));
    });

    it('keeps nested plain objects and arrays, and all of the above inside them', () => {
      const value = {
        user: { id: 7n, name: 'Ada', roles: ['admin', 'dev'], avatar: null },
        cart: [{ sku: 'A1', qty: 2, addedAt: new Date(0) }],
        prefs: new Map([['theme', { dark: true }]]),
        seen: new Set(['/home']),
        blob: new Uint8Array([1, 2, 3]),
        missing: undefined,
      };
      expect(roundTrip(value)).toEqual(value);
    });

    it('returns plain objects as plain objects, not Maps', () => {
      const result = roundTrip({
        a: { b: 1 },
        list: [{ c: 2 }],
        inMap: new Map([['k', { d: 3 }]]),
      });
      const object = result as { a: object; list: object[]; inMap: Map<string, object> };
      expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(object.a)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(object.list[0])).toBe(Object.prototype);
      expect(Object.getPrototypeOf(object.inMap.get('k'))).toBe(Object.prototype);
    });

    it('accepts an object without a prototype and returns a plain object', () => {
      const bare = Object.assign(Object.create(null) as object, { a: 1 });
      expect(roundTrip(bare)).toEqual({ a: 1 });
    });

    it('decodes many values of the same shape correctly', () => {
      for (let i = 0; i < 200; i++) {
        expect(roundTrip({ i, nested: { i, label: `n${i}` } })).toEqual({
          i,
          nested: { i, label: `n${i}` },
        });
      }
    });

    it('decodes bytes written earlier, so stored sessions stay readable', () => {
      const stored = fromHex(
        'd4724095a46e616d65a26174a474616773a57072656673a16ea3416461d7ffa1a5d60065937d25d473009' +
          '1a16181a57468656d65a46461726bcfab54a98ceb1f0ad2',
      );
      expect(msgpackCodec.decode(stored)).toEqual({
        name: 'Ada',
        at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
        tags: new Set(['a']),
        prefs: new Map([['theme', 'dark']]),
        n: 12345678901234567890n,
      });
    });
  });

  describe('__proto__ keys', () => {
    it('keeps an own __proto__ key as data without changing the prototype', () => {
      const result = roundTrip(withProtoKey());
      expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
      expect(Object.keys(result as object)).toEqual(['__proto__', 'a']);
      expect(ownProto(result)).toEqual({ polluted: true });
      expect((result as { a: number }).a).toBe(1);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    });

    it('keeps __proto__ keys nested in arrays, Maps and Sets, next to other types', () => {
      const value = {
        list: [withProtoKey()],
        map: new Map([['k', withProtoKey()]]),
        set: new Set([withProtoKey()]),
        at: new Date(5),
        big: 2n ** 70n,
      };
      const result = roundTrip(value) as typeof value;
      expect(ownProto(result.list[0])).toEqual({ polluted: true });
      expect(ownProto(result.map.get('k'))).toEqual({ polluted: true });
      expect(ownProto([...result.set][0])).toEqual({ polluted: true });
      expect(result.at).toEqual(new Date(5));
      expect(result.big).toBe(2n ** 70n);
    });

    it('keeps keys that look like an escaped __proto__, with or without a real one beside them', () => {
      const lookalikes = { __proto_: 1, '__proto__~': 2, '__proto__~~': 3 };
      expect(roundTrip(lookalikes)).toEqual(lookalikes);
      const mixed = { ...withProtoKey(), ...lookalikes };
      Object.defineProperty(mixed, '__proto__', { value: 0, enumerable: true });
      const result = roundTrip(mixed) as Record<string, unknown>;
      expect(ownProto(result)).toBe(0);
      expect(result.__proto_).toBe(1);
      expect(result['__proto__~']).toBe(2);
      expect(result['__proto__~~']).toBe(3);
    });

    it('does not pollute prototypes when decoding crafted bytes with a __proto__ key', () => {
      // fixmap { "__proto__": { "polluted": true } } as standard MessagePack
      const crafted = fromHex('81a95f5f70726f746f5f5f81a8706f6c6c75746564c3');
      msgpackCodec.decode(crafted);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    });
  });

  describe('refusing values it cannot keep', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;

    it.each([
      ['a function', () => 1, /function/],
      ['a function in an object', { onClick() {} }, /function/],
      ['a function in an array', [1, () => 2], /function/],
      ['a function in a Map', new Map([['f', () => 3]]), /function/],
      ['a symbol', Symbol('s'), /symbol/],
      ['a symbol in an object', { s: Symbol('s') }, /symbol/],
      ['a symbol-keyed property', { [Symbol('k')]: 1, a: 1 }, /symbol-keyed/],
      ['a class instance', new Point(1, 2), /instance of Point/],
      ['a class instance in an array', [new Point(1, 2)], /instance of Point/],
      ['a circular value', circular, /circular/],
    ])('throws on %s', (_name, value, message) => {
      expect(() => msgpackCodec.encode(value)).toThrow(message);
    });

    it('throws on the same values beside a __proto__ key', () => {
      expect(() => msgpackCodec.encode({ ...withProtoKey(), f: () => 1 })).toThrow(/function/);
      const withPoint = Object.assign(withProtoKey(), { p: new Point(1, 2) });
      expect(() => msgpackCodec.encode(withPoint)).toThrow(/instance of Point/);
      const withSymbolKey = Object.assign(withProtoKey(), { [Symbol('k')]: 1 });
      expect(() => msgpackCodec.encode(withSymbolKey)).toThrow(/symbol-keyed/);
      const circularWithProto = withProtoKey();
      circularWithProto.self = circularWithProto;
      expect(() => msgpackCodec.encode(circularWithProto)).toThrow(/circular/);
    });

    it.each([
      ['a lone high surrogate', '\ud800'],
      ['a lone low surrogate inside text', 'ab\udc00cd'],
      ['a lone surrogate in a nested array', { a: [1, ['x\udbff']] }],
      ['a lone surrogate in an object key', { '\ud800': 1 }],
      ['a lone surrogate in a Map key', new Map([['\udfff', 1]])],
      ['a lone surrogate in a Set', new Set(['ok', '\ud83d'])],
      ['a lone surrogate beside a __proto__ key', Object.assign(withProtoKey(), { s: '\ud800' })],
    ])('throws on %s rather than store U+FFFD in its place', (_name, value) => {
      expect(() => msgpackCodec.encode(value)).toThrow(/lone surrogate \(U\+D[89A-F][0-9A-F]{2}\)/);
    });

    it('keeps real U+FFFD characters and surrogate pairs', () => {
      const value = { text: 'a\ufffdb', emoji: '🙂 \ud83d\ude42', key: { '\ufffd': '\ufffd' } };
      expect(roundTrip(value)).toEqual(value);
    });

    it('still encodes correctly after a refused value', () => {
      expect(() => msgpackCodec.encode({ a: 1, f: () => 1 })).toThrow();
      expect(roundTrip({ a: 1, f: 2 })).toEqual({ a: 1, f: 2 });
    });
  });

  describe('bytes', () => {
    it('returns a Uint8Array of its own that later encodes do not overwrite', () => {
      const first = msgpackCodec.encode({ a: 'first' });
      const copy = Uint8Array.from(first);
      msgpackCodec.encode({ a: 'second, and longer than the first' });
      expect(first.constructor).toBe(Uint8Array);
      expect(first.byteLength).toBe(first.buffer.byteLength);
      expect(first).toEqual(copy);
    });

    it('decodes binary data that does not alias the input bytes', () => {
      const bytes = msgpackCodec.encode({ blob: new Uint8Array([1, 2, 3]) });
      const result = msgpackCodec.decode(bytes) as { blob: Uint8Array };
      bytes.fill(0);
      expect(result.blob).toEqual(new Uint8Array([1, 2, 3]));
    });

    it('never completes a truncated value with bytes of the value decoded before it', () => {
      const whole = msgpackCodec.encode({ note: 'a value long enough to leave bytes behind' });
      expect(msgpackCodec.decode(whole)).toEqual({
        note: 'a value long enough to leave bytes behind',
      });
      expect(() => msgpackCodec.decode(whole.slice(0, -3))).toThrow();
      expect(() => msgpackCodec.decode(whole.slice(0, 1))).toThrow();
    });

    it('decodes values of any size, and binary in them as copies of their own', () => {
      for (const size of [1, 4000, 5000, 100_000]) {
        const blob = new Uint8Array(size).fill(size % 251);
        const decoded = msgpackCodec.decode(msgpackCodec.encode({ blob })) as { blob: Uint8Array };
        msgpackCodec.decode(msgpackCodec.encode({ blob: new Uint8Array(size).fill(7) }));
        expect(decoded.blob).toEqual(blob);
      }
    });

    it.each([
      ['no bytes', new Uint8Array()],
      ['a lone 0xc1', new Uint8Array([0xc1])],
      ['0xc1 twice', new Uint8Array([0xc1, 0xc1])],
      ['text', new TextEncoder().encode('not msgpack at all')],
      ['0xff bytes', new Uint8Array([0xff, 0xff, 0xff])],
      ['a truncated value', msgpackCodec.encode({ name: 'Ada' }).slice(0, -1)],
      ['a value with trailing bytes', Uint8Array.from([...msgpackCodec.encode('ok'), 1, 2])],
      ['a map claiming more entries than it has', fromHex('dfffffffff')],
      ['a pointer extension', fromHex('d67000000001')],
    ])('throws when decoding %s', (_name, bytes) => {
      expect(() => msgpackCodec.decode(bytes)).toThrow();
    });
  });
});
