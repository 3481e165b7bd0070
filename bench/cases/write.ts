/**
 * Case 2, session write: one field with a TTL on an existing session, against the raw
 * equivalent in one round trip (an `EVALSHA` of a script doing the same work; a prepared
 * `INSERT … ON CONFLICT` that also extends the session), each after one HMAC verify. And the
 * same write `'through'` a LayeredStore (Redis over Postgres) whose hot tier holds the
 * session's copy: one Postgres write, then one script applying it to the copy, against the
 * ruts Postgres write and the ruts Redis write done one after the other in each operation.
 * Timed apart and added up, the two writes cost a fifth to a third less than done in turn on
 * this machine (each server sleeps while the other works), so the row reports that sum too.
 *
 * @packageDocumentation
 */

import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';
import type { SetOptions } from '../../src/core/session-types.ts';
import { LayeredStore } from '../../src/stores/layered-store.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.ts';
import { sessionKey } from '../../src/stores/redis/redis-keys.ts';
import { RedisStore } from '../../src/stores/redis/redis-store.ts';
import { type CaseContext, LEVELS, levelName } from '../lib/context.ts';
import { createSessions, cycler, hmacSign, hmacVerifier, managerFor } from '../lib/fixture.ts';
import { measureGroup, pick, ratioOf, type Subject, timeOverSumOf } from '../lib/harness.ts';
import { copyKey, HOT_TTL_SECONDS, leaseNote, refillCopies } from '../lib/hot-copies.ts';
import { nativeRedisStore } from '../lib/native-redis.ts';
import { fmtInt, type Row, ratioRow } from '../lib/report.ts';
import { REDIS_PREFIX, SCHEMA } from '../lib/services.ts';

const GROUP = '2 write';
const FIELD = 'csrf';
const TTL_SECONDS = 600;
const IDLE_MS = 14 * 24 * 3600 * 1000;
/** The layered write's options: the same field and TTL, to both tiers (the default, spelled out). */
const THROUGH: SetOptions = { ttl: TTL_SECONDS, write: 'through' };

/**
 * What the store's write script does for one field with a TTL on a live session, without the
 * generality: read the clock, check the session exists, write the field and its expiry, extend
 * the key's expiry.
 */
const RAW_WRITE_LUA = String.raw`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], '\0t' .. ARGV[1], now + tonumber(ARGV[3]))
redis.call('PEXPIREAT', KEYS[1], now + tonumber(ARGV[4]))
return 1
`;

/** The raw write on a server with hash-field expiry: the field's own TTL kept by Redis. */
const RAW_NATIVE_WRITE_LUA = String.raw`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HPEXPIREAT', KEYS[1], now + tonumber(ARGV[3]), 'FIELDS', 1, ARGV[1])
redis.call('PEXPIREAT', KEYS[1], now + tonumber(ARGV[4]))
return 1
`;

/** The same write in SQL: extend a live session, then upsert its field, in one statement. */
const PG_RAW_WRITE = `WITH s AS (
  UPDATE "${SCHEMA}".ruts_sessions
     SET expires_at = greatest(expires_at, now() + $4::float8 * interval '1 millisecond')
   WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())
  RETURNING id)
INSERT INTO "${SCHEMA}".ruts_session_fields AS f (session_id, name, value, expires_at)
SELECT s.id, $2, $3, now() + $5::float8 * interval '1 millisecond' FROM s
ON CONFLICT (session_id, name)
DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
RETURNING 1 AS written`;

