/**
 * Case 3, peers on the same 1 KB session: connect-redis (express-session's Redis store, on
 * node-redis) get+set against ruts' Redis read+write, and against the driver floor of any store
 * keeping a session as one hash on ioredis; iron-session `sealData`+`unsealData`, the cost of a
 * stateless session.
 *
 * @packageDocumentation
 */

import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { sealData, unsealData } from 'iron-session';
import { createClient } from 'redis';
import { msgpackCodec } from '../../src/codecs/msgpack-codec.ts';
import { sessionKey } from '../../src/stores/redis/redis-keys.ts';
import { RedisStore } from '../../src/stores/redis/redis-store.ts';
import { type CaseContext, LEVELS, levelName } from '../lib/context.ts';
import {
  createSessions,
  cycler,
  hmacSign,
  hmacVerifier,
  managerFor,
  SECRET,
  typicalSession,
} from '../lib/fixture.ts';
import { measureGroup, pick, ratioOf } from '../lib/harness.ts';
import { type Row, ratioRow } from '../lib/report.ts';
import { REDIS_PREFIX, REDIS_URL } from '../lib/services.ts';

const GROUP = '3 peers';

export async function peersCase(ctx: CaseContext): Promise<Row[]> {
  const { redis } = ctx.services;
  const verify = await hmacVerifier();
  const nodeRedis = createClient({ url: REDIS_URL });
  await nodeRedis.connect();
  try {
    const connectRedis = new ConnectRedisStore({ client: nodeRedis, prefix: `${REDIS_PREFIX}cr:` });
    const store = new RedisStore({ client: redis, prefix: REDIS_PREFIX });
    const manager = managerFor(store);

    ctx.log('peers: creating sessions');
    const sids = Array.from({ length: ctx.sessions }, (_, n) => `sid-${n}-${process.pid}`);
    const cookie = {
      originalMaxAge: 14 * 24 * 3600 * 1000,
      expires: new Date(Date.now() + 14 * 24 * 3600 * 1000),
      httpOnly: true,
      path: '/',
      secure: true,
      sameSite: 'lax' as const,
    };
    for (const [n, sid] of sids.entries()) {
      await connectRedis.set(sid, { cookie, ...typicalSession(n) } as never);
    }
    const rutsSessions = await createSessions(manager, ctx.sessions);
    const baseSessions = await Promise.all(
      (await createSessions(manager, ctx.sessions)).map(async (s) => ({
        ...s,
        mac: await hmacSign(s.id),
        redisKey: sessionKey(REDIS_PREFIX, s.key),
      })),
    );
    const ironSeals = await Promise.all(
      Array.from({ length: 16 }, (_, n) => sealData(typicalSession(n), { password: SECRET })),
    );

    const next = {
      sid: cycler(sids),
      ruts: cycler(rutsSessions),
      base: cycler(baseSessions),
      floor: cycler(baseSessions),
      iron: cycler(ironSeals),
    };
    const value = 'r8Gm2QxV0bJ7nT5kW1yC4pL9dH6sZ3aE';
    const encoded = Buffer.from(msgpackCodec.encode(value));
    const subjects = {
      connectRedis: {
        id: 'connect-redis',
        op: async () => {
          const sid = next.sid();
          const sess = (await connectRedis.get(sid)) as Record<string, unknown> | null;
          if (!sess) throw new Error('connect-redis lost a session');
          sess.csrf = value;
          await connectRedis.set(sid, sess as never);
        },
      },
      ruts: {
        id: 'ruts',
        op: async () => {
          const session = manager.open(next.ruts().cookie);
          await session.getAll();
          await session.set('csrf', value);
        },
      },
      base: {
        id: 'baseline',
        op: async () => {
          const s = next.base();
          if (!(await verify(s.id, s.mac))) throw new Error('bad mac');
          // callBuffer: the reply as Redis sends it, without hgetall's conversion to an object.
          return redis.callBuffer('HGETALL', s.redisKey);
        },
      },
      // The least a store keeping each session as one hash on ioredis can do for the same
      // work: the raw read, decoding the values (connect-redis parses its JSON too) and the raw
      // one-field write, with no cookie check and no expiry. No store of that shape beats it, so
      // it bounds what the connect-redis target can reach.
      floor: {
        id: 'driver floor',
        op: async () => {
          const s = next.floor();
          const reply = (await redis.callBuffer('HGETALL', s.redisKey)) as Buffer[];
          for (let i = 1; i < reply.length; i += 2) {
            if ((reply[i - 1] as Buffer)[0] !== 0) msgpackCodec.decode(reply[i] as Buffer);
          }
          await redis.hset(s.redisKey, 'csrf', encoded);
        },
      },
      iron: {
        id: 'iron-session',
        op: async () => {
          const data = await unsealData<Record<string, unknown>>(next.iron(), { password: SECRET });
          return sealData(data, { password: SECRET });
        },
      },
    };

    const rows: Row[] = [];
    for (const concurrency of LEVELS) {
      const level = levelName(concurrency);
      ctx.log(`peers: connect-redis, ruts, iron-session, ${level}`);
      const m = await measureGroup(
        [subjects.connectRedis, subjects.ruts, subjects.floor, subjects.base, subjects.iron],
        { ...ctx.timing, concurrency },
      );
      const cr = pick(m, 'connect-redis');
      const ruts = pick(m, 'ruts');
      const floor = pick(m, 'driver floor');
      const base = pick(m, 'baseline');
      const iron = pick(m, 'iron-session');
      rows.push(
        ratioRow(
          GROUP,
          `ruts Redis read+write, ${level}`,
          ruts,
          ratioOf(ruts, cr),
          'connect-redis get+set',
          { op: '>=', value: 1.5 },
          `; connect-redis ${Math.round(cr.opsPerSec).toLocaleString('en-US')} ops/s`,
        ),
        ratioRow(
          GROUP,
          `driver floor for a read+write, ${level}`,
          floor,
          ratioOf(floor, cr),
          'connect-redis get+set',
          undefined,
          ' (ioredis HGETALL, msgpack decode, HSET: no cookie check, no expiry)',
        ),
        ratioRow(
          GROUP,
          `iron-session unseal+seal, ${level}`,
          iron,
          ratioOf(iron, base),
          'HGETALL + HMAC',
          undefined,
          ' (stateless: CPU only)',
        ),
      );
    }
    return rows;
  } finally {
    await nodeRedis.quit();
  }
}
