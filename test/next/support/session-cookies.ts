import type { OutgoingCookie } from '../../../src/core/cookie-options.ts';
import type { SessionManager } from '../../../src/core/session-manager.ts';

/** Creates a session holding `data` and returns the cookie value a browser would carry. */
export async function liveSessionCookie(
  manager: SessionManager<Record<string, unknown>, Record<string, unknown>>,
  data: Record<string, unknown> = { userId: 'u1' },
): Promise<string> {
  let cookie: OutgoingCookie | undefined;
  const session = manager.open(undefined, { onCookie: (c) => (cookie = c) });
  for (const [key, value] of Object.entries(data)) await session.set(key, value);
  if (!cookie) throw new Error('the session set no cookie');
  return cookie.value;
}

/** The same cookie with one character of its seal changed. */
export function tamper(value: string): string {
  const at = Math.floor(value.length / 2);
  return value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
}