export async function writeCase(ctx: CaseContext): Promise<Row[]> {
  const { redis, pool } = ctx.services;
  const verify = await hmacVerifier();
  const redisStore = new RedisStore({ client: redis, prefix: REDIS_PREFIX });
  const pgStore = new PostgresStore({ executor: pgExecutor(pool), schema: SCHEMA });
  const hotPrefix = `${REDIS_PREFIX}hot:`;
  const layered = new LayeredStore({
    hot: new RedisStore({ client: redis, prefix: hotPrefix }),
    cold: pgStore,
    hotTtl: HOT_TTL_SECONDS,
  });
  const redisManager = managerFor(redisStore);
  const pgManager = managerFor(pgStore);
  const layeredManager = managerFor(layered);

  ctx.log('write: creating sessions');
  // Separate sessions for ruts and for the raw writes, so neither waits on the other's locks.
  const rutsRedis = await createSessions(redisManager, ctx.sessions);
  const rawRedis = await Promise.all(
    (await createSessions(redisManager, ctx.sessions)).map(async (s) => ({
      ...s,
      mac: await hmacSign(s.id),
      redisKey: sessionKey(REDIS_PREFIX, s.key),
    })),
  );
  const rutsPg = await createSessions(pgManager, ctx.sessions);
  const rawPg = await Promise.all(
    (await createSessions(pgManager, ctx.sessions)).map(async (s) => ({
      ...s,
      mac: await hmacSign(s.id),
    })),
  );
  // Read once each before timing (refillCopies), so hot holds their copies.
  const rutsLayered = await createSessions(layeredManager, ctx.sessions);

  redis.defineCommand('benchRawWrite', { lua: RAW_WRITE_LUA, numberOfKeys: 1 });
  const rawWrite = (redis as unknown as Record<string, (...a: unknown[]) => Promise<number>>)
    .benchRawWrite as (...a: unknown[]) => Promise<number>;

  const value = 'r8Gm2QxV0bJ7nT5kW1yC4pL9dH6sZ3aE';
  const encoded = Buffer.from(msgpackCodec.encode(value));
  const next = {
    rutsRedis: cycler(rutsRedis),
    rawRedis: cycler(rawRedis),
    rutsPg: cycler(rutsPg),
    rawPg: cycler(rawPg),
    layered: cycler(rutsLayered),
    inTurnPg: cycler(rutsPg),
    inTurnRedis: cycler(rutsRedis),
  };

  const subjects = {
    redisBase: {
      id: 'redis raw',
      op: async () => {
        const s = next.rawRedis();
        if (!(await verify(s.id, s.mac))) throw new Error('bad mac');
        const written = await rawWrite.call(
          redis,
          s.redisKey,
          FIELD,
          Buffer.from(encoded),
          TTL_SECONDS * 1000,
          IDLE_MS,
        );
        if (written !== 1) throw new Error('raw write found no session');
      },
    },
    redis: {
      id: 'redis',
      op: () => redisManager.open(next.rutsRedis().cookie).set(FIELD, value, { ttl: TTL_SECONDS }),
    },
    pgBase: {
      id: 'pg raw',
      op: async () => {
        const s = next.rawPg();
        if (!(await verify(s.id, s.mac))) throw new Error('bad mac');
        const { rows } = await pool.query({
          name: 'bench_write',
          text: PG_RAW_WRITE,
          values: [s.key, FIELD, encoded, IDLE_MS, TTL_SECONDS * 1000],
        });
        if (rows.length !== 1) throw new Error('raw write found no session');
      },
    },
    pg: {
      id: 'pg',
      op: () => pgManager.open(next.rutsPg().cookie).set(FIELD, value, { ttl: TTL_SECONDS }),
    },
    layered: {
      id: 'layered',
      op: () => layeredManager.open(next.layered().cookie).set(FIELD, value, THROUGH),
    },
    // What a 'through' write does at least, by hand: the ruts Postgres write, then the ruts
    // Redis write, each awaited.
    inTurn: {
      id: 'pg then redis',
      op: async () => {
        await pgManager.open(next.inTurnPg().cookie).set(FIELD, value, { ttl: TTL_SECONDS });
        await redisManager.open(next.inTurnRedis().cookie).set(FIELD, value, { ttl: TTL_SECONDS });
      },
    },
  };

  // Each write must land on the session the cookie names, never on a new one.
  const probeWrite = async (
    manager: typeof redisManager,
    cookie: string,
    name: string,
    options: SetOptions,
  ) => {
    let minted = false;
    await manager
      .open(cookie, {
        onCookie: () => {
          minted = true;
        },
      })
      .set(FIELD, value, options);
    if (minted) throw new Error(`the ruts ${name} write created a new session`);
  };
  const probe = rutsRedis[0];
  if (probe) await probeWrite(redisManager, probe.cookie, 'Redis', { ttl: TTL_SECONDS });
  // And the layered write must reach hot's copy, not only cold: the case measures that path.
  const layeredProbe = rutsLayered[0];
  if (layeredProbe) {
    await refillCopies(redis, layeredManager, hotPrefix, [layeredProbe]);
    await probeWrite(layeredManager, layeredProbe.cookie, 'Layered', THROUGH);
    const hash = copyKey(hotPrefix, layeredProbe.key);
    const copied = await redis.hgetBuffer(hash, FIELD);
    if (copied === null || !copied.equals(encoded)) {
      throw new Error(`the Layered 'through' write did not update hot's copy ${hash}`);
    }
  }

  const native = await nativeSubjects(ctx, verify, value, encoded);

  const rows: Row[] = [];
  for (const concurrency of LEVELS) {
    const level = levelName(concurrency);
    const options = { ...ctx.timing, concurrency };
    ctx.log(`write: Redis, ${level}`);
    const r = await measureGroup([subjects.redisBase, subjects.redis], options);
    const rb = pick(r, 'redis raw');
    rows.push(
      ratioRow(
        GROUP,
        `Redis, ${level}`,
        pick(r, 'redis'),
        ratioOf(pick(r, 'redis'), rb),
        'EVALSHA + HMAC',
        { op: '>=', value: 0.85 },
        `; raw ${Math.round(rb.opsPerSec).toLocaleString('en-US')} ops/s`,
      ),
    );
    if (native !== undefined) {
      ctx.log(`write: Redis in native field-TTL mode, ${level}`);
      const n = await measureGroup([native.base, native.store], options);
      const base = pick(n, native.base.id);
      rows.push(
        ratioRow(
          GROUP,
          `Redis, native field TTL, ${level}`,
          pick(n, native.store.id),
          ratioOf(pick(n, native.store.id), base),
          'EVALSHA + HMAC',
          { op: '>=', value: 0.85 },
          `; raw ${Math.round(base.opsPerSec).toLocaleString('en-US')} ops/s`,
        ),
      );
    }
    ctx.log(`write: Postgres (pg), ${level}`);
    const p = await measureGroup([subjects.pgBase, subjects.pg], options);
    const pb = pick(p, 'pg raw');
    rows.push(
      ratioRow(
        GROUP,
        `Postgres (pg), ${level}`,
        pick(p, 'pg'),
        ratioOf(pick(p, 'pg'), pb),
        'INSERT…ON CONFLICT + HMAC',
        { op: '>=', value: 0.85 },
        `; raw ${Math.round(pb.opsPerSec).toLocaleString('en-US')} ops/s`,
      ),
    );
    ctx.log(`write: Layered 'through' against Postgres (pg) + Redis, ${level}`);
    // Fresh copies just before the group: a write applies to a copy only within its lease
    // (HOT_TTL_SECONDS, never extended by writes). In one group, each member's slices run next
    // to the others', so the times of a round are measured close together.
    const filledAt = await refillCopies(redis, layeredManager, hotPrefix, rutsLayered);
    const l = await measureGroup(
      [subjects.inTurn, subjects.layered, subjects.redis, subjects.pg],
      options,
    );
    const lease = leaseNote(filledAt, 'later writes found no copy in hot');
    const layeredWrite = pick(l, 'layered');
    const pgWrite = pick(l, 'pg');
    const redisWrite = pick(l, 'redis');
    const apart = timeOverSumOf(layeredWrite, [pgWrite, redisWrite]).median;
    rows.push(
      ratioRow(
        GROUP,
        `Layered 'through' write, ${level}`,
        layeredWrite,
        timeOverSumOf(layeredWrite, [pick(l, 'pg then redis')]),
        'pg write, then redis write',
        { op: '<=', value: 1.15 },
        `; ratio in time per write, lower is faster; ${apart.toFixed(2)}× the pg write ` +
          `(${fmtInt(pgWrite.opsPerSec)} ops/s) and the redis write ` +
          `(${fmtInt(redisWrite.opsPerSec)} ops/s) timed apart${lease}`,
      ),
    );
  }
  return rows;
}

