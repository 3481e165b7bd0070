/**
 * `npm run soak`: the example app on Redis over PostgreSQL under load, watched for errors and
 * memory growth (issue 6, "Load and soak").
 *
 *   npm run soak                               100 connections, 20 s warm-up, then 60 s measured
 *   npm run soak -- --ci                       50 connections, 20 s warm-up, then 20 s (CI)
 *   npm run soak -- --duration=S --connections=N --warmup=S
 *   npm run soak -- --rebuild                  build the app even if a fresh build exists
 *
 * The app is the production build the end-to-end tests make (`example-app/.next`), built here
 * only when missing or older than its sources, and served by `next start` against a Redis
 * database and a PostgreSQL database of the soak's own (`services.ts`), removed afterwards.
 * Every connection signs in, reads and writes its own session, and signs out or walks away, so
 * thousands of sessions come and go (`traffic.ts`). The server's RSS is sampled every second.
 *
 * Targets, checked on the measured run only: no non-2xx answers, errors or timeouts, no read
 * that missed a write, and RSS growth under 10% from the end of the warm-up to the end. A missed
 * target exits non-zero. The figures are printed and written to `soak/results/`.
 *
 * The warm-up is long enough for the server's heap to reach its working size: under this load
 * RSS climbs for the first 10,000 requests or so and is flat after that, so the warm-up runs
 * its seconds and then goes on in short slices until it has served that many. That is about 15 s
 * on a fast day here, and over 40 s when the machine runs a few times slower; a warm-up that
 * stopped at a fixed time would measure the climb rather than a leak.
 *
 * @packageDocumentation
 */

/// <reference path="./autocannon.d.ts" />

import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { APP_DIR, AppServer, freePort, REPOSITORY_ROOT } from '../e2e/support/app-server.ts';
import buildExampleApp from '../e2e/support/global-setup.ts';
import { COMMON_ENV } from '../e2e/support/run-settings.ts';
import { medianBytes, RssSampler } from './rss.ts';
import { createSoakServices } from './services.ts';
import { shopperTraffic, type TrafficCounts } from './traffic.ts';

const RESULTS_DIR = path.join(REPOSITORY_ROOT, 'soak', 'results');
const LOG_FILE = path.join(REPOSITORY_ROOT, 'node_modules', '.cache', 'ruts-soak', 'server.log');
/** RSS may grow by less than this much, as a fraction, from the end of the warm-up to the end. */
const MAX_RSS_GROWTH = 0.1;
/** Requests the warm-up serves at least, however long they take (see above). */
const WARMUP_REQUESTS = 10_000;
/** The length of each slice the warm-up adds to reach them. */
const WARMUP_SLICE_SECONDS = 10;
/** The most slices it adds, so a server that serves nothing does not hold it up for ever. */
const MAX_WARMUP_SLICES = 12;
/** Seconds of samples whose median stands for the RSS at the end of a phase. */
const RSS_WINDOW_SECONDS = 5;

interface Settings {
  mode: 'full' | 'ci' | 'custom';
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  rebuild: boolean;
}

function parseArgs(argv: readonly string[]): Settings {
  const ci = argv.includes('--ci');
  const settings: Settings = {
    mode: ci ? 'ci' : 'full',
    connections: ci ? 50 : 100,
    warmupSeconds: 20,
    durationSeconds: ci ? 20 : 60,
    rebuild: argv.includes('--rebuild'),
  };
  const numbers = {
    '--connections': 'connections',
    '--warmup': 'warmupSeconds',
    '--duration': 'durationSeconds',
  } as const;
  for (const arg of argv) {
    if (arg === '--ci' || arg === '--rebuild') continue;
    const [name, value] = arg.split('=') as [string, string | undefined];
    const field = numbers[name as keyof typeof numbers];
    const parsed = Number(value);
    if (field === undefined || !Number.isInteger(parsed) || parsed <= 0) {
      throw new Error(
        `unknown or bad argument ${arg}; use --ci, --rebuild, --duration=S, --connections=N, --warmup=S`,
      );
    }
    settings[field] = parsed;
    settings.mode = 'custom';
  }
  return settings;
}

