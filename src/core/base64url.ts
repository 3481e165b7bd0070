/**
 * base64url (RFC 4648 §5) without padding, both ways: through Node's `Buffer` where the runtime
 * has one (a native call, where the portable code costs about ten times as much on the cookie
 * path), else through `btoa`/`atob`. Nothing is imported, so edge bundles stay free of Node.
 *
 * @packageDocumentation
 */

interface BufferHost {
  Buffer?: {
    from(
      bytes: ArrayBuffer,
      offset: number,
      length: number,
    ): { toString(encoding: string): string };
    from(text: string, encoding: 'base64url'): Uint8Array<ArrayBuffer>;
  };
}

/** Encodes bytes as base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  const buffer = (globalThis as BufferHost).Buffer;
  if (buffer !== undefined) {
    return buffer
      .from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength)
      .toString('base64url');
  }
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Decodes base64url. Lenient, as `Buffer` is, about characters outside the alphabet: give it
 * text already checked (the cookie envelope check refuses any spelling but the canonical one).
 */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const buffer = (globalThis as BufferHost).Buffer;
  if (buffer !== undefined) return buffer.from(text, 'base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
