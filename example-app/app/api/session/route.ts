import { errorResponse } from '@/lib/api-errors';
import { apiRoute } from '@/lib/api-route';

/** Every field of the session, `{}` without one. Reads only, so it never sets the cookie. */
export const GET = apiRoute(async (_request, session) =>
  Response.json({ fields: await session.getAll() }),
);

/** A write without a key in the path: the key is empty. */
function missingKey(): Response {
  return errorResponse(400, 'The key is empty. Name it in the path: /api/session/<key>.');
}

export const PUT = missingKey;
export const DELETE = missingKey;
