import { getIronSession } from 'iron-session';
import { cookies } from 'next/headers';
import { IRON_COOKIE, ironPassword } from '@/lib/session';

interface IronData {
  userId?: string;
  username?: string;
}

/** A stateless session: reads and unseals an iron-session cookie, and returns its data. */
export async function GET(): Promise<Response> {
  const session = await getIronSession<IronData>(await cookies(), {
    password: ironPassword(),
    cookieName: IRON_COOKIE,
  });
  return Response.json({ fields: { userId: session.userId, username: session.username } });
}
