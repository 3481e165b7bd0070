/**
 * Whether a server can expire hash fields by itself (`HPEXPIRE`: Redis 7.4+, Valkey 9+). Asked
 * once per store, never assumed from a version string: forks and managed services differ.
 *
 * @packageDocumentation
 */

import { type Cluster, type Redis, ReplyError } from 'ioredis';
import { ConfigError } from '../../core/errors.ts';
import type { FieldTtlMode } from './redis-scripts.ts';

/**
 * Asks the server whether it knows `HPEXPIRE`: `COMMAND INFO` answers `[null]` for an unknown
 * command. Resolves `undefined` when the server refuses `COMMAND` itself, as some managed services
 * do. Connection errors are thrown, so a store asks again later instead of caching a guess.
 */
export async function hasNativeFieldTtl(client: Redis | Cluster): Promise<boolean | undefined> {
  try {
    const reply = await client.call('COMMAND', 'INFO', 'HPEXPIRE');
    return Array.isArray(reply) && Array.isArray(reply[0]);
  } catch (error) {
    if (error instanceof (ReplyError as typeof Error)) return undefined;
    throw error;
  }
}

/**
 * Picks the field TTL mode for the `nativeFieldTtl` option, asking the server unless it is
 * `false`. When the server will not say, `'auto'` emulates (which works everywhere) and `true`
 * takes the user's word.
 */
export async function chooseFieldTtlMode(
  client: Redis | Cluster,
  nativeFieldTtl: 'auto' | boolean,
): Promise<FieldTtlMode> {
  if (nativeFieldTtl === false) return 'emulated';
  const native = await hasNativeFieldTtl(client);
  if (native === true || (native === undefined && nativeFieldTtl === true)) return 'native';
  if (nativeFieldTtl === 'auto') return 'emulated';
  throw new ConfigError(
    'RedisStore nativeFieldTtl is true, but the server has no HPEXPIRE (Redis 7.4+ or ' +
      "Valkey 9+ has it). Use nativeFieldTtl: 'auto' to emulate field TTLs on this server.",
  );
}
