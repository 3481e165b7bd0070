import { redirect } from 'next/navigation';
import { getSession } from './session';

/**
 * The signed-in user, or a redirect to the sign-in page. The edge guard only checks the
 * cookie's seal; a signed-out or destroyed session still has a well-sealed cookie, so each
 * protected page checks for a user itself.
 *
 * @param returnTo the path to come back to after signing in
 */
export async function requireUser(returnTo: string) {
  const session = await getSession();
  const [userId, username] = await Promise.all([session.get('userId'), session.get('username')]);
  if (!userId || !username) redirect(`/login?next=${encodeURIComponent(returnTo)}`);
  return { session, userId, username };
}
