/**
 * Case 4 of the benchmarks: HTTP. One production build of the bench app (`bench/http/app/`),
 * served by `next start` on loopback, loaded by autocannon with 50 connections. The routes of
 * the same build run in turn, round after round, in an order that rotates each round:
 * - `GET /api/session`: the example app's session read, on Redis over Postgres, with a real
 *   session cookie from `POST /api/login`;
 * - `GET /api/session-cold`: the same read with the seal cache off, each request with the next of
 *   a thousand cookies (cold cookies: every one verified with crypto, as when a site has more
 *   visitors than the cache holds);
 * - `GET /api/plain`: a small JSON response, the baseline;
 * - `GET /api/iron`: an iron-session cookie read with `getIronSession`;
 * - `GET /api/limit`: the practical limit of a server-side session, an HMAC-signed id checked
 *   with Web Crypto and one `HGETALL` of a plain hash (no expiry, no rotation), so every run
 *   shows how far the session route is from it on the machine of the moment.
 * Each ratio is taken within a round, then the median over rounds is reported.
 *
 * Run alone: `node node_modules/jiti/lib/jiti-cli.mjs bench/http/run.ts [--quick]`.
 * `BENCH_HTTP_CPU_PROF=<dir>` starts the server under `--cpu-prof` and writes its profile there.
 *
 * @packageDocumentation
 */

/// <reference path="./autocannon.d.ts" />

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { sealData } from 'iron-session';
import pg from 'pg';
import { type ExternalResult as BenchResult, runWhenMain } from '../lib/external-case.ts';
import { median } from '../lib/harness.ts';
import { unlinkKeysUnder } from '../lib/redis-cleanup.ts';
import { LIMIT_COOKIE, LIMIT_PREFIX } from './app/lib/limit.ts';

export type { ExternalResult as BenchResult } from '../lib/external-case.ts';

/**
 * The repository: the nearest folder above this module that holds the bench app. This module may
 * run from a compiled copy elsewhere (such as under node_modules/.cache), so it looks upwards.
 */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'bench/http/app/next.config.ts'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

const repoRoot = findRepoRoot();
const appDir = path.join(repoRoot, 'bench/http/app');
const nextBin = path.join(repoRoot, 'node_modules/next/dist/bin/next');

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** Must match `bench/http/app/lib/store.ts`. */
const SCHEMA = 'ruts_bench_http';
const REDIS_PREFIX = 'ruts-bench-http:';
const SESSION_SECRET = 'bench-only-secret-of-the-ruts-http-benchmark-0123456789';
const IRON_COOKIE = 'bench-iron';
const CONNECTIONS = 50;

type RouteName = 'session' | 'cold' | 'plain' | 'iron' | 'limit';
const ROUTES: readonly RouteName[] = ['session', 'cold', 'plain', 'iron', 'limit'];
const PATHS: Record<RouteName, string> = {
  session: '/api/session',
  cold: '/api/session-cold',
  plain: '/api/plain',
  iron: '/api/iron',
  limit: '/api/limit',
};
/** Sessions signed in for the cold-cookie route, its requests cycling through them. */
const COLD_COOKIES = 1000;

interface Sample {
  reqPerSec: number;
  p50: number;
  p99: number;
}

