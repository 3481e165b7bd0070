/**
 * Several app processes sharing one Redis and one Postgres through a LayeredStore each, with no
 * fault anywhere: each process has its own Redis client and Postgres pool, and every hot call is
 * delayed by a few random milliseconds, so that processes racing on one session interleave their
 * hot and cold steps in every order. Whatever the order, the processes must agree with Postgres,
 * the source of truth: racing writes leave every process reading the value cold kept, a write
 * that resolved is never followed by a read of an older value, and no race brings back a
 * session that cold ended or lets a write into one that cold lacks.
 */

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSession, WriteOptions } from '../../src/core/store-contract.ts';
import { LayeredStore, type LayeredStoreEvent } from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { upTo, withDelays } from '../support/delayed-calls.ts';
import { createTestSchema, POSTGRES_URL, type TestSchema } from '../support/postgres.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from './redis/redis-test-server.ts';

const DAY = 24 * 60 * 60_000;
const CREATE: WriteOptions = { create: true, idleMs: DAY };
const UPDATE: WriteOptions = { create: false, idleMs: DAY };

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** A key of a new family, as the session handle derives one from a new id. */
const newKey = () => `${randomBytes(6).toString('base64url')}.${randomBytes(12).toString('hex')}`;
/** A key of the same family as `key`, as `regenerate()` gives it. */
const sameFamily = (key: string) =>
  `${key.slice(0, key.indexOf('.'))}.${randomBytes(12).toString('hex')}`;

/** One simulated app process: its own clients, its own tiers, its own LayeredStore. */
interface AppProcess {
  readonly store: LayeredStore;
  close(): Promise<void>;
}

/** `count` processes on one hot prefix and one schema. */
async function startProcesses(
  count: number,
  shared: { schema: string; prefix: string; hotTtl?: number; events: LayeredStoreEvent[] },
): Promise<AppProcess[]> {
  const processes: AppProcess[] = [];
  for (let i = 0; i < count; i++) {
    const client: Redis = await connectRedis();
    const pool = new pg.Pool({
      connectionString: POSTGRES_URL,
      max: 5,
      connectionTimeoutMillis: 5_000,
      options: `-c search_path=${shared.schema}`,
    });
    const hot = withDelays(new RedisStore({ client, prefix: shared.prefix }), upTo(4), {
      after: upTo(2),
    });
    const cold = new PostgresStore({ executor: pgExecutor(pool), schema: shared.schema });
    // Not a literal, so that v1's options type lets `hotTimeout` through; v1 ignores it. It is
    // generous: a hot call slowed by a busy machine is not the fault this file is about.
    const options = {
      hot,
      cold,
      hotTimeout: 5,
      onEvent: (event: LayeredStoreEvent) => shared.events.push(event),
      ...(shared.hotTtl === undefined ? {} : { hotTtl: shared.hotTtl }),
    };
    const store = new LayeredStore(options);
    processes.push({
      store,
      async close() {
        await store.close();
        await cold.close();
        await pool.end();
        await client.quit();
      },
    });
  }
  return processes;
}

