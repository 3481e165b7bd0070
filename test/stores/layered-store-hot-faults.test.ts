/**
 * The hot tier failing call by call: every operation of a LayeredStore (Redis over Postgres)
 * run with each kind of fault at each of the hot calls it makes, against the two guarantees
 * that a hot failure must not break.
 *
 * - Revocation: once `delete`, `rename`, `deleteOwned` or `expire(key, 0, 'set')` resolves, no instance reads
 *   the old key. A hot call that fails is retried; when the old key still cannot be confirmed
 *   gone from hot, the call rejects with a `StoreError` (cold has ended the session already),
 *   and every instance stops serving the old key within `hotTtl`.
 * - Degraded modes: with hot failing, every other operation resolves with cold's answer, and
 *   the failure is told to `onEvent` as `hot-error`; with cold down, writes reject with a
 *   `StoreError` that names the cold tier, and sessions hot holds are served within `hotTtl`.
 *
 * Instance A is the one hot faults hit: a LayeredStore whose hot RedisStore (A's own ioredis
 * client) is wrapped in `faultyCalls`, so whichever methods the store calls on hot (cache methods
 * or contract methods) are counted and can be faulted. Each case gets an A of its own over that
 * same RedisStore and cold PostgresStore, so its calls are counted alone and cases can run side
 * by side. Instance B is another process: its own clients, the same Redis prefix and Postgres
 * schema, never faulted, holding its own warm copy of every session. A direct PostgresStore
 * reads what cold holds.
 *
 * @packageDocumentation
 */

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.ts';
import type {
  FieldWrite,
  SessionStore,
  StoredSession,
  WriteOptions,
} from '../../src/core/store-contract.ts';
import {
  LayeredStore,
  type LayeredStoreEvent,
  type LayeredStoreOptions,
} from '../../src/stores/layered-store.ts';
import { PostgresStore } from '../../src/stores/postgres/index.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { RedisStore } from '../../src/stores/redis/index.ts';
import { FAULTS, type Fault, type FaultyCalls, faultyCalls } from '../support/faulty-calls.ts';
import { createTestSchema, POSTGRES_URL, type TestSchema } from '../support/postgres.ts';
import { connectRedis, deleteKeysUnder, uniquePrefix } from './redis/redis-test-server.ts';

/** Seconds a hot copy is trusted: the bound on serving a session hot could not be told about. */
const HOT_TTL = 1;
/** Seconds after which a hot call counts as failed. */
const HOT_TIMEOUT = 0.2;
const HOT_TTL_MS = HOT_TTL * 1000;
/** Allowance on the hotTtl bound: the read in flight when the copy lapses, the poll interval. */
const SLACK_MS = 500;
/**
 * How long an operation may take under a fault before it counts as hung. With hotTimeout at
 * 0.2 s, even several timed-out hot calls and their retries settle well within it.
 */
const SETTLE_MS = 3_000;
const POLL_MS = 25;
const DAY = 24 * 60 * 60_000;

