import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

import { ConfigError } from '../../../src/core/errors.ts';
import { pgExecutor } from '../../../src/stores/postgres/pg-executor.ts';
import { createTestSchema, POSTGRES_URL, type TestSchema } from '../../support/postgres.ts';

describe('pgExecutor', () => {
  let db: TestSchema;
  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_pg_executor', migrate: false });
    await db.pool.query('CREATE TABLE counter (n int)');
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** A one-connection pool, so a later query sees what an earlier one prepared. */
  function singleConnection(): pg.Pool {
    return new pg.Pool({
      connectionString: POSTGRES_URL,
      max: 1,
      options: `-c search_path=${db.schema}`,
    });
  }

  it('prepares each parameterised statement once per connection, under a name from its text', async () => {
    const pool = singleConnection();
    const executor = pgExecutor(pool);
    const sql = 'SELECT $1::int + 1 AS n';
    expect(await executor.query(sql, [1])).toEqual([{ n: 2 }]);
    expect(await executor.query(sql, [2])).toEqual([{ n: 3 }]);
    const prepared = await pool.query('SELECT name, statement FROM pg_prepared_statements');
    expect(prepared.rows).toEqual([
      { name: expect.stringMatching(/^ruts_[0-9a-f]{24}$/), statement: sql },
    ]);
    await pool.end();
  });

  it('prepares nothing when told not to, for poolers that cannot keep prepared statements', async () => {
    const pool = singleConnection();
    const executor = pgExecutor(pool, { prepare: false });
    await executor.query('SELECT $1::int AS n', [1]);
    expect((await pool.query('SELECT name FROM pg_prepared_statements')).rows).toEqual([]);
    await pool.end();
  });

  it('returns bytea as bytes and float8 as numbers', async () => {
    const executor = pgExecutor(db.pool);
    const [row] = await executor.query<{ value: Uint8Array; ms: number }>(
      'SELECT $1::bytea AS value, $2::float8 * 2 AS ms',
      [new Uint8Array([0, 255]), 1.5],
    );
    expect(row?.value).toBeInstanceOf(Uint8Array);
    expect([...(row?.value ?? [])]).toEqual([0, 255]);
    expect(row?.ms).toBe(3);
  });

  it("commits a transaction's work, and rolls it back when the work throws", async () => {
    const executor = pgExecutor(db.pool);
    await executor.transaction(async (tx) => {
      await tx.query('DELETE FROM counter', []);
      await tx.query('INSERT INTO counter VALUES ($1)', [1]);
    });
    const failing = executor.transaction(async (tx) => {
      await tx.query('UPDATE counter SET n = n + 1', []);
      throw new Error('changed my mind');
    });
    await expect(failing).rejects.toThrow('changed my mind');
    expect(await executor.query('SELECT n FROM counter', [])).toEqual([{ n: 1 }]);
    // Every connection went back to the pool, none left inside a transaction.
    expect(db.pool.totalCount).toBe(db.pool.idleCount);
  });

  it('leaves a pool you pass open when it closes', async () => {
    const executor = pgExecutor(db.pool);
    await executor.close();
    expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await expect(executor.query('SELECT 1', [])).rejects.toThrow(/closed/);
  });

  it('opens its own pool from a connection string on first use and ends it on close', async () => {
    const executor = pgExecutor(POSTGRES_URL);
    expect(await executor.query('SELECT $1::text AS said', ['hello'])).toEqual([{ said: 'hello' }]);
    await executor.close();
    await expect(executor.query('SELECT 1', [])).rejects.toThrow(/closed/);
  });

  it('shares one pool per connection string in the process, ended when its last executor closes', async () => {
    const name = `ruts_shared_${process.pid}_${Date.now()}`;
    const url = `${POSTGRES_URL}?application_name=${name}`;
    /** Connections the server holds for pools of `url`. */
    const connections = async () =>
      (
        await db.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
          [name],
        )
      ).rows[0]?.n;
    vi.resetModules();
    // A second copy of the module, as Next.js makes when it evaluates one module twice.
    const copy = await import('../../../src/stores/postgres/pg-executor.ts');
    const pages = pgExecutor(url);
    const routes = copy.pgExecutor(url);
    // Held open together, two pools would need two connections; one pool of max 1 cannot.
    const settings = { connectionString: `${url}_settings`, max: 1 };
    const first = pgExecutor(settings);
    const second = copy.pgExecutor({ ...settings });
    let elsewhere: Promise<unknown> = Promise.resolve();
    await first.transaction(async () => {
      elsewhere = second.query('SELECT 1 AS one', []);
      // The second executor waits for the one connection the first holds.
      expect(await Promise.race([elsewhere, delay(200).then(() => 'waiting')])).toBe('waiting');
    });
    expect(await elsewhere).toEqual([{ one: 1 }]);
    await Promise.all([first.close(), second.close()]);
    // One after the other, the pool needs one connection; two pools would have opened two.
    await pages.query('SELECT 1', []);
    await routes.query('SELECT 1', []);
    expect(await connections()).toBe(1);
    await pages.close();
    expect(await routes.query('SELECT 2 AS two', [])).toEqual([{ two: 2 }]);
    await routes.close();
    // The server lets a closed connection go a moment after the client has.
    await expect.poll(connections).toBe(0);
  });

  it('fails loudly, not silently, when the server cannot be reached', async () => {
    const executor = pgExecutor({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      connectionTimeoutMillis: 1_000,
    });
    await expect(executor.query('SELECT 1', [])).rejects.toThrow();
    await executor.close();
  });

  it('refuses a single Client, whose transactions would mix with other calls', () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    expect(() => pgExecutor(client as unknown as pg.Pool)).toThrow(ConfigError);
    expect(() => pgExecutor(client as unknown as pg.Pool)).toThrow(/not a single Client/);
  });

  it('refuses an empty connection string and anything that is not a pool or settings', () => {
    expect(() => pgExecutor('')).toThrow(ConfigError);
    expect(() => pgExecutor(42 as never)).toThrow(ConfigError);
  });
});