/** Runs `task(0)` to `task(count - 1)`, at most `concurrency` at a time, until one fails. */
async function inParallel(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      try {
        await task(next++);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * The session's fields as sorted `name=value`s, leaving out `'hot'` fields (`hot-` names) and the
 * layered store's bookkeeping in cold (`~` names).
 */
function durableFields(session: StoredSession | undefined): string[] | undefined {
  if (session === undefined) return undefined;
  return [...session.fields]
    .filter(([name]) => !name.startsWith('~') && !name.startsWith('hot-'))
    .map(([name, field]) => `${name}=${text(field.value)}`)
    .sort();
}

/** Up to `count` items of `list`, for a failure message. */
const firstOf = (list: readonly string[], count = 10) =>
  list.slice(0, count).join('\n  ') + (list.length > count ? '\n  …' : '');

describe('LayeredStore (Redis over Postgres) shared by several processes, hot calls jittered', () => {
  let db: TestSchema;
  /** The schema over a connection of its own, to see what Postgres holds: the truth. */
  let direct: PostgresStore;
  const prefixes: string[] = [];
  const events: LayeredStoreEvent[] = [];
  let processes: AppProcess[] = [];
  let stores: LayeredStore[] = [];

  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_layered_agreement', max: 5 });
    direct = new PostgresStore({ executor: pgExecutor(db.pool), schema: db.schema });
    const prefix = uniquePrefix('layered-agreement');
    prefixes.push(prefix);
    processes = await startProcesses(3, { schema: db.schema, prefix, events });
    stores = processes.map((p) => p.store);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.close()));
    const client = await connectRedis();
    try {
      for (const prefix of prefixes) await deleteKeysUnder(client, prefix);
    } finally {
      await client.quit();
    }
    await direct?.close();
    await db?.drop();
  });

  it('racing writes of one field leave every process reading the value cold kept', async () => {
    const pairs = 1_000;
    const disagreements: string[] = [];
    /** Disagreements still there 20 ms later. */
    let lasting = 0;
    events.length = 0;

    /** What each process reads for `x`, and what cold holds; a description if they differ. */
    const compare = async (key: string): Promise<string | undefined> => {
      const kept = text((await direct.getAll(key))?.fields.get('x')?.value);
      const read = await Promise.all(
        stores.map(async (store) => text((await store.getAll(key))?.fields.get('x')?.value)),
      );
      return read.every((value) => value === kept)
        ? undefined
        : `${key}: cold ${kept}, processes read ${read.join(', ')}`;
    };

    await inParallel(pairs, 50, async () => {
      const key = newKey();
      await stores[0]?.set(key, { field: 'x', value: utf8('seed') }, CREATE);
      // Each process reads it, so each could answer the next read from a hot copy.
      for (const store of stores) await store.getAll(key);
      const i = Math.floor(Math.random() * 3);
      const j = (i + 1 + Math.floor(Math.random() * 2)) % 3;
      const written = await Promise.all([
        stores[i]?.set(key, { field: 'x', value: utf8('a') }, UPDATE),
        stores[j]?.set(key, { field: 'x', value: utf8('b') }, UPDATE),
      ]);
      expect(written, 'both writes found the session').not.toContain(null);
      const disagreement = await compare(key);
      if (disagreement === undefined) return;
      disagreements.push(`${disagreement} (a by ${i}, b by ${j})`);
      // Not a moment's lag: the processes still disagree once everything has settled.
      await sleep(20);
      if ((await compare(key)) !== undefined) lasting++;
    });

    expect(
      disagreements,
      `${disagreements.length} of ${pairs} pairs disagreed with cold, ${lasting} of them still ` +
        `20 ms later (${events.length} events):\n  ` +
        firstOf(disagreements),
    ).toEqual([]);
  }, 60_000);

  it('once a write resolves, no process reads an older value', async () => {
    // Its own processes with a short hot TTL, so copies keep leaving hot and reads keep warming
    // while writes land: the warm racing a write is what this is about.
    const prefix = uniquePrefix('layered-agreement-monotonic');
    prefixes.push(prefix);
    const ownEvents: LayeredStoreEvent[] = [];
    const own = await startProcesses(3, {
      schema: db.schema,
      prefix,
      hotTtl: 0.2,
      events: ownEvents,
    });
    const sessions = 6;
    const writesEach = 100;
    const older: string[] = [];
    let reads = 0;
    try {
      await Promise.all(
        Array.from({ length: sessions }, async () => {
          const key = newKey();
          await own[0]?.store.set(key, { field: 'x', value: utf8('0') }, CREATE);
          /** The highest write that has resolved. */
          let resolved = 0;
          let done = false;
          const writer = async () => {
            try {
              for (let n = 1; n <= writesEach; n++) {
                const by = Math.floor(Math.random() * own.length);
                const ttl = await own[by]?.store.set(
                  key,
                  { field: 'x', value: utf8(`${n}`) },
                  UPDATE,
                );
                expect(ttl, `write ${n} of ${key} found no session`).not.toBeNull();
                resolved = n;
              }
            } finally {
              done = true;
            }
          };
          const reader = async (app: AppProcess, p: number) => {
            while (!done) {
              const floor = resolved;
              const read = text((await app.store.getAll(key))?.fields.get('x')?.value);
              reads++;
              if (!(Number(read) >= floor)) {
                older.push(
                  `${key}: process ${p} read ${read ?? 'nothing'} after write ${floor} resolved`,
                );
              }
            }
          };
          await Promise.all([writer(), ...own.map(reader), ...own.map(reader)]);
        }),
      );
    } finally {
      await Promise.all(own.map((p) => p.close()));
    }

    // Not vacuous: the readers kept up with the writer, two processes' reads to a write at least.
    expect(reads).toBeGreaterThan(2 * sessions * writesEach);
    expect(
      older,
      `${older.length} of ${reads} reads returned a value older than a write that had resolved ` +
        `(${sessions * writesEach} writes, ${ownEvents.length} events):\n  ${firstOf(older)}`,
    ).toEqual([]);
  }, 60_000);

  it('racing writes, reads, warms and destroys never resurrect a session or create one in hot that cold lacks', async () => {
    const slots = Array.from({ length: 50 }, () => ({ key: newKey() }));
    const used = new Set<string>();
    events.length = 0;
    for (const slot of slots) {
      used.add(slot.key);
      await pick(stores).set(slot.key, { field: 'a', value: utf8('0') }, CREATE);
    }

    /**
     * The slot moves on once its session left `ended`: to the key it was renamed to, or to a new
     * session, so there is always something to race. Calls under way keep using `ended`.
     */
    const moveOn = async (slot: { key: string }, ended: string, renamedTo?: string) => {
      if (slot.key !== ended) return;
      const next = renamedTo ?? newKey();
      slot.key = next;
      used.add(next);
      if (renamedTo === undefined) {
        await pick(stores).set(next, { field: 'a', value: utf8('0') }, CREATE);
      }
    };

    let value = 0;
    const durable = ['a', 'b', 'c'];
    const operations: [
      weight: number,
      run: (store: LayeredStore, slot: { key: string }) => Promise<unknown>,
    ][] = [
      [25, (s, { key }) => s.set(key, { field: pick(durable), value: utf8(`${++value}`) }, UPDATE)],
      [
        10,
        (s, { key }) =>
          s.set(
            key,
            { field: pick(durable), value: utf8(`${++value}`) },
            { ...UPDATE, write: 'cold' },
          ),
      ],
      [
        15,
        // Only 'hot' writes use `hot-` names: these live in hot alone, so they are not compared.
        (s, { key }) =>
          s.set(
            key,
            { field: pick(['hot-1', 'hot-2']), value: utf8(`${++value}`) },
            { ...UPDATE, write: 'hot' },
          ),
      ],
      [38, (s, { key }) => s.getAll(key)],
      [
        4,
        async (s, slot) => {
          const { key } = slot;
          await s.delete(key);
          await moveOn(slot, key);
        },
      ],
      [
        4,
        async (s, slot) => {
          const { key } = slot;
          await s.expire(key, 0, 'set');
          await moveOn(slot, key);
        },
      ],
      [
        4,
        async (s, slot) => {
          const { key } = slot;
          const to = sameFamily(key);
          used.add(to);
          const result = await s.rename(key, to, { idleMs: DAY });
          if (result.status === 'renamed') await moveOn(slot, key, to);
        },
      ],
    ];
    const totalWeight = operations.reduce((sum, [weight]) => sum + weight, 0);
    const chooseOperation = () => {
      let roll = Math.random() * totalWeight;
      for (const [weight, run] of operations) {
        roll -= weight;
        if (roll < 0) return run;
      }
      return operations[0]?.[1] as (typeof operations)[number][1];
    };

    const until = Date.now() + 3_000;
    let calls = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && Date.now() < until) {
        calls++;
        try {
          await chooseOperation()(pick(stores), pick(slots));
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 45 }, worker));
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;

    // Quiescent: every call has resolved. Now each process must see what cold holds.
    const resurrected: string[] = [];
    const acceptedHotWrite: string[] = [];
    const disagreed: string[] = [];
    let ended = 0;
    const keys = [...used];
    await inParallel(keys.length, 25, async (n) => {
      const key = keys[n] as string;
      const truth = durableFields(await direct.getAll(key));
      const read = await Promise.all(stores.map((store) => store.getAll(key)));
      if (truth === undefined) {
        ended++;
        read.forEach((session, p) => {
          if (session !== undefined) {
            resurrected.push(`${key}: process ${p} read a session cold lacks`);
          }
        });
        // One process at a time, so that each answer is that process's own, not a probes' race.
        for (const [p, store] of stores.entries()) {
          const probe = { field: 'hot-probe', value: utf8('probe') };
          const result = await store.set(key, probe, { ...UPDATE, write: 'hot' });
          if (result !== null) acceptedHotWrite.push(`${key}: process ${p} took a 'hot' write`);
        }
        return;
      }
      read.forEach((session, p) => {
        const fields = durableFields(session);
        if (JSON.stringify(fields) !== JSON.stringify(truth)) {
          disagreed.push(`${key}: cold [${truth}], process ${p} [${fields ?? 'no session'}]`);
        }
      });
    });

    const problems = [...resurrected, ...acceptedHotWrite, ...disagreed];
    expect(
      problems,
      `${calls} calls on ${used.size} keys (${ended} ended in cold, ${events.length} events): ` +
        `${resurrected.length} reads of a session cold lacks, ${acceptedHotWrite.length} 'hot' ` +
        `writes taken into one, ${disagreed.length} reads disagreeing with cold:\n  ${firstOf(problems)}`,
    ).toEqual([]);
  }, 60_000);
});
