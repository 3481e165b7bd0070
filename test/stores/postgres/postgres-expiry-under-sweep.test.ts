/**
 * Expiry under load on Postgres: thousands of sessions and fields expire while `sweep()` runs
 * batch after batch and readers hammer every key. No read may return an expired session or
 * field, or miss a live one, whether the sweeper has reached its row yet or not; and by the end
 * the sweep has removed every expired row and nothing else.
 */

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldTtl } from '../../../src/core/store-contract.ts';
import { pgExecutor } from '../../../src/stores/postgres/pg-executor.ts';
import { PostgresStore } from '../../../src/stores/postgres/postgres-store.ts';
import {
  type ClockOffset,
  type ExpectedSession,
  ExpiryTally,
  expiriesOf,
  KeyPicker,
  measureOffset,
  spanOf,
  writeSession,
} from '../../support/expiry-oracle.ts';
import { createTestSchema, type TestSchema } from '../../support/postgres.ts';

const SESSIONS = 20_000;
/** Sessions that expire during the test live at least this long after their write... */
const FIRST_EXPIRY_MS = 1_000;
/** ...and keep expiring for this long. */
const WINDOW_MS = 6_000;
const READERS = 24;
const SWEEP_BATCH = 500;
const FIELDS = ['a', 'b', 'c'] as const;
/** Sessions written at once: fewer keep each write's time, so its expiry, more precisely known. */
const BATCH = 100;

describe('PostgresStore expiry while sweep() runs under concurrent reads', () => {
  let db: TestSchema;
  let store: PostgresStore;

  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_expiry_sweep', max: 12 });
    store = new PostgresStore({
      executor: pgExecutor(db.pool),
      schema: db.schema,
      sweepBatchSize: SWEEP_BATCH,
    });
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('never returns expired data, always returns live data, and sweeps every expired row', async () => {
    const offset = await measureOffset(async () => {
      const { rows } = await db.pool.query<{ ms: number }>(
        'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms',
      );
      return (rows[0] as { ms: number }).ms;
    });
    const sessions = await seed(store, offset);
    const fieldRows = [...sessions.values()].reduce((sum, s) => sum + s.fields.size, 0);
    expect(sessions.size).toBe(SESSIONS);

    const storeNow = () => Date.now() + (offset.lo + offset.hi) / 2;
    // Readers and sweeper run until the last expiry due during the test has passed.
    const soon = storeNow() + 60_000;
    let lastExpiry = 0;
    for (const session of sessions.values()) {
      for (const { hi } of expiriesOf(session))
        if (hi < soon) lastExpiry = Math.max(lastExpiry, hi);
    }
    const picker = new KeyPicker(sessions);
    const tally = new ExpiryTally();
    let running = true;
    const until = lastExpiry + 300;

    const reader = async (id: number): Promise<void> => {
      while (running && storeNow() < until) {
        const key = picker.pick(storeNow());
        await tally.read(store, key, sessions.get(key) as ExpectedSession, id, FIELDS, offset);
      }
    };
    let sweeps = 0;
    let sessionsSwept = 0;
    const sweeper = async (): Promise<void> => {
      while (running && storeNow() < until) {
        sessionsSwept += await store.sweep();
        sweeps++;
      }
    };

    const started = Date.now();
    try {
      await Promise.all([sweeper(), ...Array.from({ length: READERS }, (_, id) => reader(id))]);
    } finally {
      running = false;
    }
    const loadMs = Date.now() - started;
    expect(tally.violations).toEqual([]);
    expect(sweeps).toBeGreaterThan(1);

    // Everything has expired that was going to during the test; one more sweep takes the rest.
    sessionsSwept += await store.sweep();
    const { rows } = await db.pool.query<Record<string, number>>(`
      SELECT (SELECT count(*)::int FROM ruts_sessions WHERE expires_at <= now()) AS expired_sessions,
             (SELECT count(*)::int FROM ruts_session_fields WHERE expires_at <= now()) AS expired_fields,
             (SELECT count(*)::int FROM ruts_sessions) AS sessions,
             (SELECT count(*)::int FROM ruts_session_fields) AS fields,
             (extract(epoch FROM now()) * 1000)::float8 AS now_ms`);
    const left = rows[0] as Record<string, number>;
    expect(left).toMatchObject({ expired_sessions: 0, expired_fields: 0 });

    // What is left is exactly what lives, and every live session reads back whole.
    const now = left.now_ms as number;
    const alive = (expires: { hi: number } | null) => expires === null || expires.hi > now;
    const live = [...sessions].filter(([, session]) => alive(session.expires));
    const liveFields = live.reduce(
      (sum, [, session]) =>
        sum + [...session.fields.values()].filter((f) => alive(f.expires)).length,
      0,
    );
    expect({ sessions: left.sessions, fields: left.fields }).toEqual({
      sessions: live.length,
      fields: liveFields,
    });
    const reads = tally.reads;
    const after = new ExpiryTally();
    for (let i = 0; i < live.length; i += 100) {
      await Promise.all(
        live.slice(i, i + 100).map(async ([key, expected]) => {
          const before = Date.now();
          const got = await store.getAll(key);
          after.session(key, expected, got, spanOf(before, Date.now(), offset));
        }),
      );
    }
    expect(after.violations).toEqual([]);
    expect(after.undecided).toBe(0);

    console.log(
      `[reliability] postgres-expiry-under-sweep: sessions=${SESSIONS}, fields=${fieldRows}, ` +
        `sweeps=${sweeps + 1} (batch ${SWEEP_BATCH}), sessions swept=${sessionsSwept}, ` +
        `field rows removed=${fieldRows - (left.fields as number)}, ` +
        `reads during sweep=${reads} over ${loadMs}ms by ${READERS} readers ` +
        `(expired rightly absent=${tally.expiredAbsent}, live rightly present=${tally.livePresent}, ` +
        `too close to call=${tally.undecided}), expired returned=0, live missing=0, ` +
        `live sessions read back whole after the sweep=${live.length}`,
    );
  }, 60_000);
});

