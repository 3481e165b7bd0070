/**
 * A Redis Cluster master dies for real: SIGKILL by PID while reads and writes run through one
 * `RedisStore`. Its replica is promoted, and the same ioredis `Cluster` client carries on. Run
 * twice on one cluster, killing a different master each time: once with the client options the
 * README advises, once with ioredis' defaults.
 */

import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Cluster, type ClusterOptions, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../src/stores/redis/index.ts';
import { readField } from '../../support/read-field.ts';
import { type RedisClusterHarness, startRedisCluster } from '../../support/redis-cluster.ts';
import { keysUnder, uniquePrefix } from './redis-test-server.ts';

/** `cluster-node-timeout`: a master unreachable this long is failed over. */
const NODE_TIMEOUT_MS = 1_000;
const SESSIONS = 900;
const WORKERS = 24;
/** Load runs this long before the kill, and this long again after recovery. */
const STEADY_MS = 1_000;
/** The failover must be over well within this, or the test fails. */
const RECOVERY_LIMIT_MS = 20_000;

/**
 * The options the README advises: retries on a lost master or CLUSTERDOWN spaced so that they
 * outlast a failover (about `cluster-node-timeout` plus a second or two), so requests wait for
 * the promoted replica instead of failing: up to 32 tries 300 ms apart, about 9.6 s, against a
 * failover of 2 to 3 s here. ioredis' defaults (16 tries, 100 ms) give up after about 1.5 s.
 */
const ADVISED: ClusterOptions = {
  retryDelayOnFailover: 300,
  retryDelayOnClusterDown: 300,
  maxRedirections: 32,
};

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);
const write = { create: true, idleMs: 60 * 60_000 };
/** Writes during the load never create: a lost session would show as a `null` answer. */
const update = { create: false, idleMs: 60 * 60_000 };
const portOf = (node: Redis) => Number(node.options.port);

function storeKey(): string {
  const family = randomUUID().replace(/-/g, '').slice(0, 8);
  return `${family}.${createHash('sha256').update(randomUUID()).digest('base64url')}`;
}

interface Op {
  readonly kind: 'read' | 'write';
  readonly onVictim: boolean;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly outcome: 'ok' | 'wrong' | 'rejected';
  readonly error?: unknown;
}

interface AckedWrite {
  readonly key: string;
  readonly field: string;
  readonly value: string;
  readonly ackedAt: number;
}

let harness: RedisClusterHarness;

