import { createSessions } from 'ruts/next';
import { sessionStore } from './store';

const BUILD_PLACEHOLDER_SECRET = 'build-time-placeholder-secret-never-seals-a-real-cookie';

function secret(): string {
  const value = process.env.SESSION_SECRET;
  if (value) return value;
  if (process.env.NEXT_PHASE === 'phase-production-build') return BUILD_PLACEHOLDER_SECRET;
  throw new Error('The HTTP bench app needs SESSION_SECRET.');
}

export interface BenchSession {
  userId: string;
  username: string;
}

/** As the example app: secure cookies in production, the default cache and codec. */
export const sessions = createSessions<BenchSession>({
  secret: secret(),
  cookie: { secure: process.env.NODE_ENV === 'production' },
  store: sessionStore(),
});

/**
 * The same sessions with the seal cache off, for /api/session-cold: every request verifies its
 * cookie with crypto, as it would with more distinct cookies than the cache holds.
 */
export const coldSessions = createSessions<BenchSession>({
  secret: secret(),
  cookie: { secure: process.env.NODE_ENV === 'production' },
  store: sessionStore(),
  sealCacheSize: 0,
});

/** The iron-session cookie of /api/iron; the bench runner seals it with the same password. */
export const IRON_COOKIE = 'bench-iron';

export function ironPassword(): string {
  return process.env.IRON_PASSWORD || secret();
}
