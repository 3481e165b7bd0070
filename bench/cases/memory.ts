/**
 * Case 6, memory: Redis bytes per 1 KB session (`MEMORY USAGE`) against the payload, and the
 * MemoryStore's heap per session.
 *
 * @packageDocumentation
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';
import { createSessionManager } from '../../src/core/session-manager.ts';
import { MemoryStore } from '../../src/stores/memory-store.ts';
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

export async function memoryCase(ctx: CaseContext): Promise<Row[]> {
  const { redis } = ctx.services;
  const rows: Row[] = [];

  // Redis: the same sessions through ruts and as a plain hash of the same ten fields.
  const sample = 50;
  const store = new RedisStore({ client: redis, prefix: `${REDIS_PREFIX}mem:` });
  const created = await createSessions(managerFor(store), sample);
  let rutsBytes = 0;
  let plainBytes = 0;
  let payload = 0;
  for (const [n, s] of created.entries()) {
    const data = typicalSession(n);
    payload += payloadBytes(data);
    rutsBytes += Number(
      await redis.memory('USAGE', sessionKey(`${REDIS_PREFIX}mem:`, s.key), 'SAMPLES', 0),
    );
    const plainKey = `${REDIS_PREFIX}mem-plain:${n}`;
    const args: (string | Buffer)[] = [];
    for (const [name, value] of Object.entries(data))
      args.push(name, Buffer.from(msgpackCodec.encode(value)));
    await redis.hset(plainKey, ...(args as [string, Buffer]));
    plainBytes += Number(await redis.memory('USAGE', plainKey, 'SAMPLES', 0));
  }
  const encoding = await redis.object(
    'ENCODING',
    sessionKey(`${REDIS_PREFIX}mem:`, (created[0] as { key: string }).key),
  );
  rows.push({
    group: GROUP,
    name: 'Redis bytes per session',
    ratio: rutsBytes / payload,
    against: 'payload bytes',
    target: { op: '<=', value: 1.5 },
    figures: `${fmtInt(rutsBytes / sample)} B per session (${encoding}); payload ${fmtInt(payload / sample)} B; plain HSET of the same fields ${fmtInt(plainBytes / sample)} B`,
    raw: {
      bytesPerSession: Math.round(rutsBytes / sample),
      payloadBytes: Math.round(payload / sample),
      plainHashBytes: Math.round(plainBytes / sample),
      encoding,
    },
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
  const memory = new MemoryStore({ maxSessions: count });
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
