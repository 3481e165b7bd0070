/**
 * Where a session lives in Redis: the key prefix rules, the Redis key built from a store key, and
 * the keys of the owner index.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';
import { ConfigError } from '../../core/errors.ts';

/** The prefix used when none is given. */
export const DEFAULT_PREFIX = 'ruts:';

/** Longest prefix accepted: it is repeated in every key, so it costs memory per session. */
export const MAX_PREFIX_LENGTH = 64;

/**
 * Printable ASCII only, so keys read cleanly in `redis-cli` and logs, and no braces: Redis Cluster
 * hashes the first `{...}` of a key, and a brace in the prefix would replace the session's own
 * hash tag with the prefix's, putting every session in one slot (or splitting a rename's keys).
 */
const VALID_PREFIX = /^[\x20-\x7a\x7c\x7e]*$/;

/** Throws {@link ConfigError} unless `prefix` can start every key of a store. */
export function assertValidPrefix(prefix: unknown): asserts prefix is string {
  if (
    typeof prefix !== 'string' ||
    prefix.length > MAX_PREFIX_LENGTH ||
    !VALID_PREFIX.test(prefix)
  ) {
    throw new ConfigError(
      `RedisStore prefix must be a string of at most ${MAX_PREFIX_LENGTH} printable ASCII ` +
        `characters without "{" or "}", got ${JSON.stringify(String(prefix))}. ` +
        `Leave it out for the default "${DEFAULT_PREFIX}".`,
    );
  }
}

/**
 * The Redis key of a session: the prefix, then the store key with its family as the hash tag,
 * as in `ruts:{family}.hash`. Both keys of a rename share the family, so on Redis Cluster they
 * share a slot and the rename stays one atomic script. A key without a family (no dot) is tagged
 * whole, which places it like an untagged key.
 */
export function sessionKey(prefix: string, key: string): string {
  const dot = key.indexOf('.');
  return dot === -1 ? `${prefix}{${key}}` : `${prefix}{${key.slice(0, dot)}}${key.slice(dot)}`;
}

/**
 * The owner index of `owner`: a set of store keys, tagged by the SHA-256 of the owner (base64url),
 * since an owner may hold braces and any length of text. It has a slot of its own, apart from
 * the sessions it lists. Session keys have `{` right after the prefix, so none can be an index.
 */
export function ownerIndexKey(prefix: string, owner: string): string {
  return `${prefix}owner:{${createHash('sha256').update(owner).digest('base64url')}}`;
}

/** When the next bind prunes the owner's index; in the index's slot. */
export function pruneMarkKey(indexKey: string): string {
  return `${indexKey}~prune`;
}

/**
 * The tombstone of a session key: set when an index pass found the key dead (or not the owner's),
 * it refuses a late bind onto the key, in the key's own slot.
 */
export function tombstoneKey(redisKey: string): string {
  return `${redisKey}~gone`;
}
