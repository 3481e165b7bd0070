/** Settings shared by the build, the servers and the tests of one e2e run. */

/** The session secret of every server in the run (the build and middleware use it too). */
export const TEST_SESSION_SECRET = 'e2e-only-session-secret-0123456789-abcdefghij';

/** Seconds the `recentlyViewed` field lives, short enough for a test to watch it expire. */
export const RECENTLY_VIEWED_TTL_SECONDS = 3;

/** The URLs of the real servers the "redis-postgres" project runs against. */
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** Variables every build and server of the run gets, whatever its stores. */
export const COMMON_ENV: Record<string, string> = {
  SESSION_SECRET: TEST_SESSION_SECRET,
  RECENTLY_VIEWED_TTL: String(RECENTLY_VIEWED_TTL_SECONDS),
};
