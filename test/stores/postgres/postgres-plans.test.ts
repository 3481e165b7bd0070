import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStatements } from '../../../src/stores/postgres/postgres-statements.ts';
import { resolveTables } from '../../../src/stores/postgres/postgres-tables.ts';
import { createTestSchema, type TestSchema } from '../../support/postgres.ts';

/**
 * Every statement that names a session must reach it through the key or an id, and one that names
 * an owner through the owner index, however many sessions the tables hold: a plan that scans a
 * table, or walks an expiry index, does work in proportion to every session there is.
 */
describe('the plans of the statements that name a session', () => {
  let db: TestSchema;
  let client: pg.PoolClient;
  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_plans' });
    await db.pool.query(`
      INSERT INTO ruts_sessions (key, expires_at, field_count, field_bytes, owner, last_active_at)
        SELECT 'family1.' || g, now() + interval '1 hour', 5, 50,
          CASE WHEN g % 2 = 0 THEN 'user-' || g % 5000 END, now()
        FROM generate_series(1, 20000) AS g;
      INSERT INTO ruts_session_fields (session_id, name, value, expires_at)
        SELECT s.id, 'f' || n, '\\x0102', CASE WHEN n = 1 THEN now() + interval '1 hour' END
        FROM ruts_sessions AS s, generate_series(1, 5) AS n;
      ANALYZE ruts_sessions;
      ANALYZE ruts_session_fields;`);
    client = await db.pool.connect();
    // The pg executor prepares each statement once per connection, so its plans turn generic.
    await client.query('SET plan_cache_mode = force_generic_plan');
  }, 60_000);
  afterAll(async () => {
    client?.release();
    await db?.drop();
  });

  const statements = buildStatements(resolveTables('public'));
  const keyed = Object.entries(statements).filter(([name]) => !name.startsWith('sweep')) as [
    string,
    string,
  ][];

  /** The statements that find sessions by owner rather than by key. */
  const byOwner = new Set(['listOwned', 'deleteOwned']);

  it('covers the statements that name an owner', () => {
    expect(keyed.map(([name]) => name)).toEqual(expect.arrayContaining([...byOwner]));
  });

  it.each(keyed)('%s uses the key or the owner, and the primary keys only', async (name, sql) => {
    const text = sql.replaceAll('"public".', '');
    const count = Math.max(...[...text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])));
    await client.query(`PREPARE plan_${name} AS ${text}`);
    try {
      const nulls = Array.from({ length: count }, () => 'NULL').join(', ');
      const { rows } = await client.query(`EXPLAIN EXECUTE plan_${name}(${nulls})`);
      const plan = rows.map((row) => row['QUERY PLAN'] as string);
      const scans = plan.filter((line) => / on "?ruts_/.test(line) && /Scan/.test(line));
      const entry = byOwner.has(name) ? 'ruts_sessions_owner_idx' : 'ruts_sessions_key_key';
      if (byOwner.has(name)) expect(plan.join('\n')).toContain(entry);
      // A bitmap heap scan is as narrow as the bitmap index scan below it, checked in turn.
      for (const scan of scans.filter((line) => !/Bitmap Heap Scan/.test(line))) {
        expect(scan, plan.join('\n')).toMatch(
          new RegExp(
            `(Index (Only )?Scan using|Bitmap Index Scan on) (${entry}|ruts_sessions_pkey|ruts_session_fields_pkey) `,
          ),
        );
      }
    } finally {
      await client.query(`DEALLOCATE plan_${name}`);
    }
  });
});
