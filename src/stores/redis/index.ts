/**
 * `ruts/redis`: the Redis session store, on ioredis.
 *
 * @packageDocumentation
 * @module ruts/redis
 */

export type { FieldTtlMode } from './redis-scripts.ts';
export { RedisStore, type RedisStoreOptions } from './redis-store.ts';
