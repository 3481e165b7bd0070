import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, StoreError } from '../../../src/core/errors.ts';
import type { PostgresExecutor } from '../../../src/stores/postgres/executor.ts';
import { pgExecutor } from '../../../src/stores/postgres/pg-executor.ts';
import { PostgresStore } from '../../../src/stores/postgres/postgres-store.ts';
import { createTestSchema, type TestSchema } from '../../support/postgres.ts';

/** Wraps an executor to record how many rows each sweep statement removed. */
function recordingSweeps(inner: PostgresExecutor) {
  const batches: { table: 'sessions' | 'fields'; removed: number }[] = [];
  const executor: PostgresExecutor = {
    ...inner,
    async query(sql, params) {
      const rows = await inner.query(sql, params);
      if (sql.includes('SKIP LOCKED')) {
        const table = sql.includes('session_fields') ? 'fields' : 'sessions';
        batches.push({ table, removed: Number(rows[0]?.removed) });
      }
      return rows as never;
    },
  };
  return { executor, batches };
}

/** An executor whose every statement fails until told otherwise, and counts its calls. */
function flakyExecutor() {
  const state = { failing: true, calls: 0, inFlight: 0 };
  const executor: PostgresExecutor = {
    async query() {
      state.calls++;
      state.inFlight++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      state.inFlight--;
      if (state.failing) throw new Error('connection refused');
      return [{ removed: 0 }] as never;
    },
    transaction: () => Promise.reject(new Error('not used')),
    close: async () => {},
  };
  return { executor, state };
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('PostgresStore.sweep', () => {
  let db: TestSchema;
  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_sweep' });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('deletes expired sessions and fields in small batches and leaves live data alone', async () => {
    // Rows already past their expiry, written directly so the test need not wait for them.
    await db.pool.query(`
      INSERT INTO ruts_sessions (key, created_at, expires_at)
        SELECT 'expired.' || g, now() - interval '1 hour', now() - interval '1 minute'
        FROM generate_series(1, 250) AS g;
      INSERT INTO ruts_session_fields (session_id, name, value)
        SELECT id, 'f', '\\x01' FROM ruts_sessions WHERE key LIKE 'expired.%';
      INSERT INTO ruts_sessions (key, created_at, expires_at)
        SELECT 'live.' || g, now(), now() + interval '1 hour' FROM generate_series(1, 30) AS g;
      INSERT INTO ruts_sessions (key, created_at, expires_at) VALUES ('persistent.1', now(), NULL);
      INSERT INTO ruts_session_fields (session_id, name, value, expires_at)
        SELECT id, 'stale', '\\x02', now() - interval '1 second'
        FROM ruts_sessions WHERE key LIKE 'live.%';
      INSERT INTO ruts_session_fields (session_id, name, value, expires_at)
        SELECT id, 'fresh', '\\x03', now() + interval '1 hour'
        FROM ruts_sessions WHERE key LIKE 'live.%';
    `);
    const { executor, batches } = recordingSweeps(pgExecutor(db.pool));
    const store = new PostgresStore({ executor, schema: db.schema, sweepBatchSize: 20 });

    expect(await store.sweep()).toBe(250);

    const sessionBatches = batches.filter((batch) => batch.table === 'sessions');
    expect(sessionBatches.map((batch) => batch.removed)).toEqual([...Array(12).fill(20), 10]);
    expect(batches.filter((batch) => batch.table === 'fields').map((b) => b.removed)).toEqual([
      20, 10,
    ]);
    const left = await db.pool.query(`
      SELECT (SELECT count(*)::int FROM ruts_sessions) AS sessions,
             (SELECT count(*)::int FROM ruts_session_fields) AS fields,
             (SELECT count(*)::int FROM ruts_session_fields WHERE name = 'fresh') AS fresh`);
    expect(left.rows).toEqual([{ sessions: 31, fields: 30, fresh: 30 }]);
    expect(await store.sweep()).toBe(0);
    await store.close();
  });
});

describe('PostgresStore.startSweeper', () => {
  it('keeps sweeping after a failed sweep, reporting the failure to onError', async () => {
    const { executor, state } = flakyExecutor();
    const store = new PostgresStore({ executor });
    const errors: StoreError[] = [];
    const sweeps: number[] = [];
    store.startSweeper({
      intervalMs: 10,
      onError: (error) => {
        errors.push(error);
        state.failing = false;
      },
      onSweep: (removed) => sweeps.push(removed),
    });
    await until(() => sweeps.length >= 2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StoreError);
    expect(errors[0]?.message).toMatch(/during sweep: connection refused/);
    expect(sweeps.every((removed) => removed === 0)).toBe(true);
    await store.close();
  });

  it('survives an onError hook that throws', async () => {
    const { executor, state } = flakyExecutor();
    const store = new PostgresStore({ executor });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    let failures = 0;
    store.startSweeper({
      intervalMs: 10,
      onError: () => {
        failures++;
        throw new Error('the hook broke');
      },
    });
    await until(() => failures >= 2);
    expect(logged).toHaveBeenCalledWith(expect.any(StoreError));
    logged.mockRestore();
    await store.close();
    expect(state.calls).toBeGreaterThanOrEqual(2);
  });

  it('stops on close, after letting a sweep in progress finish', async () => {
    const { executor, state } = flakyExecutor();
    state.failing = false;
    const store = new PostgresStore({ executor });
    store.startSweeper({ intervalMs: 10 });
    await until(() => state.inFlight > 0);
    await store.close();
    expect(state.inFlight).toBe(0);
    const calls = state.calls;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(state.calls).toBe(calls);
  });

  it('stops when its handle is stopped, and then allows a new sweeper', async () => {
    const { executor, state } = flakyExecutor();
    state.failing = false;
    const store = new PostgresStore({ executor });
    const sweeper = store.startSweeper({ intervalMs: 10 });
    expect(() => store.startSweeper()).toThrow(ConfigError);
    await sweeper.stop();
    const calls = state.calls;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(state.calls).toBe(calls);
    await store.startSweeper({ intervalMs: 10 }).stop();
    await store.close();
  });

  it.each([
    [{ intervalMs: 0 }, /intervalMs must be a positive integer/],
    [{ intervalMs: 1.5 }, /intervalMs must be a positive integer/],
    [{ batchSize: -1 }, /batchSize must be a positive integer/],
    [{ onError: 'log' }, /must be functions/],
  ])('rejects the options %j', (options, message) => {
    const store = new PostgresStore({ executor: flakyExecutor().executor });
    expect(() => store.startSweeper(options as never)).toThrow(ConfigError);
    expect(() => store.startSweeper(options as never)).toThrow(message);
  });
});
