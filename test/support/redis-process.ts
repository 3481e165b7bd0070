/**
 * Real `redis-server` processes for tests, started from the installed binary on loopback ports:
 * the pieces the Cluster harness is built from, and a standalone server that a test can kill by
 * PID and start again on the same port.
 *
 * @packageDocumentation
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { quote, startWatchdog, type Watchdog } from './watchdog.ts';

export const HOST = '127.0.0.1';
/**
 * A cluster node also listens on its port + 10000 for the cluster bus, so ports come from a range
 * whose bus ports stay valid and clear of the ephemeral range Linux hands out for outgoing
 * connections.
 */
const PORT_RANGE = { low: 20_000, high: 22_000 } as const;
const BUS_OFFSET = 10_000;

/** A `redis-server` child process with its output kept for error messages. */
export interface RedisProcess {
  readonly child: ChildProcess;
  readonly port: number;
  log(): string;
}

/** Spawns `redis-server` on `port` with nothing persisted, plus `config` (as `--name value`). */
export function spawnRedis(
  port: number,
  dir: string,
  config: Record<string, string> = {},
): RedisProcess {
  const settings: Record<string, string> = {
    port: String(port),
    bind: HOST,
    dir,
    save: '',
    appendonly: 'no',
    daemonize: 'no',
    ...config,
  };
  const args = Object.entries(settings).flatMap(([name, setting]) => [`--${name}`, setting]);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { child, port, log: () => output };
}

/** A standalone server a test may kill and start again on the same port. */
export interface KillableRedis {
  readonly port: number;
  readonly url: string;
  /** The running server's PID. */
  pid(): number | undefined;
  /** SIGKILL, as a crash or an OOM kill would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port (scripts and data are gone). */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A client of a server the test will kill: calls fail at once while it is gone instead of
 * queueing (as the README advises for a hot tier), and its connection errors are expected.
 * Resolves once connected: without a queue, a call made while it connects fails too.
 */
export async function fastFailingClient(url: string): Promise<Redis> {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  if (client.status !== 'ready') await once(client, 'ready');
  return client;
}

/** Starts a standalone `redis-server` on a free loopback port. */
export async function startKillableRedis(timeoutMs = 10_000): Promise<KillableRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'ruts-redis-'));
  const [port] = (await freePorts(1)) as [number];
  let current: RedisProcess | undefined;
  const pids: number[] = [];
  let watchdog: Watchdog | undefined;
  const start = async (): Promise<void> => {
    current = spawnRedis(port, dir);
    if (current.child.pid !== undefined) pids.push(current.child.pid);
    watchdog?.stop();
    watchdog = watchRedis(pids, dir);
    await waitForPing(current, Date.now() + timeoutMs);
  };
  const stop = async (): Promise<void> => {
    if (current) await exited(current.child, 'SIGTERM');
    current = undefined;
    await rm(dir, { recursive: true, force: true });
    watchdog?.stop();
  };
  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    url: `redis://${HOST}:${port}`,
    pid: () => current?.child.pid,
    kill: async () => {
      if (current) await exited(current.child, 'SIGKILL');
    },
    restart: start,
    stop,
  };
}

/**
 * A watchdog that kills the `redis-server` processes `pids` and removes `dir` if the test process
 * dies without stopping them. A PID is only killed while it still runs `redis-server`: one the
 * test killed itself may have been handed to another process since.
 */
export function watchRedis(pids: readonly number[], dir: string): Watchdog {
  const kills = pids.map(
    (pid) => `grep -q redis-server /proc/${pid}/cmdline 2>/dev/null && kill -9 ${pid};`,
  );
  return startWatchdog(`${kills.join(' ')} rm -rf ${quote(dir)}`);
}

/** Picks `count` ports whose node and bus ports are both free right now. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt > 200) throw new Error('found no free ports for a Redis Cluster in 20000-22000');
    const port = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low));
    if (ports.includes(port)) continue;
    if ((await isFree(port)) && (await isFree(port + BUS_OFFSET))) ports.push(port);
  }
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** Waits until the server answers PING, failing with its output if it exits or never answers. */
export async function waitForPing(server: RedisProcess, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(`redis-server on port ${server.port} exited early:\n${server.log()}`);
    }
    if (await answers(server.port, 'PING', 'PONG')) return;
    await sleep(25);
  }
  throw new Error(`redis-server on port ${server.port} did not answer PING:\n${server.log()}`);
}

export async function waitForClusterOk(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (await answers(port, 'CLUSTER INFO', 'cluster_state:ok')) return;
    await sleep(50);
  }
  throw new Error(`the Redis Cluster node on port ${port} never reported cluster_state:ok`);
}

/** Whether the node answers `command` with a reply containing `expected`. */
export async function answers(port: number, command: string, expected: string): Promise<boolean> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const [name, ...args] = command.split(' ');
    const reply = await client.call(name as string, ...args);
    return String(reply).includes(expected);
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output}`));
    });
  });
}

/** Signals the process and resolves once it has exited, killing it if it lingers. */
export function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
