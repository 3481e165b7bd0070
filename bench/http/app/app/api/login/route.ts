import { sessions } from '@/lib/session';

/** `{ "username": string }`: signs in under a new session id, as the example app's login. */
export const POST = sessions.route(async (request, session) => {
  const body = (await request.json()) as { username?: unknown };
  const username = typeof body.username === 'string' ? body.username : 'bench';
  const userId = `u_${username.toLowerCase()}`;
  await session.regenerate({ set: { userId, username } });
  return Response.json({ userId });
});