function log(message: string): void {
  process.stderr.write(`[bench:http] ${message}\n`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function build(): void {
  log('next build (bench/http/app)');
  const result = spawnSync(process.execPath, [nextBin, 'build'], {
    cwd: appDir,
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`next build failed:\n${result.stdout}\n${result.stderr}`);
  }
}

function start(port: number): ChildProcess {
  const profileDir = process.env.BENCH_HTTP_CPU_PROF;
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'],
    {
      cwd: appDir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        REDIS_URL,
        DATABASE_URL,
        SESSION_SECRET,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => {
    if (!stopping.has(child) && code !== 0) {
      log(`next start exited (${code ?? signal}):\n${output}`);
    }
  });
  return child;
}

/** Servers being stopped on purpose, whose exit is not an error. */
const stopping = new WeakSet<ChildProcess>();

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  stopping.add(child);
  // SIGINT lets Node write the CPU profile, if one was asked for, before it exits.
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit');
  clearTimeout(timer);
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('next start exited before it was ready');
    try {
      const response = await fetch(`${base}/api/plain`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('next start was not ready within 60 s');
}

/** Signs in through `POST /api/login` and returns the `Cookie` header it set. */
async function login(base: string): Promise<string> {
  const response = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench' }),
  });
  if (!response.ok) throw new Error(`POST /api/login: ${response.status} ${await response.text()}`);
  const cookies = response.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');
  if (cookies.length === 0) throw new Error('POST /api/login set no cookie');
  return cookies.join('; ');
}

/** Checks that each route answers 200 with the session's data, so no run measures an error. */
async function check(base: string, headers: Record<RouteName, Record<string, string>>) {
  for (const route of ROUTES) {
    const response = await fetch(`${base}${PATHS[route]}`, { headers: headers[route] });
    const body = (await response.json()) as { fields?: { userId?: string } };
    if (!response.ok || body.fields?.userId !== 'u_bench') {
      throw new Error(`GET ${PATHS[route]} answered ${response.status} ${JSON.stringify(body)}`);
    }
  }
}

async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  cookies?: readonly string[],
): Promise<Sample> {
  let next = 0;
  // Each request takes the next cookie of the population, so no two in a row send the same.
  const rotate = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    headers: { ...request.headers, cookie: cookies?.[next++ % cookies.length] ?? '' },
  });
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers,
    ...(cookies === undefined ? {} : { requests: [{ setupRequest: rotate }] }),
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) {
    throw new Error(`${url}: ${failed} failed of ${result.requests.total} requests`);
  }
  return {
    reqPerSec: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/**
 * Stores the session of `/api/limit` as a plain hash and returns its cookie value: a random id
 * and its HMAC-SHA256 under the bench secret.
 */
async function limitSession(): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    await redis.hset(`${LIMIT_PREFIX}${id}`, { userId: 'u_bench', username: 'bench' });
  } finally {
    redis.disconnect();
  }
  return `${id}.${createHmac('sha256', SESSION_SECRET).update(id).digest('base64url')}`;
}

async function cleanUp(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    await unlinkKeysUnder(redis, REDIS_PREFIX);
  } finally {
    redis.disconnect();
  }
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  } finally {
    await client.end();
  }
}

