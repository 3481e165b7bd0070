/**
 * A LayeredStore's copies in its hot RedisStore, as the read and write cases need them: where a
 * copy lives, and filling every session's copy afresh just before a group is timed, so the group
 * measures sessions hot holds rather than copies whose lease ran out halfway.
 *
 * @packageDocumentation
 */

import type { Redis } from 'ioredis';
import type { SessionManager } from '../../src/core/session-manager.ts';
import { sessionKey } from '../../src/stores/redis/redis-keys.ts';
import type { CreatedSession } from './fixture.ts';

/**
 * The cases' `hotTtl`, passed explicitly so the bench knows how long a copy is trusted: four
 * times LayeredStore's default, so that a group of four members runs within one lease. A
 * lease's length changes nothing a read or a write costs while the copy is live.
 */
export const HOT_TTL_SECONDS = 120;

/**
 * The hash holding the copy (and the fields written `'hot'`) of session `key` in a hot
 * RedisStore under `prefix`. See `src/stores/redis/redis-cache-scripts.ts`.
 */
export function copyKey(prefix: string, key: string): string {
  return `${sessionKey(prefix, key)}~cache`;
}

/**
 * Gives every session a fresh copy in hot: drops its copy hash, then reads it through `manager`
 * (a LayeredStore's), which refills the copy from cold for a whole lease. Checks that hot then
 * holds every copy where {@link copyKey} says. Resolves the time the first lease began.
 */
export async function refillCopies(
  redis: Redis,
  manager: SessionManager,
  prefix: string,
  sessions: readonly CreatedSession[],
): Promise<number> {
  const keys = sessions.map((s) => copyKey(prefix, s.key));
  const startedAt = Date.now();
  for (const [n, s] of sessions.entries()) {
    await redis.unlink(keys[n] as string);
    await manager.open(s.cookie).getAll();
  }
  const held = keys.length === 0 ? 0 : await redis.exists(...keys);
  if (held !== keys.length) {
    throw new Error(
      `hot holds ${held} of ${keys.length} copies after reading each session: does the hot ` +
        `RedisStore still keep a copy as the hash ${keys[0]}?`,
    );
  }
  return startedAt;
}

/**
 * A note for a row whose group ran past the lease of copies filled at `filledAt`: some of its
 * operations then found no copy in hot. Empty when the group ended within the lease.
 */
export function leaseNote(filledAt: number, what: string): string {
  const seconds = (Date.now() - filledAt) / 1000;
  return seconds < HOT_TTL_SECONDS
    ? ''
    : `; NB the group took ${seconds.toFixed(0)} s, past the copies' ${HOT_TTL_SECONDS} s ` +
        `lease: ${what}`;
}
