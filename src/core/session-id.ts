/**
 * Session ids: where they come from, what a valid one looks like, and the store key derived from
 * one.
 *
 * @packageDocumentation
 */

/** 256 bits: far beyond guessing, and a round 43 characters in base64url. */
const ID_BYTES = 32;
const WELL_FORMED_ID = /^[A-Za-z0-9_-]{43}$/;

const encoder = new TextEncoder();

/** Encodes bytes as base64url (RFC 4648 §5) without padding. */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Returns a new session id: 32 random bytes as 43 base64url characters. */
export function generateSessionId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
}

/** Whether `value` has the shape of a session id (43 base64url characters), not whether it exists. */
export function isWellFormedSessionId(value: unknown): value is string {
  return typeof value === 'string' && WELL_FORMED_ID.test(value);
}

/**
 * Derives the store key for a session id: SHA-256 of its UTF-8 bytes, as 43 base64url characters.
 * The store only ever sees this hash, so whoever can read the store (a backup, a replica, a log
 * of keys) learns no live session id.
 */
export async function hashSessionId(id: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(id));
  return base64url(new Uint8Array(digest));
}
