import type { SessionRouteHandler } from 'ruts/next';
import { apiErrorResponse } from './api-errors';
import { type AppFlash, type AppSession, sessions } from './session';

/**
 * A JSON API Route Handler with the request's session. What it throws becomes a JSON error
 * response (see `api-errors.ts`); `sessions.route` marks responses that set the cookie private.
 */
export function apiRoute<C = unknown>(
  handler: SessionRouteHandler<AppSession, AppFlash, Request, C>,
): (request: Request, context: C) => Promise<Response> {
  return sessions.route<Request, C>(async (request, session, context) => {
    try {
      return await handler(request, session, context);
    } catch (error) {
      return apiErrorResponse(error);
    }
  });
}