const utf8 = (value: string) => new TextEncoder().encode(value);
const text = (bytes: Uint8Array | undefined) => bytes && new TextDecoder().decode(bytes);
const field = (name: string, value: string): FieldWrite => ({ field: name, value: utf8(value) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CREATE: WriteOptions = { create: true, idleMs: DAY };
const UPDATE: WriteOptions = { create: false, idleMs: DAY };

/** What every session holds before the operation under test. */
const FIXTURE: Readonly<Record<string, string>> = { user: 'u1', a: '1', flash: 'f1' };
const FIXTURE_FIELDS = Object.entries(FIXTURE).map(([name, value]) => field(name, value));

/** Keys in the production shape, `<family>.<hash>`; a rename's two keys share the family. */
function newKey(family = randomBytes(6).toString('base64url')): string {
  return `${family}.${createHash('sha256').update(randomUUID()).digest('base64url')}`;
}
const familyOf = (key: string) => key.slice(0, key.indexOf('.'));
/** Each session has an owner of its own, so revoking an owner's sessions ends that one alone. */
const ownerOf = (key: string) => `owner-${key}`;

// ---------------------------------------------------------------------------------------------
// Comparing sessions and results

/** A duration as compared here: to the minute, as sessions here live a day or two. */
function minutes(ms: number | null): string | number | null {
  return typeof ms === 'number' && ms > 0 ? `${Math.round(ms / 60_000)} min` : ms;
}

/** A session as compared: its TTL to the minute and its fields' values. */
interface View {
  readonly ttl: string | number | null;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * Only the session's own fields count. The fields used here are lower-case words, so anything
 * else cold holds (the layered store's bookkeeping beside the fields) is left out.
 */
const SESSION_FIELD = /^[a-z]+$/;

function viewOf(session: StoredSession | undefined): View | undefined {
  if (session === undefined) return undefined;
  const fields: Record<string, string> = {};
  const names = [...session.fields.keys()].filter((name) => SESSION_FIELD.test(name)).sort();
  for (const name of names) fields[name] = text(session.fields.get(name)?.value) ?? '';
  return { ttl: minutes(session.ttlMs), fields };
}

/**
 * A result as compared: bytes as text, Maps as objects, durations to the minute, no clocks and
 * no owner.
 */
function shape(value: unknown): unknown {
  if (value instanceof Uint8Array) return text(value);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, shape(v)]));
  if (Array.isArray(value)) return value.map(shape);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // Each session has an owner of its own (ownerOf), so it is no fixed part of a result.
    if (k === 'createdAt' || k === 'readAt' || k === 'owner') continue;
    out[k] = k === 'ttlMs' || k === 'maxTtlMs' ? minutes(v as number | null) : shape(v);
  }
  return out;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

// ---------------------------------------------------------------------------------------------
// The operations

interface Op {
  readonly name: string;
  /** Ends the session under `key`: delete, rename, expire to zero. */
  readonly revokes: boolean;
  /** `false` for the one case run on a session neither instance has read yet (hot holds none). */
  readonly warm?: false;
  /**
   * A read or a `'through'` write: a fault that a retry fixes (`fails-once`, `reply-lost`)
   * must leave B agreeing with cold at once.
   */
  readonly through: boolean;
  /** A `'hot'` write's field: it lives in hot only, unless hot failing sent it to cold. */
  readonly hotField?: string;
  /** The result of an unfaulted run, shaped. */
  readonly result: unknown;
  /** What cold holds under `key` afterwards (under the new key for a rename). */
  readonly cold: View;
  run(store: SessionStore, key: string, to: string): Promise<unknown>;
}

const ONE_DAY = minutes(DAY);
const TTL = { ttlMs: ONE_DAY };
const fixtureView = (fields: Record<string, string> = {}, ttl = ONE_DAY): View => ({
  ttl,
  fields: Object.fromEntries(Object.entries({ ...FIXTURE, ...fields }).sort()),
});
/** The fixture as getAll returns it, shaped. */
const FIXTURE_SESSION = {
  ttlMs: ONE_DAY,
  maxTtlMs: null,
  fields: Object.fromEntries(
    Object.entries(FIXTURE).map(([name, value]) => [name, { value, ttlMs: null }]),
  ),
};
const without = (name: string): View => {
  const { [name]: _gone, ...rest } = FIXTURE;
  return { ttl: ONE_DAY, fields: rest };
};

const OPS: readonly Op[] = [
  {
    name: 'getAll',
    revokes: false,
    through: true,
    result: FIXTURE_SESSION,
    cold: fixtureView(),
    run: (store, key) => store.getAll(key),
  },
  {
    // Not in the brief's list: with nothing in hot, a read also fills hot, so the fill's hot
    // calls meet the faults too.
    name: 'getAll, not yet in hot',
    revokes: false,
    warm: false,
    through: true,
    result: FIXTURE_SESSION,
    cold: fixtureView(),
    run: (store, key) => store.getAll(key),
  },
  {
    name: 'set',
    revokes: false,
    through: true,
    result: TTL,
    cold: fixtureView({ a: '2' }),
    run: (store, key) => store.set(key, field('a', '2'), UPDATE),
  },
  {
    name: "set write:'hot'",
    revokes: false,
    through: false,
    hotField: 'csrf',
    result: TTL,
    cold: fixtureView(),
    run: (store, key) => store.set(key, field('csrf', 'n1'), { ...UPDATE, write: 'hot' }),
  },
  {
    name: "set write:'cold'",
    revokes: false,
    through: false,
    result: TTL,
    cold: fixtureView({ secret: 's1' }),
    run: (store, key) => store.set(key, field('secret', 's1'), { ...UPDATE, write: 'cold' }),
  },
  {
    name: 'setMany',
    revokes: false,
    through: true,
    result: TTL,
    cold: fixtureView({ a: '3', b: '4' }),
    run: (store, key) => store.setMany(key, [field('a', '3'), field('b', '4')], UPDATE),
  },
  {
    name: 'setIfAbsent',
    revokes: false,
    through: true,
    result: { written: true, ttlMs: ONE_DAY },
    cold: fixtureView({ b: 'x' }),
    run: (store, key) => store.setIfAbsent(key, field('b', 'x'), UPDATE),
  },
  {
    name: 'remove',
    revokes: false,
    through: true,
    result: true,
    cold: without('a'),
    run: (store, key) => store.remove(key, 'a'),
  },
  {
    name: 'take',
    revokes: false,
    through: true,
    result: 'f1',
    cold: without('flash'),
    run: (store, key) => store.take(key, 'flash'),
  },
  {
    name: 'expire extend',
    revokes: false,
    through: true,
    result: { ttlMs: minutes(2 * DAY) },
    cold: fixtureView({}, minutes(2 * DAY)),
    run: (store, key) => store.expire(key, 2 * DAY, 'extend'),
  },
  {
    name: 'delete',
    revokes: true,
    through: true,
    result: true,
    cold: fixtureView(),
    run: (store, key) => store.delete(key),
  },
  {
    name: 'rename',
    revokes: true,
    through: true,
    result: { status: 'renamed', ttlMs: ONE_DAY },
    cold: fixtureView(),
    run: (store, key, to) => store.rename(key, to, { idleMs: DAY }),
  },
  {
    name: 'deleteOwned',
    revokes: true,
    through: true,
    result: 1,
    cold: fixtureView(),
    run: async (store, key) => {
      const ended = await (store as LayeredStore).deleteOwned(ownerOf(key));
      return ended.length;
    },
  },
  {
    name: "expire(0,'set')",
    revokes: true,
    through: true,
    result: { ttlMs: 0 },
    cold: fixtureView(),
    run: (store, key) => store.expire(key, 0, 'set'),
  },
];

const opNamed = (name: string): Op => {
  const op = OPS.find((candidate) => candidate.name === name);
  if (op === undefined) throw new Error(`no operation ${name}`);
  return op;
};

/** Faults a retry absorbs: the operation must come out as if nothing had happened. */
const transient = (fault: Fault) => fault === 'fails-once' || fault === 'reply-lost';

// ---------------------------------------------------------------------------------------------
// The instances

interface Env {
  readonly db: TestSchema;
  readonly prefix: string;
  readonly redisA: Redis;
  readonly redisB: Redis;
  readonly poolA: pg.Pool;
  readonly poolB: pg.Pool;
  /** A's hot store, which each case's A wraps in a fault proxy of its own. */
  readonly hotA: RedisStore;
  readonly coldA: PostgresStore;
  readonly coldB: PostgresStore;
  /** Instance B: another process, never faulted. */
  readonly b: LayeredStore;
  /** Cold's truth. */
  readonly direct: PostgresStore;
}

let env: Env;

/** An instance with the v2 options; `hotTimeout` is passed whether this build reads it or not. */
function layered(
  hot: RedisStore,
  cold: PostgresStore,
  events: LayeredStoreEvent[] = [],
): LayeredStore {
  const options: LayeredStoreOptions & { readonly hotTimeout: number } = {
    hot,
    cold,
    hotTtl: HOT_TTL,
    hotTimeout: HOT_TIMEOUT,
    onEvent: (event) => events.push(event),
  };
  return new LayeredStore(options);
}

interface InstanceA {
  readonly store: LayeredStore;
  readonly faults: FaultyCalls<RedisStore>;
  readonly events: LayeredStoreEvent[];
}

function instanceA(cold: PostgresStore = env.coldA): InstanceA {
  const faults = faultyCalls(env.hotA);
  const events: LayeredStoreEvent[] = [];
  return { store: layered(faults.proxy, cold, events), faults, events };
}

/** A new session, read through A and B so that both have a warm hot copy of it (unless not). */
async function freshSession(a: InstanceA, warm = true): Promise<{ key: string; to: string }> {
  const key = newKey();
  const to = newKey(familyOf(key));
  await env.b.setMany(key, FIXTURE_FIELDS, { ...CREATE, owner: ownerOf(key) });
  if (!warm) return { key, to };
  for (const [name, store] of [
    ['A', a.store],
    ['B', env.b],
  ] as const) {
    const seen = viewOf(await store.getAll(key));
    if (JSON.stringify(seen) !== JSON.stringify(fixtureView())) {
      throw new Error(`setup: ${name} read ${JSON.stringify(seen)} of a fresh session`);
    }
  }
  return { key, to };
}

const coldView = async (key: string) => viewOf(await env.direct.getAll(key));

/** One field's value as `store` reads it. */
const fieldOf = async (store: SessionStore, key: string, name: string) =>
  text((await store.getAll(key))?.fields.get(name)?.value);

type Settled =
  | { readonly status: 'resolved'; readonly value: unknown; readonly at: number }
  | { readonly status: 'rejected'; readonly error: unknown; readonly at: number }
  | { readonly status: 'hung'; readonly at: number };

/** The operation's outcome, or `hung` when it has not settled within `limitMs`. */
async function settle(operation: Promise<unknown>, limitMs = SETTLE_MS): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), limitMs);
  });
  const outcome = await Promise.race([
    operation.then(
      (value) => ({ status: 'resolved' as const, value }),
      (error: unknown) => ({ status: 'rejected' as const, error }),
    ),
    hung,
  ]);
  clearTimeout(timer);
  const at = performance.now();
  return outcome === 'hung' ? { status: 'hung', at } : { ...outcome, at };
}

