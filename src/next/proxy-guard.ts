/**
 * The guard for `proxy.ts`, which Next.js 16 runs on Node. It does the full check, the same one
 * `getSession()` would do: the cookie's seal, and then the store, so a session destroyed on
 * another device or expired server-side is turned away here rather than deep in a page.
 *
 * @packageDocumentation
 */

import type { SessionManager } from '../core/session-manager.ts';
import { createGuard, type Guard, type GuardOptions } from './guard-response.ts';

/**
 * A guard that lets a request through (or redirects it) according to whether the store holds a
 * live session for its cookie. A cookie that is tampered, expired, or names a session the store
 * does not know is cleared. A live session's "remember me" cookie due for renewal is renewed,
 * as any request that can set cookies does, so pages rendered behind the guard keep it too.
 */
export function createProxyGuard<T extends object, F extends object>(
  manager: SessionManager<T, F>,
  options: GuardOptions = {},
): Guard {
  return createGuard(manager.config.cookie, options, (cookieValue, renew) =>
    manager.open(cookieValue, { onCookie: renew }).exists(),
  );
}