/**
 * The Redis write again on a server with hash-field expiry, where the store runs in its native
 * field-TTL mode, against the raw write there; `undefined` (and a line in the log) without one.
 */
async function nativeSubjects(
  ctx: CaseContext,
  verify: Awaited<ReturnType<typeof hmacVerifier>>,
  value: string,
  encoded: Buffer,
): Promise<{ base: Subject; store: Subject } | undefined> {
  const native = await nativeRedisStore(ctx, 'write', REDIS_PREFIX);
  if (native === undefined) return undefined;
  const { redis, store } = native;
  const manager = managerFor(store);
  const ruts = await createSessions(manager, ctx.sessions);
  const raw = await Promise.all(
    (await createSessions(manager, ctx.sessions)).map(async (s) => ({
      ...s,
      mac: await hmacSign(s.id),
      redisKey: sessionKey(REDIS_PREFIX, s.key),
    })),
  );
  redis.defineCommand('benchRawNativeWrite', { lua: RAW_NATIVE_WRITE_LUA, numberOfKeys: 1 });
  const rawWrite = (redis as unknown as Record<string, (...a: unknown[]) => Promise<number>>)
    .benchRawNativeWrite as (...a: unknown[]) => Promise<number>;
  const nextRaw = cycler(raw);
  const nextRuts = cycler(ruts);
  return {
    base: {
      id: 'redis native raw',
      op: async () => {
        const s = nextRaw();
        if (!(await verify(s.id, s.mac))) throw new Error('bad mac');
        const args = [s.redisKey, FIELD, Buffer.from(encoded), TTL_SECONDS * 1000, IDLE_MS];
        if ((await rawWrite.call(redis, ...args)) !== 1) {
          throw new Error('raw write found no session');
        }
      },
    },
    store: {
      id: 'redis native',
      op: () => manager.open(nextRuts().cookie).set(FIELD, value, { ttl: TTL_SECONDS }),
    },
  };
}
