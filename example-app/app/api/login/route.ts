import { ApiError } from '@/lib/api-errors';
import { apiRoute } from '@/lib/api-route';
import { readJsonObject } from '@/lib/json-body';
import { USERNAME_RULE, userIdFor, validUsername } from '@/lib/sign-in';

/** `{ "username": string }`: signs in under a new session id, keeping the session's data. */
export const POST = apiRoute(async (request, session) => {
  const body = await readJsonObject(request);
  const username = validUsername(body.username);
  if (username === undefined) throw new ApiError(400, `Invalid "username". ${USERNAME_RULE}`);
  const userId = userIdFor(username);
  await session.regenerate({ set: { userId, username } });
  return Response.json({ userId });
});
