import { apiRoute } from '@/lib/api-route';

/** Deletes the session from the store and clears the cookie. */
export const POST = apiRoute(async (_request, session) => {
  await session.destroy();
  return Response.json({ ok: true });
});
