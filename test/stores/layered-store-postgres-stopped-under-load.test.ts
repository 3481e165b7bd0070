/**
 * The cold tier goes away under load: 32 workers read and write sessions of a LayeredStore
 * (Redis over Postgres) while the test's own PostgreSQL server is stopped, first cleanly, then as
 * a crash, and started again. While it is down, `'through'` writes must reject with a
 * `StoreError` and reads of the sessions hot holds must keep succeeding; once it is back, writes
 * succeed again and the two tiers hold the same data.
 */

import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.ts';
import { LayeredStore, type LayeredStoreEvent } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { type PostgresProcess, processAlive, startPostgres } from '../support/postgres-process.ts';
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
  type WriteRecord,
} from './layered-fault-load.ts';

const SESSIONS = 200;
const WORKERS = 32;

describe('LayeredStore (Redis over Postgres) when Postgres stops under load', () => {
  let server: PostgresProcess;
  let redis: KillableRedis;
  let pool: pg.Pool;
  let client: Redis;
  let cold: PostgresStore;
  let hot: RedisStore;
  let store: LayeredStore;
  const events: LayeredStoreEvent[] = [];

  beforeAll(async () => {
    // One after the other, so afterAll can stop whichever started if the other fails.
    redis = await startKillableRedis();
    server = await startPostgres();
    // A short connect timeout, so calls fail at once while the server is down.
    pool = new pg.Pool({ connectionString: server.url, max: 10, connectionTimeoutMillis: 1_000 });
    // The server closing idle connections as it stops is expected, not a crash of the test.
    pool.on('error', () => {});
    client = await fastFailingClient(redis.url);
    cold = new PostgresStore({ executor: pgExecutor(pool) });
    hot = new RedisStore({ client });
    store = new LayeredStore({ hot, cold, onEvent: (event) => events.push(event) });
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await cold?.close();
    await pool?.end();
    await redis?.stop();
    await server?.cleanup();
  });

  for (const mode of ['fast', 'immediate'] as const) {
    it(`rejects writes with a StoreError, serves reads from hot, and the tiers agree after a '${mode}' stop`, async () => {
      events.length = 0;
      const keys = await seedSessions(store, `pgstop${mode}`, SESSIONS);
      expect((await compareTiers(hot, cold, keys)).complete).toBe(SESSIONS);

      const startedAt = Date.now();
      const load = new MixedLoad(store, keys, WORKERS);
      await Promise.all([load.served('before', 2_000), pause(1_000)]);
      const pid = (await server.pid()) as number;
      load.phase = 'outage';
      const stoppedAt = Date.now();
      await server.stop(mode);
      expect(await processAlive(pid), 'the postmaster is gone').toBe(false);
      await Promise.all([load.served('outage', 3_000), pause(2_000)]);
      await server.start();
      const restartedAt = Date.now();
      load.phase = 'after';
      await Promise.all([load.served('after', 3_000), pause(2_000)]);
      await load.stop();
      const loadMs = Date.now() - startedAt;

      const counts = tally(load.outcomes);
      const rejected = load.writes.filter((w) => w.outcome === 'rejected');
      const resolved = load.writes.filter((w) => w.outcome === 'resolved');
      // Every read succeeded with the right data, hot answering all of them during the outage.
      expect(counts.failedReads).toEqual(new Map());
      expect(counts.of('outage', 'read')).toBeGreaterThan(0);
      // Writes failed, and only while the server was going or gone, each with a StoreError that
      // names the cold tier.
      expect(rejected.length).toBeGreaterThan(0);
      expect(rejected.filter((w) => w.phase === 'after')).toEqual([]);
      expect([...counts.failures.keys()]).toEqual(['StoreError']);
      for (const { error } of rejected) {
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).message).toMatch(/on the cold tier: .*Check that the store/);
      }
      expect(counts.of('after', 'write')).toBeGreaterThan(0);
      // Redis stayed up, so the layered store had nothing to work around.
      expect(events).toEqual([]);

      // No resolved write is missing, read through a fresh layered store and from cold itself.
      const fresh = new LayeredStore({ hot, cold, onEvent: (event) => events.push(event) });
      expect(await lostWrites(fresh, keys, load.writes)).toEqual([]);
      expect(await lostWrites(cold, keys, load.writes)).toEqual([]);

      // Both tiers hold the same data for every session. A rejected write may have been
      // committed all the same, its reply cut off by the stop: that is what a StoreError means
      // ("not confirmed"), and hot must then agree with cold, which compareTiers checks.
      const tiers = await compareTiers(hot, cold, keys);
      expect(tiers.disagreements).toEqual([]);
      expect(tiers.complete).toBe(SESSIONS);
      const inCold = await appliedAnyway(cold, rejected);

      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      console.log(
        `[reliability] layered postgres-stop (${mode}): ${seconds(loadMs)} of ` +
          `load, Postgres down ${seconds(restartedAt - stoppedAt)}: ${counts.total} requests ` +
          `(${counts.reads} reads, ${counts.writes} writes) from ${WORKERS} workers on ` +
          `${SESSIONS} sessions, ${counts.of('outage')} during the outage ` +
          `(${counts.of('outage', 'read')} reads, all served from hot; ` +
          `${counts.of('outage', 'write')} writes), ${counts.failed('read')} failed reads, ` +
          `0 lost writes of ${resolved.length} resolved, ${rejected.length} typed write errors ` +
          `(${describeCounts(counts.failures)}), ${counts.of('after', 'write')} writes after ` +
          `the restart all resolved, tiers agree on ${tiers.complete}/${SESSIONS} sessions, ` +
          `${inCold.length} rejected writes found applied`,
      );
    }, 60_000);
  }
});

/** Rejected writes whose fields cold holds anyway: a commit whose reply the stop cut off. */
async function appliedAnyway(
  cold: PostgresStore,
  rejected: readonly WriteRecord[],
): Promise<string[]> {
  const applied: string[] = [];
  for (const key of new Set(rejected.map((write) => write.key))) {
    const session = await cold.getAll(key);
    for (const write of rejected.filter((w) => w.key === key)) {
      for (const { field } of write.fields) {
        if (session?.fields.has(field)) applied.push(`${key} ${field}`);
      }
    }
  }
  return applied;
}
