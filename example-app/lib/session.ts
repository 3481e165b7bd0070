import { MemoryStore } from 'ruts';
import { createSessions } from 'ruts/next';

/** What this app keeps in a session. `getSession()` is typed by it. */
export interface AppSession {
  visits: number;
  lastVisit: string;
}

export interface AppFlash {
  notice: string;
}

function sessionSecret(): string {
  const secret = process.env.SESSION_SECRET;
  if (secret) return secret;
  if (process.env.NODE_ENV === 'production') {
    throw new Error('Set SESSION_SECRET (at least 32 characters) before running in production.');
  }
  // Development only: a fixed secret keeps sessions valid across dev-server reloads.
  return 'development-only-secret-change-me-0123456789';
}

// One store per server process; globalThis keeps it across dev-server module reloads.
const globalStore = globalThis as { rutsExampleStore?: MemoryStore };
globalStore.rutsExampleStore ??= new MemoryStore();
const store = globalStore.rutsExampleStore;

export const sessions = createSessions<AppSession, AppFlash>({
  secret: sessionSecret(),
  store,
  idleTimeout: 60 * 60 * 24,
});

export const { getSession } = sessions;
