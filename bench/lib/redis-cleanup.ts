/**
 * Removing what a bench or soak run left in Redis: every key under its prefix, in batches, so
 * a million keys never sit in memory at once.
 *
 * @packageDocumentation
 */

import type { Redis } from 'ioredis';

/** Unlinks every key starting with `prefix` (a standalone server: one `UNLINK` per batch). */
export async function unlinkKeysUnder(redis: Redis, prefix: string, batch = 1000): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', batch);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
