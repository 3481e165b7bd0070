/**
 * Connections to the servers the tests use (Redis on 127.0.0.1:6379, Postgres on
 * 127.0.0.1:5432, database `test`), a Prisma Client generated offline, and the local Neon
 * stand-in that lets `@vercel/postgres` reach the plain Postgres.
 *
 * @packageDocumentation
 */

import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { VercelPool } from '@vercel/postgres';
import { Redis } from 'ioredis';
import pg from 'pg';
import ws from 'ws';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { migrate } from '../../src/stores/postgres/postgres-migration.ts';
import type { PrismaClientLike } from '../../src/stores/postgres/prisma-executor.ts';
import type { NeonProxy } from '../../test/support/neon-proxy.ts';
import { type NativeRedis, nativeRedis as startNativeRedis } from './native-redis.ts';
import { ROOT } from './paths.ts';
import { unlinkKeysUnder } from './redis-cleanup.ts';

export const REDIS_URL = process.env.RUTS_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const POSTGRES_URL =
  process.env.RUTS_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The bench's own schema, created with the store's `migrate`. */
export const SCHEMA = 'ruts_bench';
/** Every Redis key the bench writes starts with this, and is deleted at the end. */
export const REDIS_PREFIX = 'ruts-bench:';
/** Pool size for every Postgres client: enough for 64 in flight without long queues. */
const PG_POOL_MAX = 16;

const root = ROOT;

export interface Services {
  readonly redis: Redis;
  readonly pool: pg.Pool;
  /**
   * A Redis with hash-field expiry, for the native field-TTL rows, or why there is none here.
   * Started on first use, stopped by `close`.
   */
  nativeRedis(): Promise<Redis | string>;
  prisma(): Promise<PrismaClientLike>;
  vercel(): Promise<VercelPool>;
  close(): Promise<void>;
}

/** Connects to Redis and Postgres, failing with a clear message when either is down. */
export async function connectServices(): Promise<Services> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${(error as Error).message}). Start it (npm test ` +
        'does on Debian), or set RUTS_BENCH_REDIS_URL.',
    );
  }
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: PG_POOL_MAX });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    redis.disconnect();
    await pool.end();
    throw new Error(
      `Postgres is not reachable at ${POSTGRES_URL} (${(error as Error).message}). Start it, ` +
        'or set RUTS_BENCH_POSTGRES_URL.',
    );
  }
  await migrate(pgExecutor(pool), { schema: SCHEMA });
  await clearData(redis, pool);

  let prisma: (PrismaClientLike & { $disconnect(): Promise<void> }) | undefined;
  let prismaDir: string | undefined;
  let proxy: NeonProxy | undefined;
  let vercel: VercelPool | undefined;
  let native: Promise<NativeRedis | string> | undefined;

  return {
    redis,
    pool,
    async nativeRedis() {
      native ??= startNativeRedis();
      const found = await native;
      return typeof found === 'string' ? found : found.redis;
    },
    async prisma() {
      if (prisma === undefined) {
        prismaDir = join(root, 'node_modules', '.cache', 'ruts-bench-prisma', String(process.pid));
        // Loaded on first use, so cases that need no Prisma do not pay for loading it.
        const { PrismaPg } = await import('@prisma/adapter-pg');
        const { PrismaClient } = await import(
          pathToFileURL(await generatePrismaClient(prismaDir)).href
        );
        prisma = new PrismaClient({
          adapter: new PrismaPg({ connectionString: POSTGRES_URL, max: PG_POOL_MAX }),
        }) as PrismaClientLike & { $disconnect(): Promise<void> };
      }
      return prisma;
    },
    async vercel() {
      if (vercel === undefined) {
        const { neonConfig } = await import('@neondatabase/serverless');
        const { createPool } = await import('@vercel/postgres');
        const { neonConfigFor, startNeonProxy } = await import('../../test/support/neon-proxy.ts');
        const server = new URL(POSTGRES_URL);
        proxy = await startNeonProxy({ host: server.hostname, port: Number(server.port || 5432) });
        Object.assign(neonConfig, neonConfigFor(proxy.port), { webSocketConstructor: ws });
        // createPool() accepts only localhost or a Neon host; the proxy goes to the real server.
        const connectionString = Object.assign(new URL(POSTGRES_URL), {
          hostname: 'localhost',
          password: server.password || 'trust',
        }).href;
        vercel = createPool({ connectionString, max: PG_POOL_MAX });
      }
      return vercel;
    },
    async close() {
      await clearData(redis, pool).catch(() => undefined);
      const found = await native;
      if (typeof found === 'object') {
        await unlinkKeysUnder(found.redis, REDIS_PREFIX).catch(() => undefined);
        await found.stop();
      }
      await prisma?.$disconnect();
      if (prismaDir) await rm(prismaDir, { recursive: true, force: true });
      await vercel?.end();
      await proxy?.close();
      await pool.end();
      redis.disconnect();
    },
  };
}

/** Deletes what earlier runs left: the bench's Redis keys and its session rows. */
async function clearData(redis: Redis, pool: pg.Pool): Promise<void> {
  await unlinkKeysUnder(redis, REDIS_PREFIX);
  await pool.query(`TRUNCATE "${SCHEMA}".ruts_sessions, "${SCHEMA}".ruts_session_fields`);
}

/**
 * Generates a Prisma Client from the project's schema, offline, as the tests do, then turns its
 * TypeScript into JavaScript with the TypeScript compiler, so plain Node can load it.
 * Returns the path of its `client.js`.
 */
async function generatePrismaClient(dir: string): Promise<string> {
  const source = await readFile(join(root, 'prisma', 'schema.prisma'), 'utf8');
  const output = join(dir, 'client');
  const generator =
    `generator client {\n  provider = "prisma-client"\n  output = ${JSON.stringify(output)}\n` +
    '  moduleFormat = "esm"\n  importFileExtension = "js"\n}\n';
  const schemaPath = join(dir, 'schema.prisma');
  await mkdir(dir, { recursive: true });
  await writeFile(
    schemaPath,
    `${source.replace(/generator\s+\w+\s*\{[^}]*\}/g, '')}\n${generator}`,
  );
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  await promisify(execFile)(process.execPath, [cli, 'generate', '--schema', schemaPath], {
    cwd: dir,
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  const { default: ts } = await import('typescript');
  for (const entry of await readdir(output, { recursive: true })) {
    if (!entry.endsWith('.ts')) continue;
    const file = join(output, entry);
    const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    await writeFile(file.replace(/\.ts$/, '.js'), outputText);
  }
  return join(output, 'client.js');
}
