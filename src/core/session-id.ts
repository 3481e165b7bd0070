/**
 * Session ids: where they come from, what a valid one looks like, and the store key derived from
 * one.
 *
 * @packageDocumentation
 */

import { base64url } from './base64url.ts';
import { sha256 } from './sha256.ts';

/** 256 bits: far beyond guessing, and a round 43 characters in base64url. */
const ID_BYTES = 32;
/**
 * Every id starts with a family: 8 random characters that a session keeps when `regenerate()`
 * gives it a new id. Store keys carry the family in the clear, so a store that shards by key
 * (Redis Cluster) can keep a rename within one shard and make it atomic. 48 bits spread
 * sessions evenly; the 256 secret bits after it are what make an id unguessable.
 */
export const FAMILY_LENGTH = 8;
const FAMILY = /^[A-Za-z0-9_-]{8}$/;
const WELL_FORMED_ID = /^[A-Za-z0-9_-]{51}$/;

/**
 * Returns a new session id: a family (given, or fresh) followed by 32 random bytes, 51 base64url
 * characters in all.
 */
export function generateSessionId(family?: string): string {
  if (family !== undefined && !FAMILY.test(family)) {
    throw new TypeError('ruts: a session family is 8 base64url characters, from sessionFamily()');
  }
  const random = crypto.getRandomValues(new Uint8Array(ID_BYTES + 6));
  const body = base64url(random);
  // 38 random bytes make 51 characters: the first 8 are the family unless one was given.
  return family === undefined ? body : family + body.slice(FAMILY_LENGTH);
}

/** The family of a well-formed id or store key: its first 8 characters. */
export function sessionFamily(idOrKey: string): string {
  return idOrKey.slice(0, FAMILY_LENGTH);
}

/** Whether `value` has the shape of a session id (51 base64url characters), not whether it exists. */
export function isWellFormedSessionId(value: unknown): value is string {
  return typeof value === 'string' && WELL_FORMED_ID.test(value);
}

/**
 * Derives the store key for a session id: its family, a dot, and the SHA-256 of the whole id as
 * 43 base64url characters (52 characters in all). The store never sees the id itself, so whoever
 * can read the store (a backup, a replica, a log of keys) learns no live session id: the family
 * is not secret, and the 256 bits that are secret are only there hashed.
 */
export function hashSessionId(id: string): string {
  return `${sessionFamily(id)}.${base64url(sha256(id))}`;
}

const HANDLE_CONTEXT = 'ruts.handle.';

/**
 * The handle of a stored session, as `listSessions` shows it: the first 128 bits of a SHA-256
 * over the store key, 22 base64url characters. It names the session to revoke it, but is
 * neither the id nor the key, so it cannot be turned into a cookie or looked up in the store.
 */
export function sessionHandle(key: string): string {
  return base64url(sha256(HANDLE_CONTEXT + key).subarray(0, 16));
}
