import { coldSessions } from '@/lib/session';

/** GET /api/session with the seal cache off: each request pays for verifying its cookie. */
export const GET = coldSessions.route(async (_request, session) =>
  Response.json({ fields: await session.getAll() }),
);