/**
 * Polls `check` (which describes what is still wrong, or resolves `undefined` once right) until
 * it holds or `limitMs` after `since` has passed. Resolves the ms from `since` to the first
 * check that held, or the last complaint.
 */
async function waitUntil(
  check: () => Promise<string | undefined>,
  since: number,
  limitMs: number,
): Promise<{ ms: number } | { still: string }> {
  for (;;) {
    const wrong = await check().catch((error: unknown) => `rejected: ${describeError(error)}`);
    const now = performance.now();
    if (wrong === undefined) return { ms: Math.round(now - since) };
    if (now - since > limitMs) return { still: wrong };
    await sleep(POLL_MS);
  }
}

/** What an instance reads of the old key: `undefined` once it no longer serves it. */
async function servesOld(store: SessionStore, key: string): Promise<string | undefined> {
  const seen = await store.getAll(key);
  return seen && `still serves ${JSON.stringify(viewOf(seen)?.fields)}`;
}

/** How `seen` (B's read) differs from cold's `truth`, or `undefined` when they agree. */
function disagreement(
  op: Op,
  seen: View | undefined,
  truth: View | undefined,
  claimed: boolean,
): string | undefined {
  const hotField = op.hotField;
  if (hotField === undefined) {
    return JSON.stringify(seen) === JSON.stringify(truth)
      ? undefined
      : `reads ${JSON.stringify(seen)}, cold holds ${JSON.stringify(truth)}`;
  }
  // A 'hot' field is in hot alone, or in cold where hot failing sent it: either way it reads as
  // written when the write said it succeeded; everything else reads as cold holds it.
  const strip = (view: View | undefined) => {
    if (view === undefined) return undefined;
    const { [hotField]: _hot, ...fields } = view.fields;
    return { ttl: view.ttl, fields };
  };
  const value = seen?.fields[hotField];
  if (claimed && value !== 'n1') return `reads ${hotField} as ${value}, written 'n1'`;
  if (value !== undefined && value !== 'n1') return `reads ${hotField} as ${value}`;
  return JSON.stringify(strip(seen)) === JSON.stringify(strip(truth))
    ? undefined
    : `reads ${JSON.stringify(seen)}, cold holds ${JSON.stringify(truth)}`;
}

