/**
 * A Redis with hash-field expiry (`HPEXPIRE`: Redis 7.4+, Valkey 9+), so the Redis rows can be
 * measured in the store's native field-TTL mode too. `RUTS_BENCH_REDIS_NATIVE_URL` names one to
 * use; otherwise the shared build beside the project (`../shared/bin/redis-server-hexpire`, or
 * `RUTS_REDIS_HEXPIRE`) is started on a spare port, without persistence, and stopped by its pid
 * at the end. Without either, the native rows are left out and the run says why.
 *
 * @packageDocumentation
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/stores/redis/redis-store.ts';
import type { CaseContext } from './context.ts';
import { ROOT } from './paths.ts';

/** The port the bench starts its own server on: apart from the tests' 6379, 6390 and 6391. */
const PORT = 6392;

/** A connected native-mode Redis, and how to let it go. */
export interface NativeRedis {
  readonly redis: Redis;
  /** Where it came from, for the run's log. */
  readonly source: string;
  stop(): Promise<void>;
}

/** A native-mode Redis, or the reason there is none. */
export async function nativeRedis(): Promise<NativeRedis | string> {
  const url = process.env.RUTS_BENCH_REDIS_NATIVE_URL;
  if (url) {
    const redis = await connect(url);
    return { redis, source: url, stop: async () => redis.disconnect() };
  }
  const server =
    process.env.RUTS_REDIS_HEXPIRE ?? join(ROOT, '..', 'shared', 'bin', 'redis-server-hexpire');
  if (!existsSync(server)) {
    return `no ${server} and no RUTS_BENCH_REDIS_NATIVE_URL`;
  }
  const dir = await mkdtemp(join(tmpdir(), 'ruts-bench-hexpire-'));
  const pidfile = join(dir, 'redis.pid');
  await promisify(execFile)(server, [
    '--port',
    String(PORT),
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'yes',
    '--pidfile',
    pidfile,
  ]);
  const stop = async () => {
    const pid = Number(await readFile(pidfile, 'utf8').catch(() => ''));
    if (pid > 0) process.kill(pid);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const redis = await connect(`redis://127.0.0.1:${PORT}`, 50);
    return {
      redis,
      source: `${server} on port ${PORT}`,
      stop: async () => {
        redis.disconnect();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A RedisStore in native field-TTL mode on the run's native Redis, with its client, for a case
 * to measure; `undefined`, and a line in the log saying why, without one.
 */
export async function nativeRedisStore(
  ctx: CaseContext,
  caseName: string,
  prefix: string,
): Promise<{ redis: Redis; store: RedisStore } | undefined> {
  const redis = await ctx.services.nativeRedis();
  if (typeof redis === 'string') {
    ctx.log(`${caseName}: the native field-TTL rows are left out: ${redis}`);
    return undefined;
  }
  const store = new RedisStore({ client: redis, prefix });
  const mode = await store.fieldTtlMode();
  if (mode !== 'native') throw new Error(`the RedisStore on the HPEXPIRE server runs ${mode}`);
  return { redis, store };
}

/** Connects, retrying while a server just started comes up; checks it has `HPEXPIRE`. */
async function connect(url: string, attempts = 1): Promise<Redis> {
  for (let attempt = 1; ; attempt++) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const info = await redis.call('COMMAND', 'INFO', 'HPEXPIRE');
      if (!Array.isArray(info) || !Array.isArray(info[0])) {
        throw new Error(`${url} has no HPEXPIRE, so it cannot run the native field-TTL mode`);
      }
      return redis;
    } catch (error) {
      redis.disconnect();
      if (attempt >= attempts || /HPEXPIRE/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
