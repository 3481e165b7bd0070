/**
 * A real Redis Cluster for tests: nodes started from the installed `redis-server` on loopback,
 * in a temporary directory, joined with `redis-cli --cluster create`. Masters only by default;
 * with `replicas`, each master gets replicas, and a test can SIGKILL any node by PID to watch a
 * failover. It comes up in a few seconds and leaves nothing behind when stopped.
 *
 * @packageDocumentation
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  exited,
  freePorts,
  HOST,
  type RedisProcess,
  run,
  sleep,
  spawnRedis,
  waitForClusterOk,
  waitForPing,
  watchRedis,
} from './redis-process.ts';
import type { Watchdog } from './watchdog.ts';

/** One node of the cluster, as a process a test may kill. */
export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
  /** The `redis-server` process id. */
  readonly pid: number;
  /** The node's role when the cluster formed; failovers change it later. */
  readonly role: 'master' | 'replica';
  /** SIGKILL, as a crash or an OOM kill would; resolves once the process is gone. */
  kill(): Promise<void>;
}

/** A running cluster. */
export interface RedisClusterHarness {
  /** The masters, as `{ host, port }` startup nodes for an ioredis `Cluster`. */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  /** Every node, masters and replicas, with its PID. */
  readonly servers: readonly RedisClusterNode[];
  /** Kills every node and removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** How many masters; a cluster needs at least three. @default 3 */
  readonly masters?: number;
  /** Replicas per master. @default 0 */
  readonly replicas?: number;
  /**
   * `cluster-node-timeout`: how long a node may be unreachable before it is failed over. Redis'
   * own default is 15 s; a test that kills a master wants a failover in a second or two.
   * @default Redis' default (15 000)
   */
  readonly nodeTimeoutMs?: number;
  /** How long to wait for the cluster to form, in ms. @default 15_000 */
  readonly timeoutMs?: number;
}

/**
 * Starts a cluster of `masters` masters, each with `replicas` replicas, and waits until every
 * node reports ok and every replica has finished its first sync.
 */
export async function startRedisCluster(
  options: RedisClusterOptions = {},
): Promise<RedisClusterHarness> {
  const { masters = 3, replicas = 0, nodeTimeoutMs, timeoutMs = 15_000 } = options;
  if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new Error(`replicas must be a whole number, got ${replicas}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'ruts-redis-cluster-'));
  const processes: RedisProcess[] = [];
  let stopped = false;
  // A test process that dies must not leave servers holding the ports.
  let watchdog: Watchdog | undefined;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(processes.map(({ child }) => exited(child, 'SIGTERM')));
    await rm(dir, { recursive: true, force: true });
    watchdog?.stop();
  };

  try {
    const ports = await freePorts(masters * (1 + replicas));
    for (const port of ports) {
      processes.push(
        spawnRedis(port, dir, {
          'cluster-enabled': 'yes',
          'cluster-config-file': join(dir, `nodes-${port}.conf`),
          // Nothing is persisted, so a replica's first sync streams straight from memory; the
          // default 5 s pause that waits for more replicas to share one stream is wasted here.
          'repl-diskless-sync-delay': '0',
          ...(nodeTimeoutMs === undefined ? {} : { 'cluster-node-timeout': String(nodeTimeoutMs) }),
        }),
      );
    }
    watchdog = watchRedis(
      processes.flatMap(({ child }) => (child.pid === undefined ? [] : [child.pid])),
      dir,
    );
    const deadline = Date.now() + timeoutMs;
    await Promise.all(processes.map((server) => waitForPing(server, deadline)));
    const addresses = ports.map((port) => `${HOST}:${port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    await Promise.all(ports.map((port) => waitForClusterOk(port, deadline)));
    const roles = await Promise.all(ports.map((port) => roleOf(port)));
    const servers = processes.map(
      ({ child, port }, i): RedisClusterNode => ({
        host: HOST,
        port,
        pid: child.pid as number,
        role: roles[i] as 'master' | 'replica',
        kill: () => exited(child, 'SIGKILL'),
      }),
    );
    const masterPorts = servers.filter((server) => server.role === 'master').map((s) => s.port);
    if (masterPorts.length !== masters) {
      throw new Error(`expected ${masters} masters after cluster create, found ${masterPorts}`);
    }
    await Promise.all(masterPorts.map((port) => waitForReplicas(port, replicas, deadline)));
    return {
      nodes: masterPorts.map((port) => ({ host: HOST, port })),
      servers,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs one command on the node at `port` over a short-lived connection. */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({ host: HOST, port, retryStrategy: () => null, lazyConnect: true });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(...(args as [string, ...string[]]));
  } finally {
    client.disconnect();
  }
}

async function roleOf(port: number): Promise<'master' | 'replica'> {
  const [role] = (await ask(port, 'ROLE')) as [string];
  return role === 'master' ? 'master' : 'replica';
}

/** Waits until the master at `port` sees `count` replicas online (their first sync done). */
async function waitForReplicas(port: number, count: number, deadline: number): Promise<void> {
  if (count === 0) return;
  while (Date.now() < deadline) {
    const info = String(await ask(port, 'INFO', 'replication'));
    const online = info.match(/^slave\d+:.*state=online/gm)?.length ?? 0;
    if (online >= count) return;
    await sleep(50);
  }
  throw new Error(`the master on port ${port} never had ${count} replica(s) online`);
}