// ---------------------------------------------------------------------------------------------
// The unfaulted runs: how many hot calls each operation makes

interface Baseline {
  /** The hot calls an unfaulted run made, in order. */
  readonly calls: readonly string[];
  readonly settled: Settled;
  readonly coldAfter: View | undefined;
  readonly coldAtNewKey: View | undefined;
  readonly readByA: View | undefined;
  readonly readByB: View | undefined;
  readonly events: readonly LayeredStoreEvent[];
}

const baselines = new Map<string, Promise<Baseline>>();

function baselineOf(op: Op): Promise<Baseline> {
  let baseline = baselines.get(op.name);
  if (baseline === undefined) {
    baseline = runBaseline(op);
    baselines.set(op.name, baseline);
  }
  return baseline;
}

async function runBaseline(op: Op): Promise<Baseline> {
  const a = instanceA();
  try {
    const { key, to } = await freshSession(a, op.warm ?? true);
    a.faults.reset();
    const settled = await settle(op.run(a.store, key, to));
    const calls = a.faults.calls.map((call) => call.method);
    const [coldAfter, coldAtNewKey] = await Promise.all([coldView(key), coldView(to)]);
    const readByB = viewOf(await env.b.getAll(key));
    const readByA = viewOf(await a.store.getAll(key));
    return { calls, settled, coldAfter, coldAtNewKey, readByA, readByB, events: a.events };
  } finally {
    await a.store.close();
  }
}

// ---------------------------------------------------------------------------------------------
// One case: an operation, a fault, the hot call it hits

