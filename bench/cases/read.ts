/**
 * Case 1, session read: unseal the cookie, then `getAll` of the ten-field session, for each
 * store, against the raw driver's least equivalent work plus one Web Crypto HMAC verify.
 *
 * @packageDocumentation
 */

import { LayeredStore } from '../../src/stores/layered-store.ts';
import { MemoryStore } from '../../src/stores/memory/memory-store.ts';
import { pgExecutor } from '../../src/stores/postgres/pg-executor.ts';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.ts';
import { prismaExecutor } from '../../src/stores/postgres/prisma-executor.ts';
import { vercelExecutor } from '../../src/stores/postgres/vercel-executor.ts';
import { sessionKey } from '../../src/stores/redis/redis-keys.ts';
import { RedisStore } from '../../src/stores/redis/redis-store.ts';
import { type CaseContext, LEVELS, levelName } from '../lib/context.ts';
import {
  type CreatedSession,
  createSessions,
  cycler,
  hmacSign,
  hmacVerifier,
  managerFor,
  typicalSession,
} from '../lib/fixture.ts';
import { measureGroup, pick, ratioOf, type Subject } from '../lib/harness.ts';
import { copyKey, HOT_TTL_SECONDS, leaseNote, refillCopies } from '../lib/hot-copies.ts';
import { nativeRedisStore } from '../lib/native-redis.ts';
import { type Row, ratioRow } from '../lib/report.ts';
import { REDIS_PREFIX, SCHEMA } from '../lib/services.ts';

const GROUP = '1 read';
const FIELD_COUNT = Object.keys(typicalSession()).length;

/** A session as the baseline sees it: the signed id and where its data is. */
interface Signed extends CreatedSession {
  readonly mac: Uint8Array;
}

async function signAll(sessions: readonly CreatedSession[]): Promise<Signed[]> {
  return Promise.all(sessions.map(async (s) => ({ ...s, mac: await hmacSign(s.id) })));
}

/**
 * The SELECT the pg baseline prepares: the session's field rows, by the primary key's prefix,
 * the session's id (looked up once, before timing) rather than its key.
 */
export const PG_BASELINE_READ = `SELECT name, value FROM "${SCHEMA}".ruts_session_fields WHERE session_id = $1`;

/** The id of each session's row, by store key: what the baseline reads by. */
async function sessionIds(pool: CaseContext['services']['pool'], keys: readonly string[]) {
  const { rows } = await pool.query<{ key: string; id: string }>(
    `SELECT key, id FROM "${SCHEMA}".ruts_sessions WHERE key = ANY($1::text[])`,
    [keys],
  );
  return new Map(rows.map((row) => [row.key, row.id]));
}

