/**
 * A JSON codec, for stores that other programs read or for people who want to see their session
 * data in a database console.
 *
 * @packageDocumentation
 */

import type { Codec } from './codec.ts';

const encoder = new TextEncoder();
// fatal: invalid UTF-8 must fail loudly rather than turn into U+FFFD and parse as something else.
const decoder = new TextDecoder('utf-8', { fatal: true });

function typeName(value: object): string {
  const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'a class instance';
}

/**
 * JSON.stringify drops or rewrites what it cannot represent (functions vanish, NaN becomes null, a
 * Map becomes `{}`, a Date becomes a string). The replacer sees each value before that happens
 * (`this[key]`, not the already-converted `value`) and refuses it instead.
 */
function refuseLossyValues(this: unknown, key: string, value: unknown): unknown {
  const holder = this as Record<string, unknown>;
  const original = holder[key];
  switch (typeof original) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(original)) {
        throw new TypeError(`found ${original}, which would become null`);
      }
      return value;
    case 'undefined':
      // A property holding undefined is left out, which reads back the same; in an array it
      // would come back as null.
      if (Array.isArray(holder)) {
        throw new TypeError('found undefined in an array, which would become null');
      }
      return value;
    case 'bigint':
      throw new TypeError('found a BigInt, which JSON cannot represent');
    case 'function':
      throw new TypeError('found a function, which cannot be stored');
    case 'symbol':
      throw new TypeError('found a symbol, which cannot be stored');
  }
  if (original === null || Array.isArray(original)) return value;
  const proto: unknown = Object.getPrototypeOf(original);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(
      `found ${typeName(original as object)}, which would not come back as the same type; ` +
        'convert it to plain data first',
    );
  }
  if (Object.getOwnPropertySymbols(original as object).length > 0) {
    throw new TypeError('found a symbol-keyed property, which would be dropped');
  }
  if (typeof (original as { toJSON?: unknown }).toJSON === 'function') {
    throw new TypeError(
      'found an object with a toJSON method, which would be stored as its output',
    );
  }
  return value;
}

function encode(value: unknown): Uint8Array {
  if (value === undefined) throw new TypeError('undefined has no JSON representation');
  return encoder.encode(JSON.stringify(value, refuseLossyValues));
}

function decode(bytes: Uint8Array): unknown {
  // JSON.parse makes an own `__proto__` key a plain field, so parsed data cannot pollute.
  return JSON.parse(decoder.decode(bytes));
}

/**
 * Stores values as UTF-8 JSON. Only plain data round-trips: objects, arrays, strings, finite
 * numbers, booleans and null. An object property holding `undefined` is left out, as
 * `JSON.stringify` does.
 *
 * Encoding throws rather than change a value: on `undefined` at the top level or in an array,
 * functions, symbols, BigInt, NaN and ±Infinity, Date, Map, Set, typed arrays, class instances and
 * circular values. Use the msgpack codec to keep those types.
 */
export const jsonCodec: Codec = Object.freeze({ name: 'json', encode, decode });
