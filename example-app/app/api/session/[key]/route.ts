import type { Session } from 'ruts/next';
import { ApiError } from '@/lib/api-errors';
import { apiRoute } from '@/lib/api-route';
import { readJsonObject } from '@/lib/json-body';

/** The longest field TTL the API accepts: a year, well within what every store can represent. */
const MAX_TTL_SECONDS = 365 * 24 * 60 * 60;

interface KeyContext {
  params: Promise<{ key: string }>;
}

/**
 * The API writes whatever keys its clients name, which the app's session type cannot know in
 * advance, so it uses the handle untyped. Keys are still checked by ruts (InvalidKeyError).
 */
function untyped(session: unknown): Session {
  return session as Session;
}

/**
 * The fields only signing in writes, after `regenerate()` gives the session a new id. A client
 * that could write them here would sign itself in, on an id it may have planted (session
 * fixation), so the API refuses them.
 */
const SIGN_IN_KEYS: ReadonlySet<string> = new Set(['userId', 'username']);

/** The key from the path, unless it is one of {@link SIGN_IN_KEYS}. */
async function writableKey({ params }: KeyContext): Promise<string> {
  const { key } = await params;
  if (SIGN_IN_KEYS.has(key)) {
    throw new ApiError(
      403,
      `"${key}" is written by signing in (POST /api/login), not by this API.`,
    );
  }
  return key;
}

/** `{ "value": any, "ttl"?: seconds }`: writes one field, creating the session if needed. */
export const PUT = apiRoute<KeyContext>(async (request, session, context) => {
  const key = await writableKey(context);
  const body = await readJsonObject(request);
  if (!('value' in body)) {
    throw new ApiError(400, 'The body needs a "value" (any JSON) to store under the key.');
  }
  const { value, ttl } = body;
  if (ttl !== undefined && (typeof ttl !== 'number' || !(ttl > 0 && ttl <= MAX_TTL_SECONDS))) {
    throw new ApiError(
      400,
      `"ttl" must be a positive number of seconds, at most ${MAX_TTL_SECONDS}.`,
    );
  }
  await untyped(session).set(key, value, ttl === undefined ? {} : { ttl });
  return Response.json({ ok: true });
});

/** Removes one field; `removed` says whether it was there. */
export const DELETE = apiRoute<KeyContext>(async (_request, session, context) => {
  const key = await writableKey(context);
  return Response.json({ removed: await untyped(session).remove(key) });
});
