/**
 * base64url (RFC 4648 §5) without padding, both ways. Encoding goes through Node's `Buffer` where
 * the runtime has one (a native call, where the portable code costs about ten times as much on
 * the cookie path), else through `btoa`. Decoding is a table lookup per character on every
 * runtime: on the cookie path that costs less than `Buffer`'s native call, and leaves no
 * `Buffer` behind. Nothing is imported, so edge bundles stay free of Node.
 *
 * @packageDocumentation
 */

interface BufferHost {
  Buffer?: { from(bytes: Uint8Array): { toString(encoding: string): string } };
}

/** Encodes bytes as base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  const buffer = (globalThis as BufferHost).Buffer;
  if (buffer !== undefined) {
    // A copy, not a view: a small array lives on V8's heap, and asking for its `.buffer` moves it
    // off the heap, which costs more than copying (a digest: about half a microsecond).
    return buffer.from(bytes).toString('base64url');
  }
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url's digits, in the order of their values. */
export const BASE64URL_ALPHABET =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Each ASCII character's 6 bits; 0 outside the alphabet. */
const DIGITS = new Uint8Array(128);
for (let i = 0; i < 64; i++) DIGITS[BASE64URL_ALPHABET.charCodeAt(i)] = i;

function digitAt(text: string, i: number): number {
  // Past the end, charCodeAt gives NaN, which masks to 0.
  return DIGITS[text.charCodeAt(i) & 0x7f] as number;
}

/**
 * Decodes base64url. Lenient about characters outside the alphabet (each counts as `A`): give it
 * text already checked (the cookie envelope check refuses any spelling but the canonical one).
 */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array((text.length * 3) >> 2);
  // Four digits make three bytes; a last group of two or three digits makes one or two.
  for (let i = 0, at = 0; at < bytes.length; i += 4) {
    const bits =
      (digitAt(text, i) << 18) |
      (digitAt(text, i + 1) << 12) |
      (digitAt(text, i + 2) << 6) |
      digitAt(text, i + 3);
    bytes[at++] = bits >> 16;
    if (at < bytes.length) bytes[at++] = bits >> 8;
    if (at < bytes.length) bytes[at++] = bits;
  }
  return bytes;
}
