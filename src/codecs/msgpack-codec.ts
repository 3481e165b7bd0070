/**
 * The default codec: MessagePack through msgpackr, set up so that the types people keep in a
 * session come back as the same types.
 *
 * @packageDocumentation
 */

import { C1, Packr } from 'msgpackr';
import type { Codec } from './codec.ts';

/**
 * msgpackr renames a `__proto__` key to `__proto_` when it decodes (its guard against prototype
 * pollution), so such objects cannot take the normal path. Values holding one are written with
 * escaped keys behind this byte instead. MessagePack never uses 0xc1, so no ordinary encoding
 * starts with it and the two cannot be confused.
 */
const ESCAPED_KEYS_MARKER = 0xc1;

/** Thrown from inside msgpackr to leave the fast path; it never escapes this module. */
const PROTO_KEY_FOUND = new Error('internal: an object has an own __proto__ key');

/** Refuses objects whose encoding would quietly lose something. */
function assertEncodableObject(object: object): void {
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(
      `found an instance of ${className(object)}; only its own fields would be stored and it ` +
        'would come back as a plain object without its methods, getters or private fields',
    );
  }
  if (Object.getOwnPropertySymbols(object).length > 0) {
    throw new TypeError('found a symbol-keyed property, which would be dropped');
  }
}

/**
 * msgpackr asks this about every object it writes as a record, which is the one place we see
 * each object without a walk of our own.
 */
function inspectObject(object: object): boolean {
  assertEncodableObject(object);
  if (Object.hasOwn(object, '__proto__')) throw PROTO_KEY_FOUND;
  return true;
}

function className(object: object): string {
  const name: unknown = (object as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'a class';
}

/*
 * Why these options:
 * - moreTypes gives Set and typed arrays their own extensions (without it a Set comes back as an
 *   array and a Uint8Array as a Node Buffer), and writes BigInts past 64 bits with msgpackr's
 *   bigint extension. largeBigIntToString and largeBigIntToFloat would change the type or lose
 *   digits, so they stay off.
 * - Records (useRecords) are what tell a plain object from a Map: objects are written as records
 *   and decode as objects, while Maps stay MessagePack maps and, with mapsAsObjects off, decode
 *   as Maps. Record definitions travel inside each value (no shared structures), so any process
 *   can decode any value. The function form is only there to call inspectObject.
 * - int64AsType 'bigint': msgpackr writes 64-bit integers only for BigInts (numbers past 32 bits
 *   are float64), so 5n comes back as 5n and large numbers stay numbers. 'auto' would turn small
 *   BigInts into numbers.
 * - useToJSON false: a class's toJSON is usually an API response shape, and storing it would
 *   silently change the type. Class instances are refused instead (inspectObject).
 * - structuredClone false: cycles are rare in session data and reference tracking costs about a
 *   quarter of the speed; false also makes decoding refuse pointer extensions in crafted bytes.
 *   A circular value overflows the stack, which encode reports as such.
 * - copyBuffers: decoded binary must not alias the store driver's buffer, which it may reuse.
 * - writeFunction: msgpackr writes functions as undefined by default, a silent loss.
 */
const packr = new Packr({
  moreTypes: true,
  useBigIntExtension: true,
  useRecords: inspectObject,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  useToJSON: false,
  structuredClone: false,
  copyBuffers: true,
  writeFunction: () => {
    throw new TypeError('found a function, which cannot be stored');
  },
});

const PROTO_KEY = /^__proto__~*$/;
const ESCAPED_PROTO_KEY = /^__proto__~+$/;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Appends `~` to `__proto__`, `__proto__~`, ...: a bijection that leaves every other key alone,
 * so only the objects that need it pay for the copy.
 */
function escapeProtoKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(escapeProtoKeys);
  if (value instanceof Map) {
    return new Map(Array.from(value, ([k, v]) => [escapeProtoKeys(k), escapeProtoKeys(v)]));
  }
  if (value instanceof Set) return new Set(Array.from(value, escapeProtoKeys));
  // Anything else is left to msgpackr, which encodes it or refuses it as usual.
  if (!isPlainObject(value)) return value;
  assertEncodableObject(value);
  const escaped: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    escaped[PROTO_KEY.test(key) ? `${key}~` : key] = escapeProtoKeys(value[key]);
  }
  return escaped;
}

function restoreProtoKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(restoreProtoKeys);
  if (value instanceof Map) {
    return new Map(Array.from(value, ([k, v]) => [restoreProtoKeys(k), restoreProtoKeys(v)]));
  }
  if (value instanceof Set) return new Set(Array.from(value, restoreProtoKeys));
  if (!isPlainObject(value)) return value;
  const restored: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const original = ESCAPED_PROTO_KEY.test(key) ? key.slice(0, -1) : key;
    // Plain assignment to `__proto__` would set the prototype instead of creating a field.
    Object.defineProperty(restored, original, {
      value: restoreProtoKeys(value[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return restored;
}

/** A circular value recurses until the stack runs out; say that rather than "call stack". */
function explainOverflow<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof RangeError && error.message.includes('call stack')) {
      throw new TypeError('the value is circular or nested too deeply', { cause: error });
    }
    throw error;
  }
}

