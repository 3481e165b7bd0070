import { createEdgeGuard } from 'ruts/next/edge';
import { cookieOptions, sessionSecret } from './lib/session-options';

/**
 * Keeps visitors without a validly sealed session cookie off the account pages, on the edge
 * runtime: it checks the seal only, never the store. The pages make the final call (a signed-out
 * session still has a well-sealed cookie), through `requireUser`.
 */
export const middleware = createEdgeGuard({
  secret: sessionSecret,
  cookie: cookieOptions,
  redirectTo: '/login',
});

export const config = {
  matcher: ['/dashboard/:path*', '/cart/:path*', '/session/:path*'],
};
