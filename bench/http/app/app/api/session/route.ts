import { sessions } from '@/lib/session';

/** The example app's GET /api/session: every field of the session, `{}` without one. */
export const GET = sessions.route(async (_request, session) =>
  Response.json({ fields: await session.getAll() }),
);
