/**
 * A real Redis Cluster for tests: masters started from the installed `redis-server` on loopback,
 * in a temporary directory, joined with `redis-cli --cluster create`. It comes up in about two
 * seconds and leaves nothing behind when stopped.
 *
 * @packageDocumentation
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A running cluster. */
export interface RedisClusterHarness {
  /** The masters, as `{ host, port }` startup nodes for an ioredis `Cluster`. */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  /** Kills every node and removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** How many masters; a cluster needs at least three. @default 3 */
  readonly masters?: number;
  /** How long to wait for the cluster to form, in ms. @default 15_000 */
  readonly timeoutMs?: number;
}

const HOST = '127.0.0.1';
/**
 * Each node also listens on its port + 10000 for the cluster bus, so ports come from a range whose
 * bus ports stay valid and clear of the ephemeral range Linux hands out for outgoing connections.
 */
const PORT_RANGE = { low: 20_000, high: 22_000 } as const;
const BUS_OFFSET = 10_000;

/** Starts a cluster of `masters` masters with no replicas, and waits until it reports ok. */
export async function startRedisCluster(
  options: RedisClusterOptions = {},
): Promise<RedisClusterHarness> {
  const { masters = 3, timeoutMs = 15_000 } = options;
  if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
  const dir = await mkdtemp(join(tmpdir(), 'ruts-redis-cluster-'));
  const processes: ChildProcess[] = [];
  const logs = new Map<number, string>();
  let stopped = false;
  const killAll = (): void => {
    for (const child of processes) if (child.exitCode === null) child.kill('SIGKILL');
  };
  // A crashed test run must not leave servers holding the ports.
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killAll);
    await Promise.all(processes.map((child) => exited(child, 'SIGTERM')));
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const ports = await freePorts(masters);
    for (const port of ports) {
      const config: Record<string, string> = {
        port: String(port),
        bind: HOST,
        'cluster-enabled': 'yes',
        'cluster-config-file': join(dir, `nodes-${port}.conf`),
        dir,
        save: '',
        appendonly: 'no',
        daemonize: 'no',
      };
      const args = Object.entries(config).flatMap(([name, setting]) => [`--${name}`, setting]);
      const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      processes.push(child);
      logs.set(port, '');
      const append = (chunk: Buffer): void => {
        logs.set(port, (logs.get(port) ?? '') + chunk.toString());
      };
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
    }
    const deadline = Date.now() + timeoutMs;
    await Promise.all(
      ports.map((port, i) => waitForPing(port, processes[i] as ChildProcess, deadline, logs)),
    );
    const addresses = ports.map((port) => `${HOST}:${port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await Promise.all(ports.map((port) => waitForClusterOk(port, deadline)));
    return { nodes: ports.map((port) => ({ host: HOST, port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Picks `count` ports whose node and bus ports are both free right now. */
async function freePorts(count: number): Promise<number[]> {
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

async function waitForPing(
  port: number,
  child: ChildProcess,
  deadline: number,
  logs: Map<number, string>,
): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`redis-server on port ${port} exited early:\n${logs.get(port) ?? ''}`);
    }
    if (await answers(port, 'PING', 'PONG')) return;
    await sleep(25);
  }
  throw new Error(`redis-server on port ${port} did not answer PING:\n${logs.get(port) ?? ''}`);
}

async function waitForClusterOk(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (await answers(port, 'CLUSTER INFO', 'cluster_state:ok')) return;
    await sleep(50);
  }
  throw new Error(`the Redis Cluster node on port ${port} never reported cluster_state:ok`);
}

/** Whether the node answers `command` with a reply containing `expected`. */
async function answers(port: number, command: string, expected: string): Promise<boolean> {
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

function run(command: string, args: string[]): Promise<void> {
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
function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
