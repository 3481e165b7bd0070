import type { NextRequest } from 'next/server';
import { createEdgeGuard } from 'ruts/next/edge';
import { cookieOptions, sessionSecret } from './lib/session-options';
import { undecodablePathResponse } from './lib/undecodable-path';

/**
 * Keeps visitors without a validly sealed session cookie off the account pages, on the edge
 * runtime: it checks the seal only, never the store. The pages make the final call (a signed-out
 * session still has a well-sealed cookie), through `requireUser`.
 */
const guard = createEdgeGuard({
  secret: sessionSecret,
  cookie: cookieOptions,
  redirectTo: '/login',
});

/** The guard for the account pages; API paths with a `%` are only checked for their encoding. */
export async function middleware(request: NextRequest): Promise<Response | undefined> {
  const { pathname } = request.nextUrl;
  if (pathname.startsWith('/api/')) return undecodablePathResponse(pathname);
  return guard(request);
}

export const config = {
  // The API entry matches only paths holding a `%`, so ordinary API calls never run middleware.
  matcher: ['/dashboard/:path*', '/cart/:path*', '/session/:path*', '/api/session/:key(.*%.*)'],
};