export async function run(options: { quick: boolean }): Promise<BenchResult[]> {
  const seconds = options.quick ? 2 : 10;
  const rounds = options.quick ? 1 : 5;
  const warmupSeconds = options.quick ? 1 : 3;

  if (process.env.BENCH_HTTP_SKIP_BUILD !== '1') build();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = start(port);
  try {
    await waitReady(base, server);
    const sessionCookie = await login(base);
    const coldCount = options.quick ? COLD_COOKIES / 10 : COLD_COOKIES;
    log(`signing in ${coldCount} sessions for the cold-cookie route`);
    const coldCookies: string[] = [];
    for (let n = 0; n < coldCount; n++) coldCookies.push(await login(base));
    const ironSeal = await sealData(
      { userId: 'u_bench', username: 'bench' },
      { password: SESSION_SECRET },
    );
    const headers: Record<RouteName, Record<string, string>> = {
      session: { cookie: sessionCookie },
      cold: { cookie: coldCookies[0] as string },
      plain: {},
      iron: { cookie: `${IRON_COOKIE}=${ironSeal}` },
      limit: { cookie: `${LIMIT_COOKIE}=${await limitSession()}` },
    };
    await check(base, headers);

    log(`warm-up: ${warmupSeconds} s per route`);
    const population = (route: RouteName) => (route === 'cold' ? coldCookies : undefined);
    for (const route of ROUTES) {
      await load(`${base}${PATHS[route]}`, headers[route], warmupSeconds, population(route));
    }

    const samples: Record<RouteName, Sample[]> = {
      session: [],
      cold: [],
      plain: [],
      iron: [],
      limit: [],
    };
    for (let round = 1; round <= rounds; round++) {
      // Rotated, as in the other cases, so no route always runs first after another's load.
      for (let k = 0; k < ROUTES.length; k++) {
        const route = ROUTES[(k + round) % ROUTES.length] as RouteName;
        const url = `${base}${PATHS[route]}`;
        const sample = await load(url, headers[route], seconds, population(route));
        samples[route].push(sample);
        log(
          `round ${round}/${rounds} ${route}: ${sample.reqPerSec.toFixed(0)} req/s, ` +
            `p50 ${sample.p50} ms, p99 ${sample.p99} ms`,
        );
      }
    }
    await check(base, headers);

    const perRound = (a: RouteName, b: RouteName) =>
      median(samples[a].map((sample, i) => sample.reqPerSec / (samples[b][i] as Sample).reqPerSec));
    const figures = (route: RouteName, label: string): Record<string, number> => ({
      [`${label} req/s`]: Math.round(median(samples[route].map((s) => s.reqPerSec))),
      [`${label} p50 ms`]: median(samples[route].map((s) => s.p50)),
      [`${label} p99 ms`]: median(samples[route].map((s) => s.p99)),
    });
    const setup = {
      connections: CONNECTIONS,
      'seconds per run': seconds,
      rounds,
    };
    const vsPlain = perRound('session', 'plain');
    const vsIron = perRound('session', 'iron');
    const coldVsPlain = perRound('cold', 'plain');
    const coldVsIron = perRound('cold', 'iron');
    const coldSetup = { ...setup, cookies: coldCount, 'seal cache': 'off' };
    return [
      {
        case: 'HTTP: GET /api/session (Redis over Postgres) vs plain JSON route',
        ratio: vsPlain,
        target: '>= 0.85',
        met: vsPlain >= 0.85,
        absolute: { ...figures('session', 'session'), ...figures('plain', 'plain'), ...setup },
      },
      {
        case: 'HTTP: GET /api/session (Redis over Postgres) vs iron-session route',
        ratio: vsIron,
        target: '>= 1.5',
        met: vsIron >= 1.5,
        absolute: { ...figures('session', 'session'), ...figures('iron', 'iron'), ...setup },
      },
      {
        case: 'HTTP: GET /api/session, cold cookies (seal cache off) vs plain JSON route',
        ratio: coldVsPlain,
        target: '>= 0.8',
        met: coldVsPlain >= 0.8,
        absolute: { ...figures('cold', 'cold'), ...figures('plain', 'plain'), ...coldSetup },
      },
      {
        case: 'HTTP: GET /api/session, cold cookies (seal cache off) vs iron-session route',
        ratio: coldVsIron,
        target: '>= 1.5',
        met: coldVsIron >= 1.5,
        absolute: { ...figures('cold', 'cold'), ...figures('iron', 'iron'), ...coldSetup },
      },
      {
        case: 'HTTP: GET /api/session vs the practical-limit route (HMAC id + HGETALL)',
        ratio: perRound('session', 'limit'),
        absolute: { ...figures('session', 'session'), ...figures('limit', 'limit'), ...setup },
      },
      {
        case: 'HTTP: practical-limit route (HMAC id + HGETALL) vs plain JSON route',
        ratio: perRound('limit', 'plain'),
        absolute: { ...figures('limit', 'limit'), ...figures('plain', 'plain'), ...setup },
      },
      {
        case: 'HTTP: iron-session route vs plain JSON route',
        ratio: perRound('iron', 'plain'),
        absolute: { ...figures('iron', 'iron'), ...figures('plain', 'plain'), ...setup },
      },
    ];
  } finally {
    await stop(server);
    await cleanUp();
  }
}

await runWhenMain(import.meta.url, run);