/** Per operation, ms until B served no stale data, in the cases that had to wait for it. */
const windows = new Map<string, number[]>();
function recordWindow(op: Op, ms: number): void {
  const list = windows.get(op.name) ?? [];
  list.push(ms);
  windows.set(op.name, list);
}

async function runCase(op: Op, fault: Fault, k: number, expect: ExpectStatic): Promise<void> {
  const at = `${op.name}, ${fault} at hot call ${k}`;
  const a = instanceA();
  try {
    const { key, to } = await freshSession(a, op.warm ?? true);
    a.faults.arm(fault, k);
    const settled = await settle(op.run(a.store, key, to));
    const faulted = a.faults.calls.filter((call) => call.fault !== undefined);
    const hit = faulted.map((call) => `${call.method}#${call.n}`).join(', ');

    expect
      .soft(settled.status, `${at}: settles within ${SETTLE_MS} ms (hotTimeout ${HOT_TIMEOUT} s)`)
      .not.toBe('hung');
    if (settled.status === 'hung') return;

    if (op.revokes) {
      await checkRevocation(op, fault, settled, { a, key, to, at }, expect);
    } else {
      await checkDegraded(op, fault, settled, { a, key, to, at }, expect);
    }

    if (faulted.length > 0) {
      const types = a.events.map((event) => event.type);
      expect
        .soft(
          types.includes('hot-error') ? 'hot-error' : `events: [${types.join(', ')}]`,
          `${at}: the fault (${hit}) is reported as a 'hot-error' event, ` +
            'even one that a retry absorbed',
        )
        .toBe('hot-error');
    }
  } finally {
    a.faults.reset();
    await a.store.close();
  }
}

interface CaseScope {
  readonly a: InstanceA;
  readonly key: string;
  readonly to: string;
  readonly at: string;
}

/** Non-revoking operations: cold's answer, cold intact, B right at once or within hotTtl. */
async function checkDegraded(
  op: Op,
  fault: Fault,
  settled: Exclude<Settled, { status: 'hung' }>,
  { key, at }: CaseScope,
  expect: ExpectStatic,
): Promise<void> {
  expect
    .soft(
      settled.status === 'rejected' ? `rejected: ${describeError(settled.error)}` : 'resolved',
      `${at}: resolves, as any non-revoking operation must when only hot fails`,
    )
    .toBe('resolved');
  if (settled.status !== 'resolved') return;
  const result = shape(settled.value);
  const truth = await coldView(key);

  if (op.hotField !== undefined && !transient(fault)) {
    // Hot is gone for the rest of the call: the write may resolve null or fall back to cold.
    expect
      .soft([op.result, null], `${at}: result ${JSON.stringify(result)}`)
      .toContainEqual(result);
  } else {
    expect.soft(result, `${at}: the same result as an unfaulted run`).toEqual(op.result);
  }
  const claimed = result !== null;

  if (op.hotField !== undefined) {
    // Not corrupted: the session's other fields as they were; the 'hot' field absent or as written.
    expect
      .soft(disagreement(op, truth, op.cold, false), `${at}: cold holds the session intact`)
      .toBeUndefined();
  } else {
    expect.soft(truth, `${at}: cold holds what it should`).toEqual(op.cold);
  }

  const bAgrees = async () => disagreement(op, viewOf(await env.b.getAll(key)), truth, claimed);
  if (op.through && transient(fault)) {
    expect
      .soft(await bAgrees(), `${at}: B agrees with cold at once (the retry fixed hot)`)
      .toBeUndefined();
  }
  const waited = await waitUntil(bAgrees, settled.at, HOT_TTL_MS + SLACK_MS);
  expect
    .soft(
      'ms' in waited ? 'agrees' : waited.still,
      `${at}: B agrees with cold within hotTtl (${HOT_TTL_MS} ms) + ${SLACK_MS} ms`,
    )
    .toBe('agrees');
  if ('ms' in waited && waited.ms > POLL_MS) recordWindow(op, waited.ms);
}