/** The newest modification time of the files under `dir`, skipping build output and data. */
async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    // next-env.d.ts is written by the build itself.
    if (['.next', '.data', 'node_modules', 'next-env.d.ts'].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory() ? await newestSource(full) : (await stat(full)).mtimeMs,
    );
  }
  return newest;
}

/** Whether `example-app/.next` is missing, or older than the app or the library it bundles. */
async function buildIsStale(): Promise<boolean> {
  const buildId = path.join(APP_DIR, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return true;
  const sources = Math.max(
    await newestSource(APP_DIR),
    await newestSource(path.join(REPOSITORY_ROOT, 'src')),
    statSync(path.join(REPOSITORY_ROOT, 'next.config.ts')).mtimeMs,
  );
  return sources > statSync(buildId).mtimeMs;
}

function log(message: string): void {
  process.stderr.write(`[soak] ${message}\n`);
}

const MB = 1024 * 1024;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs autocannon with the shopper traffic for `seconds`, and what the traffic saw. */
async function load(
  url: string,
  connections: number,
  seconds: number,
): Promise<{ result: Result; counts: TrafficCounts }> {
  const { requests, counts } = shopperTraffic();
  const instance = autocannon({ url, connections, duration: seconds, timeout: 10, requests });
  const stop = () => instance.stop();
  process.once('SIGINT', stop);
  try {
    return { result: await instance, counts };
  } finally {
    process.off('SIGINT', stop);
  }
}

interface WarmUp {
  requests: number;
  non2xx: number;
  errors: number;
  sessionsCreated: number;
}

/** Loads for `seconds`, then in slices until {@link WARMUP_REQUESTS} have been served. */
async function warmUp(url: string, connections: number, seconds: number): Promise<WarmUp> {
  const total: WarmUp = { requests: 0, non2xx: 0, errors: 0, sessionsCreated: 0 };
  for (let slice = 0; slice <= MAX_WARMUP_SLICES; slice++) {
    const { result, counts } = await load(
      url,
      connections,
      slice === 0 ? seconds : WARMUP_SLICE_SECONDS,
    );
    total.requests += result.requests.total;
    total.non2xx += result.non2xx;
    total.errors += result.errors;
    total.sessionsCreated += counts.sessionsCreated;
    if (total.requests >= WARMUP_REQUESTS) break;
    log(`warm-up: ${total.requests} requests so far; ${WARMUP_SLICE_SECONDS} s more`);
  }
  return total;
}

async function main(): Promise<number> {
  const settings = parseArgs(process.argv.slice(2));
  if (settings.rebuild || (await buildIsStale())) {
    await buildExampleApp();
  } else {
    log('reusing the build in example-app/.next');
  }

  const services = await createSoakServices();
  await mkdir(path.dirname(LOG_FILE), { recursive: true });
  const server = new AppServer({
    port: await freePort(),
    env: { ...COMMON_ENV, REDIS_URL: services.redisUrl, DATABASE_URL: services.databaseUrl },
    logFile: LOG_FILE,
  });
  const sampler = new RssSampler();
  try {
    await server.start();
    log(
      `next start at ${server.url}: Redis ${services.redisUrl}, Postgres ${services.databaseUrl}`,
    );
    sampler.start();

    log(`warm-up: ${settings.connections} connections for ${settings.warmupSeconds} s`);
    const warmStarted = (Date.now() - sampler.startedAt) / 1000;
    const warmup = await warmUp(server.url, settings.connections, settings.warmupSeconds);
    const warmEnded = (Date.now() - sampler.startedAt) / 1000;

    log(`measured: ${settings.connections} connections for ${settings.durationSeconds} s`);
    const { result, counts } = await load(
      server.url,
      settings.connections,
      settings.durationSeconds,
    );
    const ended = (Date.now() - sampler.startedAt) / 1000;
    sampler.stop();
    const keysLeft = await services.countAppKeys();

    const rssWarm = medianBytes(sampler.between(warmEnded - RSS_WINDOW_SECONDS, warmEnded));
    const rssEnd = medianBytes(sampler.between(ended - RSS_WINDOW_SECONDS, ended));
    const growth = rssWarm === 0 ? Number.NaN : (rssEnd - rssWarm) / rssWarm;
    const failures = result.non2xx + result.errors + result.timeouts;
    const targets = {
      'non-2xx, errors and timeouts: 0': failures === 0,
      'reads that missed a write: 0': counts.wrongReads === 0,
      [`RSS growth after warm-up < ${MAX_RSS_GROWTH * 100}%`]: growth < MAX_RSS_GROWTH,
    };
    const report = {
      date: new Date().toISOString(),
      command: `npm run soak${settings.mode === 'full' ? '' : ` -- ${process.argv.slice(2).join(' ')}`}`,
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, node ${process.version}`,
      stores: 'Redis over PostgreSQL (LayeredStore), each in a database of its own',
      connections: settings.connections,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: round(result.duration, 1),
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.total / result.duration),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
      ),
      sessionsCreated: counts.sessionsCreated,
      sessionsSignedOut: counts.sessionsSignedOut,
      sessionsAbandoned: counts.sessionsAbandoned,
      readsChecked: counts.readsChecked,
      wrongReads: counts.wrongReads,
      wrongReadExamples: counts.wrongReadExamples,
      warmup: {
        requests: warmup.requests,
        non2xx: warmup.non2xx,
        errors: warmup.errors,
        sessionsCreated: warmup.sessionsCreated,
      },
      redisKeysLeftBeforeCleanUp: keysLeft,
      rss: {
        serverPids: [...new Set(sampler.samples.flatMap((sample) => sample.pids))],
        warmupEndMb: round(rssWarm / MB),
        endMb: round(rssEnd / MB),
        peakMb: round(Math.max(...sampler.samples.map((sample) => sample.bytes)) / MB),
        growthPercent: round(growth * 100, 2),
        window: `median of the last ${RSS_WINDOW_SECONDS} s of each phase`,
        samplesMb: sampler.samples.map((sample) => round(sample.bytes / MB)),
        warmupFromSecond: round(warmStarted),
        measuredFromSecond: round(warmEnded),
      },
      targets,
      met: Object.values(targets).every(Boolean),
    };

    await mkdir(RESULTS_DIR, { recursive: true });
    // latest.json holds the full run's figures; other runs write beside it.
    const file = path.join(
      RESULTS_DIR,
      settings.mode === 'full' ? 'latest.json' : `latest-${settings.mode}.json`,
    );
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    printReport(report, path.relative(REPOSITORY_ROOT, file));
    return report.met ? 0 : 1;
  } finally {
    sampler.stop();
    await server.dispose();
    await services.cleanUp();
  }
}

function printReport(
  report: {
    requests: number;
    requestsPerSecond: number;
    latencyMs: { p50: number; p99: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    sessionsCreated: number;
    wrongReads: number;
    readsChecked: number;
    rss: { warmupEndMb: number; endMb: number; growthPercent: number };
    targets: Record<string, boolean>;
    connections: number;
    durationSeconds: number;
  },
  file: string,
): void {
  const lines = [
    `soak: ${report.connections} connections, ${report.durationSeconds} s measured`,
    `  requests        ${report.requests} (${report.requestsPerSecond} req/s)`,
    `  latency         p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms`,
    `  non-2xx         ${report.non2xx}, errors ${report.errors}, timeouts ${report.timeouts}`,
    `  sessions        ${report.sessionsCreated} created`,
    `  reads checked   ${report.readsChecked}, wrong ${report.wrongReads}`,
    `  server RSS      ${report.rss.warmupEndMb} MB after warm-up → ${report.rss.endMb} MB at the end (${report.rss.growthPercent >= 0 ? '+' : ''}${report.rss.growthPercent}%)`,
    ...Object.entries(report.targets).map(
      ([name, met]) => `  ${met ? 'met   ' : 'MISSED'}  ${name}`,
    ),
    `  written to ${file}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
