/**
 * Case 6, memory: Redis bytes per 1 KB session (`MEMORY USAGE`) against the payload, and the
 * MemoryStore's heap per session.
 *
 * @packageDocumentation
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Redis } from 'ioredis';
import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import { MemoryStore } from '../../src/stores/memory/memory-store.ts';
import { sessionKey } from '../../src/stores/redis/redis-keys.ts';
import { RedisStore } from '../../src/stores/redis/redis-store.ts';
import type { CaseContext } from '../lib/context.ts';
import {
  createSessions,
  managerFor,
  payloadBytes,
  SECRET,
  typicalSession,
} from '../lib/fixture.ts';
import { fmtInt, type Row } from '../lib/report.ts';
import { REDIS_PREFIX } from '../lib/services.ts';

const GROUP = '6 memory';

function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The listpack limit the README recommends for session hashes, in bytes per value. */
const RECOMMENDED_LISTPACK_VALUE = '1024';

/** Redis memory of the same sessions through ruts and as a plain hash of the same ten fields. */
async function redisBytes(redis: Redis, prefix: string, sample: number) {
  const store = new RedisStore({ client: redis, prefix });
  const created = await createSessions(managerFor(store), sample);
  let ruts = 0;
  let plain = 0;
  let payload = 0;
  for (const [n, s] of created.entries()) {
    const data = typicalSession(n);
    payload += payloadBytes(data);
    ruts += Number(await redis.memory('USAGE', sessionKey(prefix, s.key), 'SAMPLES', 0));
    const plainKey = `${prefix}plain:${n}`;
    const args: (string | Buffer)[] = [];
    for (const [name, value] of Object.entries(data))
      args.push(name, Buffer.from(msgpackCodec.encode(value)));
    await redis.hset(plainKey, ...(args as [string, Buffer]));
    plain += Number(await redis.memory('USAGE', plainKey, 'SAMPLES', 0));
  }
  const encoding = await redis.object(
    'ENCODING',
    sessionKey(prefix, (created[0] as { key: string }).key),
  );
  return {
    ratio: ruts / payload,
    raw: {
      bytesPerSession: Math.round(ruts / sample),
      payloadBytes: Math.round(payload / sample),
      plainHashBytes: Math.round(plain / sample),
      encoding,
      listpackValue: Number(await listpackValue(redis)),
    },
  };
}

type RedisBytes = Awaited<ReturnType<typeof redisBytes>>;

/** The figures column of a Redis bytes row. */
function figuresOf({ raw }: RedisBytes): string {
  return (
    `${fmtInt(raw.bytesPerSession)} B per session (${raw.encoding}); payload ` +
    `${fmtInt(raw.payloadBytes)} B; plain HSET of the same fields ${fmtInt(raw.plainHashBytes)} B; ` +
    `the server's hash-max-listpack-value ${raw.listpackValue}`
  );
}

/** The server's `hash-max-listpack-value`: values longer than this make a hash a hashtable. */
async function listpackValue(redis: Redis): Promise<string> {
  const [, value] = (await redis.config('GET', 'hash-max-listpack-value')) as [string, string];
  return value;
}

/** Runs `measure` with the server's `hash-max-listpack-value` set to `value`, then restores it. */
async function withListpackValue<T>(
  redis: Redis,
  value: string,
  measure: () => Promise<T>,
): Promise<T> {
  const found = await listpackValue(redis);
  await redis.config('SET', 'hash-max-listpack-value', value);
  try {
    return await measure();
  } finally {
    await redis.config('SET', 'hash-max-listpack-value', found);
  }
}

export async function memoryCase(ctx: CaseContext): Promise<Row[]> {
  const { redis } = ctx.services;
  const rows: Row[] = [];

  const sample = 50;
  const found = await redisBytes(redis, `${REDIS_PREFIX}mem:`, sample);
  rows.push({
    group: GROUP,
    name: 'Redis bytes per session',
    ratio: found.ratio,
    against: 'payload bytes',
    target: { op: '<=', value: 1.5 },
    figures: figuresOf(found),
    raw: found.raw,
  });
  // The same with the setting the README recommends: values up to 1 KiB keep a hash compact.
  const tuned = await withListpackValue(redis, RECOMMENDED_LISTPACK_VALUE, () =>
    redisBytes(redis, `${REDIS_PREFIX}mem-tuned:`, sample),
  );
  rows.push({
    group: GROUP,
    name: `Redis bytes per session, hash-max-listpack-value ${RECOMMENDED_LISTPACK_VALUE}`,
    ratio: tuned.ratio,
    against: 'payload bytes',
    figures: figuresOf(tuned),
    raw: tuned.raw,
  });

  // MemoryStore: heap after a full collection, with N sessions against none.
  const gc = collector();
  const count = ctx.quick ? 2_000 : 10_000;
  const heap = () => {
    gc();
    gc();
    // Stored values are Uint8Arrays, whose bytes live outside the V8 heap: count both.
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  const memory = new MemoryStore({ name: 'bench-memory', maxSessions: count });
  // No seal cache, so only the store's own memory is counted.
  const manager = createSessionManager({ secret: SECRET, store: memory, sealCacheSize: 0 });
  const before = heap();
  await createSessions(manager, count);
  const after = heap();
  const perSession = (after - before) / count;
  const memPayload = payloadBytes(typicalSession(0));
  rows.push({
    group: GROUP,
    name: 'MemoryStore heap per session',
    ratio: perSession / memPayload,
    against: 'payload bytes',
    figures: `${fmtInt(perSession)} B per session (heap + array buffers) over ${fmtInt(count)} sessions; payload ${fmtInt(memPayload)} B`,
    raw: { heapBytesPerSession: Math.round(perSession), sessions: count, payloadBytes: memPayload },
  });
  await memory.close?.();
  return rows;
}
