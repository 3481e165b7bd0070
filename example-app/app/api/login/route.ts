import { ApiError } from '@/lib/api-errors';
import { apiRoute } from '@/lib/api-route';
import { readJsonObject } from '@/lib/json-body';
import { signInWrite, USERNAME_RULE, userIdFor, validUsername } from '@/lib/sign-in';

/**
 * `{ "username": string }`: signs in under a new session id, keeping the session's data. The
 * session is bound to the user, so "sign out everywhere" reaches API clients too. It writes no
 * `device`: an API session holds `userId`, `username` and what its client wrote, nothing more.
 */
export const POST = apiRoute(async (request, session) => {
  const body = await readJsonObject(request);
  const username = validUsername(body.username);
  if (username === undefined) throw new ApiError(400, `Invalid "username". ${USERNAME_RULE}`);
  await session.regenerate(signInWrite(username));
  return Response.json({ userId: userIdFor(username) });
});
