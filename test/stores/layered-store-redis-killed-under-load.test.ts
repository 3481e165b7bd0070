/**
 * The hot tier dies under load: 32 workers read and write sessions of a LayeredStore (Redis over
 * Postgres) while the test's own Redis server is killed by PID, stays down, and comes back empty
 * on the same port. Reads must keep succeeding from Postgres, writes must succeed or reject with
 * a ruts error, and once Redis is back its scripts reload and the hot tier refills.
 */

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayeredStore, type LayeredStoreEvent } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { createTestSchema, type TestSchema } from '../support/postgres.ts';
import {
  fastFailingClient,
  type KillableRedis,
  startKillableRedis,
} from '../support/redis-process.ts';
import {
  compareTiers,
  describeCounts,
  lostWrites,
  MixedLoad,
  pause,
  seedSessions,
  tally,
} from './layered-fault-load.ts';

const SESSIONS = 200;
const WORKERS = 32;

describe('LayeredStore (Redis over Postgres) when Redis is killed under load', () => {
  let redis: KillableRedis;
  let db: TestSchema;
  let client: Redis;
  let cold: PostgresStore;
  let hot: RedisStore;
  let store: LayeredStore;
  const events: LayeredStoreEvent[] = [];

  beforeAll(async () => {
    // One after the other, so afterAll can stop whichever started if the other fails.
    redis = await startKillableRedis();
    db = await createTestSchema({ prefix: 'ruts_layered_redis_load' });
    client = await fastFailingClient(redis.url);
    cold = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
    hot = new RedisStore({ client });
    store = new LayeredStore({ hot, cold, onEvent: (event) => events.push(event) });
  });

  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
    await cold?.close();
    await db?.drop();
  });

  it('fails no read, loses no write, reloads its scripts and refills hot', async () => {
    const keys = await seedSessions(store, 'redisload', SESSIONS);
    expect(await client.dbsize()).toBe(SESSIONS);
    const startedAt = Date.now();
    const load = new MixedLoad(store, keys, WORKERS);
    await Promise.all([load.served('before', 2_000), pause(1_000)]);

    const pid = redis.pid() as number;
    load.phase = 'outage';
    const killedAt = Date.now();
    await redis.kill();
    expect(() => process.kill(pid, 0)).toThrow();
    await Promise.all([load.served('outage', 3_000), pause(2_000)]);

    await redis.restart();
    const restartedAt = Date.now();
    load.phase = 'after';
    await waitFor(() => client.status === 'ready');
    // The restarted server persisted nothing: it starts with no sessions and no scripts.
    const refill = await watchRefill(redis.port, SESSIONS);
    await load.served('after', 1_500);
    // ioredis sends each script whole (EVAL) on a new connection, so the restart alone never
    // draws NOSCRIPT; flushing the scripts under the live connection does.
    await refill.watcher.script('FLUSH');
    await Promise.all([load.served('after', 5_000), pause(3_000)]);
    await load.stop();
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const timeline = `${seconds(Date.now() - startedAt)} of load, Redis down ${seconds(restartedAt - killedAt)}`;
    const filledDuringLoad = await refill.stop();

    const counts = tally(load.outcomes);
    const rejected = load.writes.filter((w) => w.outcome === 'rejected');
    expect(counts.failures, 'no read fails and no write is rejected: cold is up').toEqual(
      new Map(),
    );
    expect(rejected).toEqual([]);
    expect(events.some((e) => e.type === 'hot-error')).toBe(true);

    // Every resolved write is there, read whole through a fresh layered store and from cold.
    const fresh = new LayeredStore({ hot, cold, onEvent: (event) => events.push(event) });
    expect(await lostWrites(fresh, keys, load.writes)).toEqual([]);
    expect(await lostWrites(cold, keys, load.writes)).toEqual([]);

    // That pass warmed every session: hot holds them all, complete, agreeing with cold.
    const eventsBefore = events.length;
    expect(await client.dbsize()).toBe(SESSIONS);
    const tiers = await compareTiers(hot, cold, keys);
    expect(tiers.disagreements).toEqual([]);
    expect(tiers.complete).toBe(SESSIONS);
    expect(await lostWrites(store, keys, load.writes)).toEqual([]);
    expect(events.length, 'hot answers again without errors').toBe(eventsBefore);

    // The restarted server got the scripts by EVAL, then refused EVALSHA after the flush
    // (NOSCRIPT) until the client sent them again.
    const stats = await commandStats(client);
    expect(stats.get('eval')?.calls ?? 0).toBeGreaterThan(0);
    expect(stats.get('evalsha')?.calls ?? 0).toBeGreaterThan(0);
    expect(stats.get('evalsha')?.errors ?? 0).toBeGreaterThan(0);

    const refilled =
      filledDuringLoad === undefined
        ? `hot held ${refill.seen()}/${SESSIONS} keys at the end of the load, ${SESSIONS}/${SESSIONS} after one read pass`
        : `hot refilled ${SESSIONS}/${SESSIONS} keys ${seconds(filledDuringLoad - restartedAt)} after the restart`;
    console.log(
      `[reliability] layered redis-kill: ${timeline}: ` +
        `${counts.total} requests (${counts.reads} reads, ` +
        `${counts.writes} writes) from ${WORKERS} workers on ${SESSIONS} sessions, ` +
        `${counts.of('outage')} during the outage (${counts.of('outage', 'read')} reads, ` +
        `${counts.of('outage', 'write')} writes), ` +
        `${counts.failed('read')} failed reads, 0 lost writes of ` +
        `${load.writes.length - rejected.length} resolved, ${rejected.length} write errors ` +
        `(${describeCounts(counts.failures)}), events: ${describeCounts(eventTypes(events))}, ` +
        `scripts reloaded (${stats.get('eval')?.calls} EVAL, then ` +
        `${stats.get('evalsha')?.errors} NOSCRIPT replies after SCRIPT FLUSH, all resent), ${refilled}`,
    );
  }, 60_000);
});

function eventTypes(events: readonly LayeredStoreEvent[]): Map<string, number> {
  const types = new Map<string, number>();
  for (const { type } of events) types.set(type, (types.get(type) ?? 0) + 1);
  return types;
}

/** Polls the restarted server's key count, recording when it first reaches `target`. */
async function watchRefill(port: number, target: number) {
  const watcher = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  watcher.on('error', () => {});
  await watcher.connect();
  let stopped = false;
  let reachedAt: number | undefined;
  let seen = 0;
  const polling = (async () => {
    while (!stopped && reachedAt === undefined) {
      seen = await watcher.dbsize();
      if (seen >= target) reachedAt = Date.now();
      await pause(50);
    }
  })();
  return {
    watcher,
    seen: () => seen,
    async stop(): Promise<number | undefined> {
      stopped = true;
      await polling;
      watcher.disconnect();
      return reachedAt;
    },
  };
}

/** `INFO commandstats`, as calls and errors (failed plus rejected) per command. */
async function commandStats(
  client: Redis,
): Promise<Map<string, { calls: number; errors: number }>> {
  const stats = new Map<string, { calls: number; errors: number }>();
  for (const line of (await client.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([a-z|]+):(.*)$/.exec(line.trim());
    if (!match) continue;
    const fields = new Map(
      (match[2] as string).split(',').map((pair) => pair.split('=') as [string, string]),
    );
    const number = (name: string) => Number(fields.get(name) ?? 0);
    stats.set(match[1] as string, {
      calls: number('calls'),
      errors: number('failed_calls') + number('rejected_calls'),
    });
  }
  return stats;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error('timed out waiting for the Redis client to reconnect');
    await pause(25);
  }
}
