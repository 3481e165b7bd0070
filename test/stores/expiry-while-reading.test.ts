/**
 * Sessions and fields expiring while readers hammer them, on the stores with no sweep: Redis
 * expires keys itself (and the scripts filter expired fields), MemoryStore purges as it goes.
 * The conformance suite checks expiry after a wait; this checks every read across the moment
 * of expiry, under concurrency, with an oracle that only judges what the clocks prove.
 */

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SessionStore } from '../../src/core/store-contract.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { newKey } from '../conformance/conformance-helpers.ts';
import {
  type ClockOffset,
  type ExpectedSession,
  ExpiryTally,
  KeyPicker,
  measureOffset,
  SAME_CLOCK,
  writeSession,
} from '../support/expiry-oracle.ts';
import { memoryStore } from '../support/memory-store.ts';
import {
  connectRedis,
  deleteKeysUnder,
  REDIS_URL,
  uniquePrefix,
} from './redis/redis-test-server.ts';

const SESSIONS = 1_500;
const READERS = 24;
/** Idle timeouts are drawn from this range, so expiries spread over it. */
const IDLE_MS = { min: 300, max: 2_000 } as const;
const FIELDS = ['a', 'b', 'c'] as const;
const NATIVE_URL = process.env.RUTS_REDIS_NATIVE_URL;

const between = (min: number, max: number) => Math.round(min + Math.random() * (max - min));

/**
 * Writes `count` sessions through the store, each with an idle timeout from {@link IDLE_MS}
 * (capped at `maxIdleMs`):
 * field a lives with its session, b and c have TTLs of their own no longer than the session's
 * (so they do not extend it). Returns what each was written with, on the store's clock.
 */
async function seed(
  store: SessionStore,
  count: number,
  offset: ClockOffset,
  maxIdleMs: number = IDLE_MS.max,
): Promise<Map<string, ExpectedSession>> {
  const sessions = new Map<string, ExpectedSession>();
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, async () => {
        const key = newKey();
        const idleMs = between(IDLE_MS.min, maxIdleMs);
        const ttls = { a: undefined, b: between(50, idleMs), c: between(idleMs / 2, idleMs) };
        const entries = FIELDS.map((field) => ({
          field,
          value: new Uint8Array(randomBytes(16)),
          ttlMs: ttls[field],
        }));
        sessions.set(key, await writeSession(store, key, entries, idleMs, offset));
      }),
    );
  }
  return sessions;
}

/** Readers `getAll` and `get` keys, many near their expiry, until every expiry has passed. */
async function hammer(
  store: SessionStore,
  sessions: ReadonlyMap<string, ExpectedSession>,
  offset: ClockOffset,
): Promise<ExpiryTally> {
  const storeNow = () => Date.now() + (offset.lo + offset.hi) / 2;
  let lastExpiry = 0;
  for (const session of sessions.values())
    lastExpiry = Math.max(lastExpiry, session.expires?.hi ?? 0);
  const until = lastExpiry + 200;
  const picker = new KeyPicker(sessions);
  const tally = new ExpiryTally();
  const reader = async (id: number): Promise<void> => {
    for (let n = 1; storeNow() < until; n++) {
      const key = picker.pick(storeNow());
      await tally.read(store, key, sessions.get(key) as ExpectedSession, id, FIELDS, offset);
      // An in-process store answers without I/O; let timers and other readers run.
      if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: READERS }, (_, id) => reader(id)));
  return tally;
}

/** Seeds and hammers a RedisStore on the server at `url`, under a prefix of its own. */
async function onRedis(url: string, nativeFieldTtl: boolean): Promise<void> {
  const client = await connectRedis(url);
  const prefix = uniquePrefix('expiry-reading');
  try {
    const store = new RedisStore({ client, prefix, nativeFieldTtl });
    const offset = await measureOffset(async () => {
      const [seconds, micros] = await client.time();
      return Number(seconds) * 1_000 + Number(micros) / 1_000;
    });
    const sessions = await seed(store, SESSIONS, offset);
    const tally = await hammer(store, sessions, offset);
    expect(tally.violations).toEqual([]);
    expect(tally.expiredAbsent).toBeGreaterThan(0);
    report(`RedisStore, ${await store.fieldTtlMode()} field TTL`, tally);
  } finally {
    await deleteKeysUnder(client, prefix);
    await client.quit();
  }
}

function report(label: string, tally: ExpiryTally): void {
  console.log(
    `[reliability] expiry-while-reading (${label}): sessions=${SESSIONS}, fields=${SESSIONS * FIELDS.length}, ` +
      `ttls ${IDLE_MS.min}-${IDLE_MS.max}ms, reads=${tally.reads} by ${READERS} readers ` +
      `(expired rightly absent=${tally.expiredAbsent}, live rightly present=${tally.livePresent}, ` +
      `too close to call=${tally.undecided}), expired returned=0, live missing=0`,
  );
}

describe('expiry while readers hammer the sessions', () => {
  it('MemoryStore never returns an expired session or field, nor misses a live one', async () => {
    const store = memoryStore();
    const sessions = await seed(store, SESSIONS, SAME_CLOCK);
    const tally = await hammer(store, sessions, SAME_CLOCK);
    expect(tally.violations).toEqual([]);
    expect(tally.expiredAbsent).toBeGreaterThan(0);
    report('MemoryStore', tally);
  }, 30_000);

  it('RedisStore never returns an expired session or field, nor misses a live one', async () => {
    await onRedis(REDIS_URL, false);
  }, 30_000);

  it.runIf(NATIVE_URL)(
    'RedisStore with native field TTL (needs RUTS_REDIS_NATIVE_URL) does the same',
    async () => {
      await onRedis(NATIVE_URL as string, true);
    },
    30_000,
  );

  it('the oracle catches a store whose reads judge expiry by a clock running late or early', async () => {
    // Writes use the true clock; reads then use one 300 ms off, as a store comparing expiries
    // against a stale or skewed time would. The oracle must see both kinds of wrong answer.
    for (const [skew, symptom] of [
      [-300, /^expired (session|field) .* returned$/],
      [300, /^live (session|field) .* missing$/],
    ] as const) {
      let readSkew = 0;
      const store = memoryStore({ now: () => Date.now() + readSkew });
      const sessions = await seed(store, 200, SAME_CLOCK, 800);
      readSkew = skew;
      const tally = await hammer(store, sessions, SAME_CLOCK);
      expect(tally.violations.some((violation) => symptom.test(violation))).toBe(true);
    }
  }, 30_000);
});
