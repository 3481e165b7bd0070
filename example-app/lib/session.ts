import { createSessions } from 'ruts/next';
import { cookieOptions, sessionSecret } from './session-options';
import { sessionStore } from './store';

/** What the shop keeps in a session. `getSession()` is typed by it. */
export interface AppSession {
  userId: string;
  username: string;
  /** The browser signed in from, such as "Chrome on Linux", for "Your sessions". */
  device: string;
  /** The last five product ids viewed, newest first; expires on its own. */
  recentlyViewed: string[];
  /** One field per product in the cart, holding its quantity, so tabs never overwrite each other. */
  [cartLine: `cart:${string}`]: number;
}

export interface AppFlash {
  notice: string;
  error: string;
}

function maxValueBytes(): number {
  const raw = process.env.SESSION_MAX_VALUE_BYTES;
  if (raw === undefined || raw === '') return 4096;
  const bytes = Number(raw);
  if (!Number.isInteger(bytes) || bytes <= 0) {
    throw new Error(`SESSION_MAX_VALUE_BYTES must be a positive whole number (got "${raw}").`);
  }
  return bytes;
}

export const sessions = createSessions<AppSession, AppFlash>({
  secret: sessionSecret,
  cookie: cookieOptions,
  store: sessionStore(),
  maxValueBytes: maxValueBytes(),
});

export const { getSession } = sessions;
