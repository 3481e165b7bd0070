/**
 * Runs once when the server starts. Loading the session options checks `SESSION_SECRET` now,
 * so a production server without one fails at startup rather than on its first request.
 */
export async function register(): Promise<void> {
  await import('./lib/session-options');
}
