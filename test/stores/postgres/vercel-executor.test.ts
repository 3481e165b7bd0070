import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { neon, neonConfig, Pool } from '@neondatabase/serverless';
import { createPool, VercelPool } from '@vercel/postgres';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ws from 'ws';
import { ConfigError } from '../../../src/core/errors.ts';
import type { PostgresExecutor } from '../../../src/stores/postgres/executor.ts';
import { PostgresStore } from '../../../src/stores/postgres/postgres-store.ts';
import { vercelExecutor } from '../../../src/stores/postgres/vercel-executor.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';
import { type NeonProxy, neonConfigFor, startNeonProxy } from '../../support/neon-proxy.ts';
import { createTestSchema, POSTGRES_URL, type TestSchema } from '../../support/postgres.ts';
import { countNamed, describeTransactionBasics } from './executor-transactions.ts';

const server = new URL(POSTGRES_URL);
/**
 * The test server as the Neon client sees it. The host is `localhost` because `createPool()`
 * refuses any other host that is not a Neon pooler; the proxy sends every connection to the real
 * server anyway. Neon's HTTP client insists on a password, which trust auth ignores.
 */
const CONNECTION_STRING = Object.assign(new URL(POSTGRES_URL), {
  hostname: 'localhost',
  password: server.password || 'trust',
}).href;

let proxy: NeonProxy;

/** Starts the proxy once per file and points Neon's global config at it. */
async function proxied(): Promise<NeonProxy> {
  if (proxy === undefined) {
    proxy = await startNeonProxy({ host: server.hostname, port: Number(server.port || 5432) });
    Object.assign(neonConfig, neonConfigFor(proxy.port), { webSocketConstructor: ws });
  }
  return proxy;
}

afterAll(async () => {
  await proxy?.close();
});

describeStoreConformance('PostgresStore on @vercel/postgres', async () => {
  await proxied();
  const db = await createTestSchema({ prefix: 'ruts_vercel_store' });
  const pool = createPool({ connectionString: CONNECTION_STRING, max: 20 });
  const store = new PostgresStore({ executor: vercelExecutor(pool), schema: db.schema });
  return {
    store,
    teardown: async () => {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
});

const hex = (value: unknown) => Buffer.from(value as Uint8Array).toString('hex');

/**
 * The packages a module loads at runtime, following its relative imports. Type-only imports are
 * erased, so only value imports and dynamic `import()` calls count.
 */
function runtimePackages(file: string, found = new Set<string>(), seen = new Set<string>()) {
  if (seen.has(file)) return found;
  seen.add(file);
  const visit = (node: ts.Node): void => {
    let specifier: string | undefined;
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      specifier = (node.moduleSpecifier as ts.StringLiteral).text;
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      specifier = argument && ts.isStringLiteral(argument) ? argument.text : '<computed>';
    }
    if (specifier?.startsWith('.')) runtimePackages(resolve(dirname(file), specifier), found, seen);
    else if (specifier !== undefined) found.add(specifier);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true));
  return found;
}