export async function readCase(ctx: CaseContext): Promise<Row[]> {
  const { redis, pool } = ctx.services;
  const verify = await hmacVerifier();

  const memory = new MemoryStore({ name: 'bench-read', maxSessions: ctx.sessions * 2 });
  const redisStore = new RedisStore({ client: redis, prefix: REDIS_PREFIX });
  const pgStore = new PostgresStore({ executor: pgExecutor(pool), schema: SCHEMA });
  const hotPrefix = `${REDIS_PREFIX}hot:`;
  const layered = new LayeredStore({
    hot: new RedisStore({ client: redis, prefix: hotPrefix }),
    cold: pgStore,
    hotTtl: HOT_TTL_SECONDS,
  });
  ctx.log('read: creating sessions (Prisma Client generated offline, Neon stand-in started)');
  const prismaStore = new PostgresStore({
    executor: prismaExecutor(await ctx.services.prisma()),
    schema: SCHEMA,
  });
  const vercelStore = new PostgresStore({
    executor: vercelExecutor(await ctx.services.vercel()),
    schema: SCHEMA,
  });

  const managers = {
    memory: managerFor(memory),
    redis: managerFor(redisStore),
    pg: managerFor(pgStore),
    prisma: managerFor(prismaStore),
    vercel: managerFor(vercelStore),
    layeredHot: managerFor(layered),
    layeredCold: managerFor(layered),
  };
  const memSessions = await signAll(await createSessions(managers.memory, ctx.sessions));
  const redisSessions = await signAll(await createSessions(managers.redis, ctx.sessions));
  const pgSessions = await signAll(await createSessions(managers.pg, ctx.sessions));
  const hotSessions = await createSessions(managers.layeredHot, ctx.sessions);
  const coldSessions = await createSessions(managers.layeredCold, ctx.sessions);

  // The baseline's in-process equivalent for MemoryStore: a Map of the same data.
  const plainMap = new Map(memSessions.map((s, n) => [s.key, typicalSession(n)]));

  const next = {
    mem: cycler(memSessions),
    redis: cycler(redisSessions),
    redisBase: cycler(redisSessions),
    pg: cycler(pgSessions),
    pgBase: cycler(pgSessions),
    prisma: cycler(pgSessions),
    vercel: cycler(pgSessions),
    hot: cycler(hotSessions),
    cold: cycler(coldSessions),
  };
  const redisKeys = new Map(redisSessions.map((s) => [s.key, sessionKey(REDIS_PREFIX, s.key)]));
  const pgIds = await sessionIds(
    pool,
    pgSessions.map((s) => s.key),
  );
  // Where each cold-miss session's copy lives in hot: dropped before each of its reads.
  const copyKeys = new Map(coldSessions.map((s) => [s.key, copyKey(hotPrefix, s.key)]));

  const check = async (name: string, read: Promise<Record<string, unknown>>) => {
    const fields = Object.keys(await read).length;
    if (fields !== FIELD_COUNT)
      throw new Error(`${name} read ${fields} fields, not ${FIELD_COUNT}`);
  };
  const read = (manager: typeof managers.memory, s: CreatedSession) =>
    manager.open(s.cookie).getAll() as Promise<Record<string, unknown>>;

  const subjects = {
    memBase: {
      id: 'memory baseline',
      op: async () => {
        const s = next.mem();
        if (!(await verify(s.id, s.mac))) throw new Error('bad mac');
        return plainMap.get(s.key);
      },
    },
    memory: { id: 'memory', op: () => read(managers.memory, next.mem()) },
    redisBase: {
      id: 'redis baseline',
      op: async () => {
        const s = next.redisBase();
        if (!(await verify(s.id, s.mac))) throw new Error('bad mac');
        // callBuffer: the reply as Redis sends it, without hgetall's conversion to an object.
        return redis.callBuffer('HGETALL', redisKeys.get(s.key) as string);
      },
    },
    redis: { id: 'redis', op: () => read(managers.redis, next.redis()) },
    layeredHot: { id: 'layered hot', op: () => read(managers.layeredHot, next.hot()) },
    pgBase: {
      id: 'pg baseline',
      op: async () => {
        const s = next.pgBase();
        if (!(await verify(s.id, s.mac))) throw new Error('bad mac');
        return (
          await pool.query({
            name: 'bench_read',
            text: PG_BASELINE_READ,
            values: [pgIds.get(s.key)],
          })
        ).rows;
      },
    },
    pg: { id: 'pg', op: () => read(managers.pg, next.pg()) },
    prisma: { id: 'prisma', op: () => read(managers.prisma, next.prisma()) },
    vercel: { id: 'vercel', op: () => read(managers.vercel, next.vercel()) },
    layeredCold: {
      id: 'layered cold',
      op: async () => {
        const s = next.cold();
        // Dropping the copy first makes every read a miss; it costs one more round trip.
        await redis.unlink(copyKeys.get(s.key) as string);
        return read(managers.layeredCold, s);
      },
    },
  } satisfies Record<string, Subject>;

  await check('MemoryStore', read(managers.memory, memSessions[0] as CreatedSession));
  await check('RedisStore', read(managers.redis, redisSessions[0] as CreatedSession));
  await check('PostgresStore (pg)', read(managers.pg, pgSessions[0] as CreatedSession));
  await check('PostgresStore (Prisma)', read(managers.prisma, pgSessions[0] as CreatedSession));
  await check(
    'PostgresStore (@vercel/postgres)',
    read(managers.vercel, pgSessions[0] as CreatedSession),
  );
  await check('LayeredStore', read(managers.layeredHot, hotSessions[0] as CreatedSession));
  const baseRows = await subjects.pgBase.op();
  if (baseRows.length !== FIELD_COUNT) throw new Error(`pg baseline read ${baseRows.length} rows`);
  const native = await nativeSubjects(ctx, verify);

  const rows: Row[] = [];
  for (const concurrency of LEVELS) {
    const level = levelName(concurrency);
    const options = { ...ctx.timing, concurrency };
    const at64 = concurrency === 64;

    ctx.log(`read: MemoryStore, ${level}`);
    const mem = await measureGroup([subjects.memBase, subjects.memory], options);
    const memBase = pick(mem, 'memory baseline');
    rows.push(
      ratioRow(
        GROUP,
        `Memory, ${level}`,
        pick(mem, 'memory'),
        ratioOf(pick(mem, 'memory'), memBase),
        'Map.get + HMAC',
      ),
    );

    ctx.log(`read: Redis and Layered hot hit, ${level}`);
    // Fresh copies just before the group, so every hot read is a hit: a copy is trusted for
    // HOT_TTL_SECONDS, and a refill from cold is the cold miss, measured below.
    const filledAt = await refillCopies(redis, managers.layeredHot, hotPrefix, hotSessions);
    const r = await measureGroup(
      [subjects.redisBase, subjects.redis, subjects.layeredHot],
      options,
    );
    const hotLease = leaseNote(filledAt, 'later reads include refills from cold');
    const redisBase = pick(r, 'redis baseline');
    const redisRead = pick(r, 'redis');
    const hot = pick(r, 'layered hot');
    rows.push(
      ratioRow(
        GROUP,
        `Redis, ${level}`,
        redisRead,
        ratioOf(redisRead, redisBase),
        'HGETALL + HMAC',
        at64 ? { op: '>=', value: 0.85 } : undefined,
        `; baseline ${Math.round(redisBase.opsPerSec).toLocaleString('en-US')} ops/s`,
      ),
      ratioRow(
        GROUP,
        `Layered hot hit, ${level}`,
        hot,
        ratioOf(hot, redisRead),
        'ruts Redis read',
        { op: '>=', value: 0.95 },
        `; ${ratioOf(hot, redisBase).median.toFixed(2)}× HGETALL + HMAC${hotLease}`,
      ),
    );

    if (native !== undefined) {
      ctx.log(`read: Redis in native field-TTL mode, ${level}`);
      const n = await measureGroup([native.base, native.store], options);
      const base = pick(n, native.base.id);
      const store = pick(n, native.store.id);
      rows.push(
        ratioRow(
          GROUP,
          `Redis, native field TTL, ${level}`,
          store,
          ratioOf(store, base),
          'HGETALL + HMAC',
          at64 ? { op: '>=', value: 0.85 } : undefined,
          `; baseline ${Math.round(base.opsPerSec).toLocaleString('en-US')} ops/s; the store ` +
            "also reads each field's HPEXPIRETIME",
        ),
      );
    }

    ctx.log(`read: Postgres (pg, Prisma, @vercel/postgres) and Layered cold miss, ${level}`);
    const p = await measureGroup(
      [subjects.pgBase, subjects.pg, subjects.prisma, subjects.vercel, subjects.layeredCold],
      options,
    );
    const pgBase = pick(p, 'pg baseline');
    const baseNote = `; baseline ${Math.round(pgBase.opsPerSec).toLocaleString('en-US')} ops/s`;
    rows.push(
      ratioRow(
        GROUP,
        `Postgres (pg), ${level}`,
        pick(p, 'pg'),
        ratioOf(pick(p, 'pg'), pgBase),
        'prepared SELECT + HMAC',
        at64 ? { op: '>=', value: 0.85 } : undefined,
        baseNote,
      ),
      ratioRow(
        GROUP,
        `Postgres (Prisma), ${level}`,
        pick(p, 'prisma'),
        ratioOf(pick(p, 'prisma'), pgBase),
        'prepared SELECT + HMAC',
      ),
      ratioRow(
        GROUP,
        `Postgres (@vercel/postgres), ${level}`,
        pick(p, 'vercel'),
        ratioOf(pick(p, 'vercel'), pgBase),
        'prepared SELECT + HMAC',
      ),
      ratioRow(
        GROUP,
        `Layered cold miss, ${level}`,
        pick(p, 'layered cold'),
        ratioOf(pick(p, 'layered cold'), pgBase),
        'prepared SELECT + HMAC',
        undefined,
        ' (includes the UNLINK that forces the miss)',
      ),
    );
  }
  await memory.close?.();
  return rows;
}

