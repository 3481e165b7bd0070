import { Redis } from 'ioredis';
import { cookies } from 'next/headers';
import { LIMIT_COOKIE, LIMIT_PREFIX } from '@/lib/limit';

/** Never prerendered: measured per request like the other routes. */
export const dynamic = 'force-dynamic';

// Connects on the first request, so `next build`, which loads this module, opens no connection.
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });

let key: Promise<CryptoKey> | undefined;
function hmacKey(): Promise<CryptoKey> {
  const secret = process.env.SESSION_SECRET;
  if (!secret) throw new Error('The HTTP bench app needs SESSION_SECRET.');
  key ??= crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  return key;
}

/**
 * The practical limit of a server-side session, as the benchmarks define it: an id signed with
 * HMAC-SHA256, checked with one Web Crypto verify, then one `HGETALL` of a plain hash. No
 * expiry, no rotation, no codec: the least a server-side session can do.
 */
export async function GET(): Promise<Response> {
  const value = (await cookies()).get(LIMIT_COOKIE)?.value ?? '';
  const dot = value.lastIndexOf('.');
  const id = value.slice(0, dot);
  const signature = Buffer.from(value.slice(dot + 1), 'base64url');
  const ok =
    dot > 0 &&
    (await crypto.subtle.verify('HMAC', await hmacKey(), signature, new TextEncoder().encode(id)));
  if (!ok) return Response.json({ fields: {} });
  return Response.json({ fields: await redis.hgetall(`${LIMIT_PREFIX}${id}`) });
}
