/**
 * SHA-256 and HMAC-SHA-256 (FIPS 180-4, RFC 2104) in plain JavaScript, synchronous on every
 * runtime. The cookie path hashes a few hundred bytes per request, and at that size the call
 * costs more than the hashing: `node:crypto` builds a native object per hash, Web Crypto runs an
 * async job. Only additions, rotations and xors touch the data, never a table lookup, so the time
 * a hash takes depends on the length alone (and, for text, on where its first non-ASCII
 * character is, if any: ASCII is copied without the encoder).
 *
 * @packageDocumentation
 */

const ROUND_CONSTANTS = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL_STATE = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const BLOCK_BYTES = 64;

const encoder = new TextEncoder();
/** The message schedule, and the message being hashed with its padding: reused, never shared. */
const schedule = new Int32Array(64);
let scratch = new Uint8Array(512);

/** Mixes one 64-byte block of `bytes`, from `offset`, into `state`. */
function compress(state: Int32Array, bytes: Uint8Array, offset: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const at = offset + 4 * i;
    w[i] =
      ((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number);
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15] as number;
    const y = w[i - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (s0 + (w[i - 7] as number) + s1 + (w[i - 16] as number)) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 =
      (h + s1 + ((e & f) ^ (~e & g)) + (ROUND_CONSTANTS[i] as number) + (w[i] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
  state[4] = ((state[4] as number) + e) | 0;
  state[5] = ((state[5] as number) + f) | 0;
  state[6] = ((state[6] as number) + g) | 0;
  state[7] = ((state[7] as number) + h) | 0;
}

/** Room in `scratch` for a message of `length` bytes and its padding. */
function reserve(length: number): Uint8Array {
  const needed = length + 2 * BLOCK_BYTES;
  if (scratch.length < needed) scratch = new Uint8Array(Math.max(needed, 2 * scratch.length));
  return scratch;
}

/** Copies `message` into `scratch`; returns its length in bytes. */
function load(message: string | Uint8Array): number {
  if (typeof message !== 'string') {
    reserve(message.length).set(message);
    return message.length;
  }
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  const bytes = reserve(3 * message.length);
  // ASCII, as every cookie and id is, copies unit by unit: cheaper than the native encoder's call.
  for (let i = 0; i < message.length; i++) {
    const unit = message.charCodeAt(i);
    if (unit > 0x7f) return encoder.encodeInto(message, bytes).written;
    bytes[i] = unit;
  }
  return message.length;
}

/** The state being mixed, and the digest it ends as: reused, so a check allocates nothing. */
const working = new Int32Array(8);
const output = new Uint8Array(32);

/**
 * Hashes the `length` bytes in `scratch`, which follow `before` bytes already mixed into
 * `start`; returns the digest in the reused `output` (copy it to keep it).
 */
function finish(start: Int32Array, before: number, length: number): Uint8Array<ArrayBuffer> {
  const state = working;
  state.set(start);
  const bytes = scratch;
  const padded = Math.ceil((length + 9) / BLOCK_BYTES) * BLOCK_BYTES;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, padded - 8);
  const bits = (before + length) * 8;
  const high = Math.floor(bits / 0x1_0000_0000);
  const low = bits >>> 0;
  for (let i = 0; i < 4; i++) {
    bytes[padded - 8 + i] = (high >>> (24 - 8 * i)) & 0xff;
    bytes[padded - 4 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
  for (let offset = 0; offset < padded; offset += BLOCK_BYTES) compress(state, bytes, offset);
  // A Uint8Array keeps the low 8 bits of what it is given.
  for (let i = 0; i < 32; i++) output[i] = (state[i >> 2] as number) >>> (24 - 8 * (i & 3));
  return output;
}

/** The SHA-256 of `message` (a string is hashed as UTF-8). */
export function sha256(message: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return finish(INITIAL_STATE, 0, load(message)).slice();
}

/**
 * HMAC-SHA-256 under one key. The key's two padded blocks are mixed once, here, so each message
 * costs its own blocks and one more.
 */
export class HmacSha256 {
  readonly #inner = INITIAL_STATE.slice();
  readonly #outer = INITIAL_STATE.slice();

  constructor(key: Uint8Array) {
    const block = new Uint8Array(BLOCK_BYTES);
    block.set(key.length > BLOCK_BYTES ? sha256(key) : key);
    const pad = new Uint8Array(BLOCK_BYTES);
    for (let i = 0; i < BLOCK_BYTES; i++) pad[i] = (block[i] as number) ^ 0x36;
    compress(this.#inner, pad, 0);
    for (let i = 0; i < BLOCK_BYTES; i++) pad[i] = (block[i] as number) ^ 0x5c;
    compress(this.#outer, pad, 0);
  }

  /** The HMAC of `message` (a string is signed as UTF-8). */
  digest(message: string | Uint8Array): Uint8Array<ArrayBuffer> {
    return this.#mac(message).slice();
  }

  /**
   * Whether `mac` is the HMAC of `message`, compared in time that depends on the lengths only.
   * Allocates nothing: the cookie path checks one on every request.
   */
  verify(message: string | Uint8Array, mac: Uint8Array): boolean {
    if (mac.length !== 32) return false;
    const expected = this.#mac(message);
    let difference = 0;
    for (let i = 0; i < 32; i++) difference |= (expected[i] as number) ^ (mac[i] as number);
    return difference === 0;
  }

  /** The HMAC of `message`, in the reused `output`. */
  #mac(message: string | Uint8Array): Uint8Array<ArrayBuffer> {
    // Loaded before `scratch` is named: loading a long message replaces it.
    const inner = finish(this.#inner, BLOCK_BYTES, load(message));
    scratch.set(inner);
    return finish(this.#outer, BLOCK_BYTES, 32);
  }
}
