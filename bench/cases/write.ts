/**
 * Case 2, session write: one field with a TTL on an existing session, against the raw
 * equivalent in one round trip (an `EVALSHA` of a script doing the same work; a prepared
 * `INSERT … ON CONFLICT` that also extends the session), each after one HMAC verify.
 *
 * @packageDocumentation
 */

import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.ts';
import { sessionKey } from '../../src/stores/redis/redis-keys.ts';
import { RedisStore } from '../../src/stores/redis/redis-store.ts';
import { type CaseContext, LEVELS, levelName } from '../lib/context.ts';
import { createSessions, cycler, hmacSign, hmacVerifier, managerFor } from '../lib/fixture.ts';
import { measureGroup, pick, ratioOf } from '../lib/harness.ts';
import { type Row, ratioRow } from '../lib/report.ts';
import { REDIS_PREFIX, SCHEMA } from '../lib/services.ts';

const GROUP = '2 write';
const FIELD = 'csrf';
const TTL_SECONDS = 600;
const IDLE_MS = 14 * 24 * 3600 * 1000;

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
  const redisManager = managerFor(redisStore);
  const pgManager = managerFor(pgStore);

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
  };

  // Each write must land on the session the cookie names, never on a new one.
  let minted = false;
  const probe = rutsRedis[0];
  if (probe) {
    await redisManager
      .open(probe.cookie, {
        onCookie: () => {
          minted = true;
        },
      })
      .set(FIELD, value, { ttl: TTL_SECONDS });
    if (minted) throw new Error('the ruts Redis write created a new session');
  }

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
  }
  return rows;
}