function packValue(value: unknown): Uint8Array {
  let packed: Uint8Array;
  try {
    // Copied because msgpackr returns a view into a scratch buffer shared with later encodes.
    packed = new Uint8Array(packr.pack(value));
  } catch (error) {
    if (error !== PROTO_KEY_FOUND) throw error;
    const escaped = packr.pack(escapeProtoKeys(value));
    packed = new Uint8Array(escaped.length + 1);
    packed[0] = ESCAPED_KEYS_MARKER;
    packed.set(escaped, 1);
  }
  // msgpackr writes a lone surrogate as U+FFFD, silently. Only output holding U+FFFD can hide
  // one, so the value itself is searched only then.
  if (hasReplacementCharacter(packed)) assertWellFormed(value);
  return packed;
}

/** U+FFFD in UTF-8. */
const REPLACEMENT = [0xef, 0xbf, 0xbd] as const;

function hasReplacementCharacter(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(REPLACEMENT[0]); i !== -1; i = bytes.indexOf(REPLACEMENT[0], i + 1)) {
    if (bytes[i + 1] === REPLACEMENT[1] && bytes[i + 2] === REPLACEMENT[2]) return true;
  }
  return false;
}

/** In a `u` regex a surrogate pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Throws on a string, or an object or Map key, that UTF-8 cannot hold. */
function assertWellFormed(value: unknown): void {
  if (typeof value === 'string') {
    const found = LONE_SURROGATE.exec(value);
    if (found) {
      const code = (found[0].codePointAt(0) ?? 0).toString(16).toUpperCase();
      throw new TypeError(
        `found a string with a lone surrogate (U+${code}), which MessagePack stores as UTF-8 ` +
          'and would turn into U+FFFD; store well-formed text, or use the json codec for this key',
      );
    }
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value) || value instanceof Set) {
    for (const item of value) assertWellFormed(item);
  } else if (value instanceof Map) {
    for (const [key, item] of value) {
      assertWellFormed(key);
      assertWellFormed(item);
    }
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      assertWellFormed(key);
      assertWellFormed(value[key]);
    }
  }
}

function encode(value: unknown): Uint8Array {
  return explainOverflow(() => packValue(value));
}

/**
 * msgpackr keeps a DataView of each buffer it decodes as a property of that buffer, so decoding
 * a fresh view (every field of every read) pays for a DataView and a new property each time:
 * more than copying the bytes. Small values are therefore decoded from one buffer kept for it.
 * Decoded binary is copied out (copyBuffers), so nothing returned points into it, and msgpackr
 * fails a value that reads past `end`, so bytes left behind by an earlier value never complete
 * a truncated one. A decode that somehow ran inside another (msgpackr extensions can call out)
 * uses the caller's bytes directly rather than overwrite the kept buffer mid-read.
 */
const scratch = new Uint8Array(4096);
const scratchRange = { start: 0, end: 0 };
let scratchInUse = false;

function unpack(bytes: Uint8Array): unknown {
  // msgpackr reads an `end` of 0 as "to the end of the buffer", so empty input goes direct.
  if (bytes.length === 0 || bytes.length > scratch.length || scratchInUse) {
    return packr.unpack(bytes);
  }
  scratch.set(bytes);
  scratchRange.end = bytes.length;
  scratchInUse = true;
  try {
    return packr.unpack(scratch, scratchRange);
  } finally {
    scratchInUse = false;
  }
}

function decode(bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw new TypeError('there are no bytes to decode');
  const escaped = bytes[0] === ESCAPED_KEYS_MARKER;
  const value: unknown = unpack(escaped ? bytes.subarray(1) : bytes);
  // msgpackr returns a marker object for a bare 0xc1 instead of failing.
  if (value === C1) throw new TypeError('the bytes are not MessagePack');
  return escaped ? restoreProtoKeys(value) : value;
}

/**
 * The default codec. Date, Map, Set, BigInt (of any size), Uint8Array and other typed arrays,
 * `undefined`, NaN and ±Infinity, and nested plain objects and arrays come back with their types.
 * An own `__proto__` key is kept as data and never touches a prototype.
 *
 * Encoding throws rather than lose data silently: on functions, symbols, symbol-keyed properties,
 * class instances (store plain data instead) and circular values.
 */
export const msgpackCodec: Codec = Object.freeze({ name: 'msgpack', encode, decode });