type Kind = 'expired' | 'expiring' | 'live' | 'persistent';

/**
 * Writes the sessions through the store, in the order that leaves the most of the expiring ones
 * for the readers: a quarter that will have expired before the readers start (idle 1-200 ms), a
 * tenth live for ever, three in ten live for an hour, and last 35% that expire during the test. Field a lives with its session (or for ever); b has a TTL of its own, short enough that
 * a part has expired before the readers start; c outlives the test unless its session ends
 * first. No field outlives its session, so none extends it.
 */
async function seed(
  store: PostgresStore,
  offset: ClockOffset,
): Promise<Map<string, ExpectedSession>> {
  const kinds: Kind[] = Array.from({ length: SESSIONS }, (_, i) => {
    const slot = i % 20;
    return slot < 5 ? 'expired' : slot < 7 ? 'persistent' : slot < 13 ? 'live' : 'expiring';
  });
  const order: Kind[] = ['expired', 'persistent', 'live', 'expiring'];
  kinds.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const sessions = new Map<string, ExpectedSession>();
  for (let i = 0; i < kinds.length; i += BATCH) {
    await Promise.all(
      kinds.slice(i, i + BATCH).map(async (kind, j) => {
        const key = `${(i + j).toString(36).padStart(4, '0')}exp.${randomBytes(32).toString('base64url')}`;
        const idleMs =
          kind === 'expired'
            ? between(1, 200)
            : kind === 'expiring'
              ? between(FIRST_EXPIRY_MS, FIRST_EXPIRY_MS + WINDOW_MS)
              : 60 * 60_000;
        const ttls: Record<(typeof FIELDS)[number], FieldTtl | undefined> = {
          a: kind === 'persistent' ? 'persistent' : undefined,
          b: between(1, Math.min(idleMs, FIRST_EXPIRY_MS + WINDOW_MS)),
          c: Math.min(idleMs, 30 * 60_000),
        };
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

function between(min: number, max: number): number {
  return Math.round(min + Math.random() * (max - min));
}