/** Revoking operations: resolved and gone everywhere at once, or rejected and gone within hotTtl. */
async function checkRevocation(
  op: Op,
  fault: Fault,
  settled: Exclude<Settled, { status: 'hung' }>,
  { a, key, to, at }: CaseScope,
  expect: ExpectStatic,
): Promise<void> {
  if (settled.status === 'resolved') {
    expect
      .soft(shape(settled.value), `${at}: the same result as an unfaulted run`)
      .toEqual(op.result);
    // Hot works again, so A's read is a real test of what hot still holds.
    a.faults.reset();
    // B first: a read through A may clean up hot on its way (A knows what it failed to do),
    // which would hide from B's read what hot held when the call resolved.
    const byB = await servesOld(env.b, key).catch((e: unknown) => `rejected: ${describeError(e)}`);
    const byA = await servesOld(a.store, key).catch(
      (e: unknown) => `rejected: ${describeError(e)}`,
    );
    expect
      .soft(byA, `${at}: resolved, so A reads the old key as undefined at once`)
      .toBeUndefined();
    expect
      .soft(byB, `${at}: resolved, so B reads the old key as undefined at once`)
      .toBeUndefined();
  } else {
    expect
      .soft(
        transient(fault) ? `rejected: ${describeError(settled.error)}` : 'allowed',
        `${at}: a ${fault} hot call is retried, so the ${op.name} does not reject`,
      )
      .toBe('allowed');
    expect
      .soft(
        settled.error instanceof StoreError ? 'StoreError' : describeError(settled.error),
        `${at}: rejects with a StoreError`,
      )
      .toBe('StoreError');
    // Hot stays broken for A while B, healthy, is watched until it lets go of the old key.
    const limit = HOT_TTL_MS + SLACK_MS;
    const [forB, forA] = await Promise.all([
      waitUntil(() => servesOld(env.b, key), settled.at, limit),
      waitUntil(() => servesOld(a.store, key), settled.at, limit),
    ]);
    expect
      .soft('ms' in forB ? 'stopped' : forB.still, `${at}: B stops serving the old key in time`)
      .toBe('stopped');
    expect
      .soft('ms' in forA ? 'stopped' : forA.still, `${at}: A stops serving the old key in time`)
      .toBe('stopped');
    if ('ms' in forB) recordWindow(op, forB.ms);
    a.faults.reset();
    expect
      .soft(await servesOld(a.store, key), `${at}: A, hot back, reads the old key as undefined`)
      .toBeUndefined();
  }
  expect.soft(await coldView(key), `${at}: cold no longer holds the old key`).toBeUndefined();
  if (op.name === 'rename') {
    expect
      .soft(await coldView(to), `${at}: cold holds the session at the new key`)
      .toEqual(op.cold);
  }
}

// ---------------------------------------------------------------------------------------------

const MATRIX = OPS.flatMap((op) => FAULTS.map((fault) => ({ op: op.name, fault })));