/**
 * The Redis read again on a server with hash-field expiry, where the store runs in its native
 * field-TTL mode, with its own baseline; `undefined` (and a line in the log) without one.
 */
async function nativeSubjects(
  ctx: CaseContext,
  verify: Awaited<ReturnType<typeof hmacVerifier>>,
): Promise<{ base: Subject; store: Subject } | undefined> {
  const native = await nativeRedisStore(ctx, 'read', REDIS_PREFIX);
  if (native === undefined) return undefined;
  const { redis, store } = native;
  const manager = managerFor(store);
  const sessions = await signAll(await createSessions(manager, ctx.sessions));
  const keys = new Map(sessions.map((s) => [s.key, sessionKey(REDIS_PREFIX, s.key)]));
  const nextBase = cycler(sessions);
  const nextRead = cycler(sessions);
  const read = await manager.open((sessions[0] as CreatedSession).cookie).getAll();
  if (Object.keys(read).length !== FIELD_COUNT) throw new Error('native read lost fields');
  return {
    base: {
      id: 'redis native baseline',
      op: async () => {
        const s = nextBase();
        if (!(await verify(s.id, s.mac))) throw new Error('bad mac');
        return redis.callBuffer('HGETALL', keys.get(s.key) as string);
      },
    },
    store: {
      id: 'redis native',
      op: () => manager.open(nextRead().cookie).getAll(),
    },
  };
}