beforeAll(async () => {
  harness = await startRedisCluster({ replicas: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
}, 30_000);

afterAll(async () => {
  await harness?.stop();
});

describe('RedisStore on Redis Cluster when a master is killed', () => {
  it('with the advised client options: every request rides through the failover', async () => {
    const { failures } = await killMasterUnderLoad('advised', ADVISED);
    expect(failures).toEqual([]);
  }, 60_000);

  it('with ioredis defaults: requests during the failover reject, none answers wrongly', async () => {
    const { failures } = await killMasterUnderLoad('defaults', {});
    for (const error of failures) {
      expect(error).toBeInstanceOf(Error);
      // The retries ran out (or, should the client have stopped being ready, the node was gone).
      expect((error as Error).message).toMatch(
        /^(Too many Cluster redirections|Connection is closed|CLUSTERDOWN)/,
      );
    }
  }, 60_000);
});

/**
 * Writes sessions over every master, waits for them to reach the replicas, then SIGKILLs a
 * master with a replica while workers read and write through the store, until a read and a
 * write of that master's sessions, both started after the kill, have succeeded. Asserts what
 * must hold whatever the client options; resolves the errors of the rejected requests.
 */
async function killMasterUnderLoad(
  label: string,
  options: ClusterOptions,
): Promise<{ failures: unknown[] }> {
  const client = new Cluster([...harness.nodes], options);
  // Node errors while the master is gone are expected; the commands report them.
  client.on('error', () => {});
  client.on('node error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  try {
    const prefix = uniquePrefix(`cluster-failover-${label}`);
    const store = new RedisStore({ client, prefix });

    const sessions = new Map<string, string>();
    for (let i = 0; i < SESSIONS; i++) sessions.set(storeKey(), `data-${i}-${randomUUID()}`);
    await Promise.all(
      [...sessions].map(([key, data]) =>
        store.setMany(key, [{ field: 'data', value: utf8(data) }], write),
      ),
    );

    // The victim: a master that has a replica (an earlier case may have left one without).
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    let victimNode: Redis | undefined;
    let replicaPort = Number.NaN;
    for (const node of masters) {
      const [, , replicas] = (await node.call('ROLE')) as [string, number, string[][]];
      if (replicas.length > 0 && victimNode === undefined) {
        victimNode = node;
        replicaPort = Number(replicas[0]?.[1]);
      }
    }
    if (victimNode === undefined) throw new Error('no master has a replica left to promote');
    const victim = harness.servers.find((server) => server.port === portOf(victimNode));
    if (victim === undefined) throw new Error('the victim master is not one of the harness nodes');
    // Replication is asynchronous: WAIT on the victim's own connection, the one the writes
    // went through, returns once its replica has acknowledged all of them.
    expect(await victimNode.call('WAIT', '1', '5000')).toBe(1);

    const rawOnVictim = new Set(await keysUnder(victimNode, prefix));
    const onVictim = new Set(
      [...sessions.keys()].filter((key) => {
        const dot = key.indexOf('.');
        return rawOnVictim.has(`${prefix}{${key.slice(0, dot)}}${key.slice(dot)}`);
      }),
    );
    expect(onVictim.size).toBeGreaterThan(SESSIONS / 6);
    expect(rawOnVictim.size).toBe(onVictim.size);

    const keys = [...sessions.keys()];
    const ops: Op[] = [];
    const acked: AckedWrite[] = [];
    let seq = 0;
    let killedAt = Number.POSITIVE_INFINITY;
    let recoveredAt = Number.NaN;
    let stopAt = Number.POSITIVE_INFINITY;
    const firstOk = { read: Number.NaN, write: Number.NaN };

    const record = (op: Op): void => {
      ops.push(op);
      if (op.outcome !== 'ok' || !op.onVictim || op.startedAt < killedAt) return;
      if (Number.isNaN(firstOk[op.kind])) firstOk[op.kind] = op.endedAt;
      if (Number.isNaN(recoveredAt) && !Number.isNaN(firstOk.read + firstOk.write)) {
        recoveredAt = Math.max(firstOk.read, firstOk.write);
        stopAt = recoveredAt + STEADY_MS;
      }
    };

    const worker = async (id: number): Promise<void> => {
      while (performance.now() < stopAt) {
        const key = keys[Math.floor(Math.random() * keys.length)] as string;
        const kind = Math.random() < 0.5 ? 'read' : 'write';
        const startedAt = performance.now();
        const base = { kind, onVictim: onVictim.has(key), startedAt } as const;
        try {
          if (kind === 'read') {
            const data =
              id % 2 === 0
                ? text(await readField(store, key, 'data'))
                : text((await store.getAll(key))?.fields.get('data')?.value);
            const outcome = data === sessions.get(key) ? 'ok' : 'wrong';
            record({ ...base, endedAt: performance.now(), outcome });
          } else {
            // A field per write, so each acknowledged write can be checked on its own.
            const field = `w-${seq++}`;
            const value = `${id}:${field}`;
            const result = await store.set(key, { field, value: utf8(value) }, update);
            const endedAt = performance.now();
            if (result !== null) acked.push({ key, field, value, ackedAt: endedAt });
            record({ ...base, endedAt, outcome: result === null ? 'wrong' : 'ok' });
          }
        } catch (error) {
          record({ ...base, endedAt: performance.now(), outcome: 'rejected', error });
        }
      }
    };

    const load = Promise.all(Array.from({ length: WORKERS }, (_, id) => worker(id)));
    await new Promise((resolve) => setTimeout(resolve, STEADY_MS));
    killedAt = performance.now();
    await victim.kill();
    expect(() => process.kill(victim.pid, 0)).toThrow();
    const giveUp = setTimeout(() => {
      stopAt = Math.min(stopAt, performance.now());
    }, RECOVERY_LIMIT_MS);
    await load;
    clearTimeout(giveUp);
    expect(recoveredAt, 'no read and write of a killed-master session succeeded').not.toBeNaN();

    // No answer was ever wrong: a read that resolved had the right data, a write found its
    // session. Every failure was a rejection during the failover, on the killed master's slots
    // or (CLUSTERDOWN) while the cluster had slots without a master.
    const wrong = ops.filter((op) => op.outcome === 'wrong');
    expect(wrong).toEqual([]);
    const rejected = ops.filter((op) => op.outcome === 'rejected');
    for (const op of rejected) {
      expect(op.startedAt).toBeLessThan(recoveredAt);
      expect(op.endedAt).toBeGreaterThan(killedAt);
    }

    // The same client now sends the killed master's slots to its promoted replica.
    expect(client.status).toBe('ready');
    await waitFor(() => client.nodes('master').some((node) => portOf(node) === replicaPort));
    const masterPorts = client.nodes('master').map(portOf);
    expect(masterPorts).not.toContain(victim.port);
    expect(masterPorts).toContain(replicaPort);

    // Every session survived with its data, and the killed master's take writes again.
    for (const [key, data] of sessions) {
      const session = await store.getAll(key);
      expect(text(session?.fields.get('data')?.value), key).toBe(data);
    }
    for (const key of onVictim) {
      expect(await store.set(key, { field: 'after', value: utf8('ok') }, update)).not.toBeNull();
      expect(text(await readField(store, key, 'after'))).toBe('ok');
    }

    // Every acknowledged write is there, except any the victim acknowledged in its last moments
    // without having replicated it yet: Redis replication is asynchronous. Counted, not hidden.
    let lostUnreplicated = 0;
    for (const { key, field, value, ackedAt } of acked) {
      const stored = text(await readField(store, key, field));
      if (stored === value) continue;
      if (onVictim.has(key) && ackedAt < killedAt) lostUnreplicated++;
      else expect({ key, field, stored }).toEqual({ key, field, stored: value });
    }

    const during = ops.filter((op) => op.startedAt >= killedAt && op.startedAt < recoveredAt);
    const longestFailureMs = Math.max(0, ...rejected.map((op) => op.endedAt - op.startedAt));
    console.log(
      `[reliability] redis-cluster-failover (${label} client options): ` +
        `cluster 3 masters + 3 replicas, cluster-node-timeout=${NODE_TIMEOUT_MS}ms; ` +
        `requests=${ops.length} (reads=${ops.filter((op) => op.kind === 'read').length}, ` +
        `writes=${ops.filter((op) => op.kind === 'write').length}), ` +
        `requests started during failover=${during.length}, ` +
        `failures=${rejected.length} (on killed master's slots=${rejected.filter((op) => op.onVictim).length}, ` +
        `longest ${Math.round(longestFailureMs)}ms), wrong answers=0, ` +
        `recovery=${Math.round(recoveredAt - killedAt)}ms, sessions verified=${sessions.size} ` +
        `(on killed master=${onVictim.size}), acked writes verified=${acked.length - lostUnreplicated}, ` +
        `acked just before kill and lost unreplicated=${lostUnreplicated}`,
    );
    return { failures: rejected.map((op) => op.error) };
  } finally {
    client.disconnect();
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the cluster topology');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
