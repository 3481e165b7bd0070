import type { Metadata } from 'next';
import Link from 'next/link';
import { FlashMessages } from '@/components/flash-messages';
import { Moment } from '@/components/moment';
import { requireUser } from '@/lib/current-user';
import { sessions } from '@/lib/session';
import { signOutOtherSessions, signOutSession } from './actions';

export const metadata: Metadata = { title: 'Your sessions' };

/** How far "last active" may trail: reads extend a session at most once per `touchAfter`. */
const lagMinutes = Math.round(sessions.manager.config.touchAfterMs / 60_000);

/**
 * Every browser signed in as the user, from the store's owner index: one read for the list and
 * its `device` fields, not one per session. The current one is found by its handle.
 */
export default async function SessionsPage() {
  const { session, userId, username } = await requireUser('/dashboard/sessions');
  const [notice, error, info, listed] = await Promise.all([
    session.takeFlash('notice'),
    session.takeFlash('error'),
    session.info(),
    sessions.listSessions(userId, { fields: ['device'] }),
  ]);
  const now = Date.now();
  const currentHandle = info?.handle;
  const others = listed.filter((entry) => entry.handle !== currentHandle).length;

  return (
    <>
      <FlashMessages notice={notice} error={error} />
      <h1>Your sessions</h1>
      <p className="muted">
        Every browser signed in as <strong>{username}</strong>, most recently active first. Signing
        one out deletes its session on the server, so its next request finds itself signed out.
      </p>
      {info?.owner !== userId ? (
        // A session signed in before owners were recorded is not in the owner index.
        <p className="flash flash-notice" role="status">
          This browser signed in before sessions were listed here, so it is missing below.{' '}
          <Link href="/login?next=%2Fdashboard%2Fsessions">Sign in again</Link> to add it.
        </p>
      ) : null}
      <div className="card table-scroll">
        {listed.length === 0 ? (
          <p className="empty">No session is listed for your account.</p>
        ) : (
          <table className="table sessions">
            <caption className="visually-hidden">{`Sessions signed in as ${username}`}</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Started</th>
                <th scope="col">Last active</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Sign out</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {listed.map(({ handle, createdAt, lastActiveAt, expiresAt, fields }) => {
                const current = handle === currentHandle;
                const device = fields.device ?? 'Unknown device';
                return (
                  <tr key={handle} aria-current={current ? 'true' : undefined}>
                    <td>
                      <strong>{device}</strong>
                      {current ? <span className="tag">This browser</span> : null}
                    </td>
                    <td>
                      <Moment at={createdAt} now={now} />
                    </td>
                    <td>
                      {lastActiveAt ? (
                        <Moment at={lastActiveAt} now={now} />
                      ) : (
                        <span className="muted">unknown</span>
                      )}
                    </td>
                    <td>{expiresAt ? <Moment at={expiresAt} now={now} /> : 'never'}</td>
                    <td className="number">
                      {current ? null : (
                        <form action={signOutSession}>
                          <input type="hidden" name="handle" value={handle} />
                          <button type="submit" className="button-link">
                            Sign out<span className="visually-hidden">{` ${device}`}</span>
                          </button>
                        </form>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
      <p className="muted small">
        {`Last active is recorded when a session is written to or its expiry is extended, so it may be up to ${lagMinutes} min behind.`}
      </p>
      <div className="actions-row">
        {others > 0 ? (
          <form action={signOutOtherSessions}>
            <button type="submit" className="button button-danger">
              Sign out all other sessions
            </button>
          </form>
        ) : null}
        <Link href="/dashboard" prefetch={false} className="button button-secondary">
          Back to your dashboard
        </Link>
      </div>
    </>
  );
}
