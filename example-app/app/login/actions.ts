'use server';

import { headers } from 'next/headers';
import { describeDevice } from '@/lib/device';
import { refreshAndRedirect } from '@/lib/refresh-redirect';
import { getSession } from '@/lib/session';
import { safeReturnPath, signInWrite, USERNAME_RULE, validUsername } from '@/lib/sign-in';

/** What the sign-in form shows after a failed attempt. */
export interface SignInState {
  error?: string;
  /** What was typed, so the form keeps it. */
  username?: string;
}

/**
 * Signs in by username alone (this is a session demo, not an auth system). The session moves
 * to a new id in the same step that stores the user and binds the session to them, against
 * session fixation; the cart and other fields come along. "Remember me" keeps the browser
 * signed in for thirty days after its last visit; without it the cookie ends with the browser.
 */
export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const typed = String(form.get('username') ?? '').trim();
  const username = validUsername(typed);
  if (username === undefined) {
    return { error: typed === '' ? 'Enter a username.' : USERNAME_RULE, username: typed };
  }
  const device = describeDevice((await headers()).get('user-agent'));
  const session = await getSession();
  const remember = form.get('remember') === 'on';
  await session.regenerate(signInWrite(username, device, remember));
  await session.flash('notice', `Welcome back, ${username}.`);
  refreshAndRedirect(safeReturnPath(form.get('next')) ?? '/dashboard');
}

/** Deletes the session and its cookie; a fresh session carries the goodbye message. */
export async function signOut(): Promise<void> {
  const session = await getSession();
  await session.destroy();
  await session.flash('notice', 'You have signed out.');
  refreshAndRedirect('/');
}