describe('vercelExecutor', () => {
  let db: TestSchema;
  let pool: VercelPool;
  let items: string;
  const count = (tx: Pick<PostgresExecutor, 'query'>, name: string) => countNamed(tx, items, name);

  beforeAll(async () => {
    await proxied();
    db = await createTestSchema({ prefix: 'ruts_vercel', migrate: false });
    items = `${db.schema}.items`;
    await db.pool.query(`CREATE TABLE ${items} (name text PRIMARY KEY, value bytea)`);
    pool = createPool({ connectionString: CONNECTION_STRING });
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('configures the same Neon module that @vercel/postgres uses', () => {
    expect(Object.getPrototypeOf(VercelPool)).toBe(Pool);
  });

  it('loads no package but @vercel/postgres, so edge can load it', () => {
    const module = fileURLToPath(
      new URL('../../../src/stores/postgres/vercel-executor.ts', import.meta.url),
    );
    expect([...runtimePackages(module)]).toEqual(['@vercel/postgres']);
  });

  it('round-trips bytea parameters and results, every byte value included', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const [row] = await vercelExecutor(pool).query(
      'SELECT $1::bytea AS value, $2::bytea AS empty',
      [all, new Uint8Array(0)],
    );
    expect(row?.value).toBeInstanceOf(Uint8Array);
    expect(hex(row?.value)).toBe(hex(all));
    expect(hex(row?.empty)).toBe('');
  });

  it('binds a string array for unnest and reads float8 back as numbers', async () => {
    const rows = await vercelExecutor(pool).query(
      'SELECT name, ($2::float8 * 2)::float8 AS ms FROM unnest($1::text[]) AS name ORDER BY name',
      [['b', 'a,"quoted"', 'ключ'], 1.25],
    );
    expect(rows).toEqual([
      { name: 'a,"quoted"', ms: 2.5 },
      { name: 'b', ms: 2.5 },
      { name: 'ключ', ms: 2.5 },
    ]);
  });

  describeTransactionBasics({ executor: () => vercelExecutor(pool), items: () => items });

  it('rolls back when a statement fails, and keeps every pooled connection usable', async () => {
    const executor = vercelExecutor(pool);
    await executor.query(`INSERT INTO ${items} VALUES ($1, NULL)`, ['taken']);
    const attempt = executor.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${items} VALUES ($1, NULL)`, ['first of two']);
      await tx.query(`INSERT INTO ${items} VALUES ($1, NULL)`, ['taken']);
    });
    await expect(attempt).rejects.toMatchObject({ code: '23505' });
    // More transactions than the pool has connections, so a poisoned one would be reused.
    const counts = await Promise.all(
      Array.from({ length: 12 }, () => executor.transaction((tx) => count(tx, 'first of two'))),
    );
    expect(counts).toEqual(Array(12).fill(0));
  });

  it('leaves a pool it was given open on close', async () => {
    await vercelExecutor(pool).close();
    expect(await vercelExecutor(pool).query('SELECT 1::float8 AS one', [])).toEqual([{ one: 1 }]);
  });

  describe('without a pool', () => {
    const previous = process.env.POSTGRES_URL;
    afterAll(() => {
      if (previous === undefined) delete process.env.POSTGRES_URL;
      else process.env.POSTGRES_URL = previous;
    });

    it('opens a pool from POSTGRES_URL on first use and ends it on close', async () => {
      process.env.POSTGRES_URL = CONNECTION_STRING;
      const executor = vercelExecutor();
      expect(await executor.query('SELECT 2::float8 AS two', [])).toEqual([{ two: 2 }]);
      expect(await executor.transaction((tx) => tx.query('SELECT 3::float8 AS n', []))).toEqual([
        { n: 3 },
      ]);
      await executor.close();
      await expect(vercelExecutor().close()).resolves.toBeUndefined();
    });

    it('rejects with a ConfigError naming POSTGRES_URL, and recovers once it is set', async () => {
      delete process.env.POSTGRES_URL;
      const executor = vercelExecutor();
      await expect(executor.query('SELECT 1', [])).rejects.toThrow(ConfigError);
      await expect(executor.query('SELECT 1', [])).rejects.toThrow(/POSTGRES_URL/);
      process.env.POSTGRES_URL = CONNECTION_STRING;
      expect(await executor.query('SELECT 1::float8 AS one', [])).toEqual([{ one: 1 }]);
      await executor.close();
    });
  });
});

describe("the proxy's SQL-over-HTTP endpoint", () => {
  let db: TestSchema;
  let items: string;

  beforeAll(async () => {
    await proxied();
    db = await createTestSchema({ prefix: 'ruts_vercel_http', migrate: false });
    items = `${db.schema}.items`;
    await db.pool.query(`CREATE TABLE ${items} (name text PRIMARY KEY)`);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('answers the sql tagged template with rows parsed by column type', async () => {
    const pool = createPool({ connectionString: CONNECTION_STRING });
    const name = 'ключ';
    const result = await pool.sql`SELECT ${name}::text AS name, '\\x00ff'::bytea AS value,
      1.5::float8 AS ms, ARRAY['a', 'b'] AS list, NULL::text AS nothing`;
    await pool.end();
    const [row] = result.rows;
    expect(result.rows).toHaveLength(1);
    expect(row).toMatchObject({ name, ms: 1.5, list: ['a', 'b'], nothing: null });
    expect(hex(row?.value)).toBe('00ff');
  });

  it('binds bytea parameters', async () => {
    const sql = neon(CONNECTION_STRING);
    const rows = await sql('SELECT $1::bytea AS value', [Buffer.from([0, 1, 255])]);
    expect(hex(rows[0]?.value)).toBe('0001ff');
  });

  it('reports a failed statement as Neon does, with its SQLSTATE', async () => {
    const sql = neon(CONNECTION_STRING);
    await expect(sql('SELECT * FROM no_such_table', [])).rejects.toMatchObject({
      name: 'NeonDbError',
      code: '42P01',
    });
  });

  it('runs a batch as one transaction, all of which a failing statement rolls back', async () => {
    const sql = neon(CONNECTION_STRING);
    const [inserted, counted] = await sql.transaction([
      sql(`INSERT INTO ${items} VALUES ($1) RETURNING name`, ['via http']),
      sql(`SELECT count(*)::float8 AS n FROM ${items} WHERE name = $1`, ['via http']),
    ]);
    expect(inserted).toEqual([{ name: 'via http' }]);
    expect(counted).toEqual([{ n: 1 }]);
    const failing = sql.transaction(
      [
        sql(`INSERT INTO ${items} VALUES ($1)`, ['never kept']),
        sql(`INSERT INTO ${items} VALUES ($1)`, ['via http']),
      ],
      { isolationLevel: 'Serializable', readOnly: false, deferrable: false },
    );
    await expect(failing).rejects.toMatchObject({ name: 'NeonDbError', code: '23505' });
    expect(await sql(`SELECT 1 FROM ${items} WHERE name = $1`, ['never kept'])).toEqual([]);
  });
});
