import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresExecutor } from '../../../src/stores/postgres/executor.ts';
import { PostgresStore } from '../../../src/stores/postgres/postgres-store.ts';
import {
  type PrismaClientLike,
  prismaExecutor,
} from '../../../src/stores/postgres/prisma-executor.ts';
import { describeStoreConformance } from '../../conformance/store-conformance.ts';
import { createTestSchema, POSTGRES_URL, type TestSchema } from '../../support/postgres.ts';
import { countNamed, describeTransactionBasics } from './executor-transactions.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * Each run generates its own client: inside node_modules so the generated code resolves
 * `@prisma/client`, and in a folder of its own so parallel runs never share one.
 */
const generated = join(root, 'node_modules', '.cache', 'ruts-prisma-test', randomUUID());
let prisma: PrismaClientLike & { $disconnect(): Promise<void> };

/**
 * Generates a Prisma Client from the project's schema, offline, as a fresh clone in CI must.
 * `generate` never runs the schema engine, but the CLI downloads one unless
 * `PRISMA_SCHEMA_ENGINE_BINARY` names an existing file, so any executable will do.
 */
async function generateClient(): Promise<string> {
  const source = await readFile(join(root, 'prisma', 'schema.prisma'), 'utf8');
  const output = join(generated, 'client');
  const generator = `generator client {\n  provider = "prisma-client"\n  output = ${JSON.stringify(output)}\n}\n`;
  const schemaPath = join(generated, 'schema.prisma');
  await mkdir(generated, { recursive: true });
  await writeFile(
    schemaPath,
    `${source.replace(/generator\s+\w+\s*\{[^}]*\}/g, '')}\n${generator}`,
  );
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  // Run from the temporary folder, so a prisma.config.ts that reads env vars is not loaded.
  await promisify(execFile)(process.execPath, [cli, 'generate', '--schema', schemaPath], {
    cwd: generated,
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  return join(output, 'client.ts');
}

beforeAll(async () => {
  const { PrismaClient } = await import(pathToFileURL(await generateClient()).href);
  // The conformance suite fires 200 writes at once; a pool of 20 keeps them from queueing long.
  prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: POSTGRES_URL, max: 20 }) });
}, 60_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await rm(generated, { recursive: true, force: true });
});

describeStoreConformance('PostgresStore on Prisma', async () => {
  const db = await createTestSchema({ prefix: 'ruts_prisma_store' });
  const store = new PostgresStore({ executor: prismaExecutor(prisma), schema: db.schema });
  return {
    store,
    teardown: async () => {
      await store.close();
      await db.drop();
    },
  };
});

const hex = (value: unknown) => Buffer.from(value as Uint8Array).toString('hex');

describe('prismaExecutor', () => {
  let db: TestSchema;
  let items: string;
  const count = (tx: Pick<PostgresExecutor, 'query'>, name: string) => countNamed(tx, items, name);

  beforeAll(async () => {
    db = await createTestSchema({ prefix: 'ruts_prisma', migrate: false });
    items = `${db.schema}.items`;
    await db.pool.query(`CREATE TABLE ${items} (name text PRIMARY KEY, value bytea)`);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('round-trips bytea parameters and results, every byte value and Buffer views included', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const view = Buffer.from([9, 1, 2, 9]).subarray(1, 3);
    const [row] = await prismaExecutor(prisma).query(
      'SELECT $1::bytea AS value, $2::bytea AS empty, $3::bytea AS view',
      [all, new Uint8Array(0), view],
    );
    expect(row?.value).toBeInstanceOf(Uint8Array);
    expect(hex(row?.value)).toBe(hex(all));
    expect(hex(row?.empty)).toBe('');
    expect(hex(row?.view)).toBe('0102');
  });

  it('binds string and number arrays for unnest', async () => {
    const rows = await prismaExecutor(prisma).query(
      'SELECT name, len FROM unnest($1::text[], $2::int[]) AS w(name, len) ORDER BY name',
      [
        ['b', 'a,"quoted"', 'ключ'],
        [1, 2, 3],
      ],
    );
    expect(rows).toEqual([
      { name: 'a,"quoted"', len: 2 },
      { name: 'b', len: 1 },
      { name: 'ключ', len: 3 },
    ]);
  });

  it('reads float8, int8 and numeric results as numbers, and nulls as null', async () => {
    const [row] = await prismaExecutor(prisma).query(
      `SELECT $1::float8 AS ms, count(*) AS counted, 12.5::numeric AS exact,
        ARRAY[1, 2]::int8[] AS list, NULL::float8 AS nothing, 'text' AS label, true AS flag`,
      [1_700_000_000_000.5],
    );
    expect(row).toEqual({
      ms: 1_700_000_000_000.5,
      counted: 1,
      exact: 12.5,
      list: [1, 2],
      nothing: null,
      label: 'text',
      flag: true,
    });
  });

  describeTransactionBasics({ executor: () => prismaExecutor(prisma), items: () => items });

  it('rolls back when a statement fails, and keeps serving later transactions', async () => {
    const executor = prismaExecutor(prisma);
    await executor.query(`INSERT INTO ${items} VALUES ($1, NULL)`, ['taken']);
    const attempt = executor.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${items} VALUES ($1, NULL)`, ['first of two']);
      await tx.query(`INSERT INTO ${items} VALUES ($1, NULL)`, ['taken']);
    });
    // Prisma reports the SQLSTATE in its own error (P2010), not as `code`.
    await expect(attempt).rejects.toThrow(/23505/);
    const counts = await Promise.all(
      Array.from({ length: 30 }, () => executor.transaction((tx) => count(tx, 'first of two'))),
    );
    expect(counts).toEqual(Array(30).fill(0));
  });

  it("leaves the application's client connected on close", async () => {
    await prismaExecutor(prisma).close();
    expect(await prismaExecutor(prisma).query('SELECT 1::float8 AS one', [])).toEqual([{ one: 1 }]);
  });
});