describe('LayeredStore (Redis over Postgres) with hot calls failing', () => {
  beforeAll(async () => {
    const db = await createTestSchema({ prefix: 'ruts_layered_hot_faults' });
    const prefix = uniquePrefix('layered-hot-faults');
    const pool = () =>
      new pg.Pool({ connectionString: POSTGRES_URL, max: 8, connectionTimeoutMillis: 5_000 });
    const [redisA, redisB] = await Promise.all([connectRedis(), connectRedis()]);
    const [poolA, poolB] = [pool(), pool()];
    const cold = (p: pg.Pool) => new PostgresStore({ executor: pgExecutor(p), schema: db.schema });
    const coldB = cold(poolB);
    env = {
      db,
      prefix,
      redisA,
      redisB,
      poolA,
      poolB,
      hotA: new RedisStore({ client: redisA, prefix }),
      coldA: cold(poolA),
      coldB,
      b: layered(new RedisStore({ client: redisB, prefix }), coldB),
      direct: cold(db.pool),
    };
  });

  afterAll(async () => {
    if (env === undefined) return;
    const lines = OPS.filter((op) => windows.has(op.name)).map((op) => {
      const list = windows.get(op.name) ?? [];
      const kind = op.revokes ? 'until B stopped serving the old key' : 'until B agreed with cold';
      return `  ${op.name}: max ${Math.max(...list)} ms over ${list.length} cases (${kind})`;
    });
    console.log(
      `hot faults, hotTtl ${HOT_TTL_MS} ms, hotTimeout ${HOT_TIMEOUT * 1000} ms; ` +
        `time from the faulted call settling, in the cases that had to wait:\n${lines.join('\n')}`,
    );
    await env.b.close();
    await deleteKeysUnder(env.redisA, env.prefix);
    await Promise.all([env.redisA.quit(), env.redisB.quit()]);
    await Promise.all([env.coldA.close(), env.coldB.close(), env.direct.close()]);
    await Promise.all([env.poolA.end(), env.poolB.end()]);
    await env.db.drop();
  });

  describe.concurrent('unfaulted, as the matrix compares against', () => {
    it.for(OPS.map((op) => ({ op: op.name })))(
      '$op',
      { timeout: 20_000 },
      async ({ op: name }, { expect }) => {
        const op = opNamed(name);
        const base = await baselineOf(op);
        console.log(`${op.name}: ${base.calls.length} hot calls (${base.calls.join(', ')})`);
        expect(base.settled.status).toBe('resolved');
        if (base.settled.status !== 'resolved') return;
        expect(shape(base.settled.value)).toEqual(op.result);
        if (op.revokes) {
          expect(base.calls.length, 'a revocation must tell hot').toBeGreaterThan(0);
          expect(base.coldAfter).toBeUndefined();
          expect(base.readByA).toBeUndefined();
          expect(base.readByB).toBeUndefined();
          if (op.name === 'rename') expect(base.coldAtNewKey).toEqual(op.cold);
        } else {
          expect(base.coldAfter).toEqual(op.cold);
          expect(disagreement(op, base.readByB, base.coldAfter, true)).toBeUndefined();
          expect(disagreement(op, base.readByA, base.coldAfter, true)).toBeUndefined();
        }
        expect(base.events).toEqual([]);
      },
    );
  });

  describe.concurrent('each fault at each hot call', () => {
    it.for(MATRIX)('$op, $fault', { timeout: 30_000 }, async ({ op: name, fault }, { expect }) => {
      const op = opNamed(name);
      const { calls, settled } = await baselineOf(op);
      expect(settled.status, 'the unfaulted run').toBe('resolved');
      const ks = Array.from({ length: calls.length }, (_, i) => i + 1);
      await Promise.all(ks.map((k) => runCase(op, fault, k, expect)));
    });
  });

  it('hot down entirely: every operation resolves with cold data; revocations reject', {
    timeout: 20_000,
  }, async () => {
    const a = instanceA();
    a.faults.failEverything();
    const key = newKey();
    const to = newKey(familyOf(key));
    const readsCold = async (k: string) =>
      expect(viewOf(await a.store.getAll(k))).toEqual(await coldView(k));

    expect(shape(await a.store.setMany(key, FIXTURE_FIELDS, CREATE))).toEqual(TTL);
    await readsCold(key);
    expect(shape(await a.store.set(key, field('a', '2'), UPDATE))).toEqual(TTL);
    expect(await fieldOf(a.store, key, 'a')).toBe('2');
    const hotWrite = await a.store.set(key, field('csrf', 'n1'), { ...UPDATE, write: 'hot' });
    expect([TTL, null]).toContainEqual(shape(hotWrite));
    expect(
      shape(await a.store.set(key, field('secret', 's1'), { ...UPDATE, write: 'cold' })),
    ).toEqual(TTL);
    expect(shape(await a.store.setMany(key, [field('a', '3'), field('b', '4')], UPDATE))).toEqual(
      TTL,
    );
    expect(shape(await a.store.setIfAbsent(key, field('c', 'x'), UPDATE))).toEqual({
      written: true,
      ttlMs: ONE_DAY,
    });
    expect(shape(await a.store.setIfAbsent(key, field('c', 'y'), UPDATE))).toEqual({
      written: false,
      ttlMs: ONE_DAY,
    });
    expect(await a.store.remove(key, 'a')).toBe(true);
    expect(text(await a.store.take(key, 'flash'))).toBe('f1');
    expect(await a.store.take(key, 'flash')).toBeUndefined();
    expect(shape(await a.store.expire(key, 2 * DAY, 'extend'))).toEqual({
      ttlMs: minutes(2 * DAY),
    });
    await readsCold(key);
    const fields = (await coldView(key))?.fields;
    expect(fields).toMatchObject({ user: 'u1', b: '4', c: 'x', secret: 's1' });
    expect(fields).not.toHaveProperty('a');
    expect(fields).not.toHaveProperty('flash');

    // Revocations cannot confirm that hot let go of the old key: they reject, after cold acted.
    const storeError = (operation: Promise<unknown>) =>
      operation.then(
        (value) => `resolved ${JSON.stringify(shape(value))}`,
        (error: unknown) => (error instanceof StoreError ? 'StoreError' : describeError(error)),
      );
    expect
      .soft(await storeError(a.store.rename(key, to, { idleMs: DAY })), 'rename')
      .toBe('StoreError');
    expect(await coldView(key)).toBeUndefined();
    expect((await coldView(to))?.fields).toEqual(fields);
    expect(await env.b.getAll(key)).toBeUndefined();
    expect(await a.store.getAll(key)).toBeUndefined();
    await readsCold(to);
    expect
      .soft(await storeError(a.store.expire(to, 0, 'set')), "expire(0,'set')")
      .toBe('StoreError');
    expect(await coldView(to)).toBeUndefined();
    expect(await a.store.getAll(to)).toBeUndefined();

    const other = newKey();
    expect(shape(await a.store.setMany(other, FIXTURE_FIELDS, CREATE))).toEqual(TTL);
    expect.soft(await storeError(a.store.delete(other)), 'delete').toBe('StoreError');
    expect(await coldView(other)).toBeUndefined();
    expect(await env.b.getAll(other)).toBeUndefined();
    expect(await a.store.getAll(other)).toBeUndefined();

    const owned = newKey();
    await a.store.setMany(owned, FIXTURE_FIELDS, { ...CREATE, owner: ownerOf(owned) });
    expect
      .soft(await storeError(a.store.deleteOwned(ownerOf(owned))), 'deleteOwned')
      .toBe('StoreError');
    expect(await coldView(owned)).toBeUndefined();
    expect(await env.b.getAll(owned)).toBeUndefined();
    expect(await a.store.getAll(owned)).toBeUndefined();

    expect(a.events.some((event) => event.type === 'hot-error')).toBe(true);
    await a.store.close();
  });

  it('cold unreachable: writes reject with a StoreError naming the cold tier', {
    timeout: 20_000,
  }, async () => {
    const deadPool = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      connectionTimeoutMillis: 500,
      max: 2,
    });
    deadPool.on('error', () => {});
    const deadCold = new PostgresStore({
      executor: pgExecutor(deadPool),
      schema: env.db.schema,
    });
    const c = instanceA(deadCold);
    try {
      const key = newKey();
      const to = newKey(familyOf(key));
      const writes = OPS.filter((op) => op.name !== 'getAll');
      for (const op of writes) {
        const settled = await settle(op.run(c.store, key, to));
        const outcome =
          settled.status === 'rejected'
            ? settled.error instanceof StoreError && /cold/.test(settled.error.message)
              ? 'StoreError naming cold'
              : describeError(settled.error)
            : settled.status === 'resolved'
              ? `resolved ${JSON.stringify(shape(settled.value))}`
              : 'hung';
        expect.soft(outcome, op.name).toBe('StoreError naming cold');
      }
    } finally {
      await c.store.close();
      await deadCold.close();
      await deadPool.end();
    }
  });

  it('cold failing: sessions hot holds are served within hotTtl, writes reject, then reads fail', {
    timeout: 20_000,
  }, async () => {
    const coldFaults = faultyCalls(env.coldA);
    const events: LayeredStoreEvent[] = [];
    const c = layered(
      new RedisStore({ client: env.redisA, prefix: env.prefix }),
      coldFaults.proxy,
      events,
    );
    try {
      const key = newKey();
      await c.setMany(key, FIXTURE_FIELDS, CREATE);
      expect(viewOf(await c.getAll(key))).toEqual(fixtureView());
      const warmedAt = performance.now();

      coldFaults.failEverything();
      expect(viewOf(await c.getAll(key))).toEqual(fixtureView());
      expect(await fieldOf(c, key, 'user')).toBe('u1');
      expect(performance.now() - warmedAt, 'served within hotTtl').toBeLessThan(HOT_TTL_MS);

      const writes: [string, () => Promise<unknown>][] = [
        ['set', () => c.set(key, field('a', '2'), UPDATE)],
        ["set write:'cold'", () => c.set(key, field('secret', 's1'), { ...UPDATE, write: 'cold' })],
        ['setMany', () => c.setMany(key, [field('a', '3')], UPDATE)],
        ['setIfAbsent', () => c.setIfAbsent(key, field('b', 'x'), UPDATE)],
        ['remove', () => c.remove(key, 'a')],
        ['take', () => c.take(key, 'flash')],
        ['expire extend', () => c.expire(key, 2 * DAY, 'extend')],
      ];
      for (const [name, write] of writes) {
        const error = await write().then(
          (value) => `resolved ${JSON.stringify(shape(value))}`,
          (e: unknown) => e,
        );
        expect.soft(error, name).toBeInstanceOf(StoreError);
        expect.soft((error as Error).message, name).toMatch(/cold/);
      }

      // Past hotTtl the copy is not trusted any more, and cold cannot be asked.
      await sleep(Math.max(0, warmedAt + HOT_TTL_MS + SLACK_MS - performance.now()));
      await expect(c.getAll(key)).rejects.toBeInstanceOf(StoreError);
      // Nothing reached cold; B, with cold reachable, reads it as it was.
      expect(viewOf(await env.b.getAll(key))).toEqual(fixtureView());

      coldFaults.reset();
      expect(viewOf(await c.getAll(key))).toEqual(fixtureView());
    } finally {
      await c.close();
    }
  });
});
