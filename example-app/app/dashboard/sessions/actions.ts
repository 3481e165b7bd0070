'use server';

import { requireUser } from '@/lib/current-user';
import { refreshAndRedirect } from '@/lib/refresh-redirect';
import { sessions } from '@/lib/session';

/** Where these actions send the user back to. */
const PAGE = '/dashboard/sessions';

/**
 * The "Sign out" button of another session's row. The owner is the signed-in user, never the
 * form's, so a forged handle can only name one of the user's own sessions.
 */
export async function signOutSession(form: FormData): Promise<void> {
  const { session, userId } = await requireUser(PAGE);
  const handle = String(form.get('handle') ?? '');
  if (handle === (await session.info())?.handle) {
    // Revoking it here would leave the flash below no session to ride on.
    await session.flash('error', 'To sign out of this browser, use Sign out in the header.');
    refreshAndRedirect(PAGE);
  }
  const ended = await sessions.revokeSession(userId, handle);
  await session.flash(
    'notice',
    ended ? 'That session is signed out.' : 'That session had already ended.',
  );
  refreshAndRedirect(PAGE);
}

/** "Sign out all other sessions": every session of the user but this browser's. */
export async function signOutOtherSessions(): Promise<void> {
  const { session, userId } = await requireUser(PAGE);
  const ended = await sessions.revokeSessions(userId, { except: session });
  await session.flash(
    'notice',
    ended === 0
      ? 'No other session was signed in.'
      : `Signed out ${ended} other ${ended === 1 ? 'session' : 'sessions'}.`,
  );
  refreshAndRedirect(PAGE);
}
