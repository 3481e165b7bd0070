import type { Metadata } from 'next';
import Link from 'next/link';
import { Moment } from '@/components/moment';
import { getSession } from '@/lib/session';

export const metadata: Metadata = { title: 'Your session' };

/** Everything the store holds for this session, as the session handle reports it. */
export default async function SessionPage() {
  const session = await getSession();
  const [info, fields] = await Promise.all([session.info(), session.getAll()]);
  const now = Date.now();

  if (!info) {
    return (
      <>
        <h1>Your session</h1>
        <div className="card panel empty">
          <p>No session yet.</p>
          <p className="small">
            One starts when you view a product, fill your cart or <Link href="/login">sign in</Link>
            .
          </p>
        </div>
      </>
    );
  }

  const entries = Object.entries(fields);
  return (
    <>
      <h1>Your session</h1>
      <p className="muted">
        The cookie in your browser holds only a sealed session id. This is what the server keeps
        under it, field by field, each with its own expiry.
      </p>
      <dl className="session-meta">
        <div className="card stat">
          <dt>Created</dt>
          <dd className="small" data-testid="session-created">
            <Moment at={info.createdAt} now={now} />
          </dd>
        </div>
        <div className="card stat">
          <dt>Expires</dt>
          <dd className="small" data-testid="session-expires">
            {info.expiresAt ? <Moment at={info.expiresAt} now={now} /> : 'never'}
          </dd>
        </div>
      </dl>
      <div className="card">
        {entries.length === 0 ? (
          <p className="empty">The session holds no fields.</p>
        ) : (
          <table className="table fields">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Value (JSON)</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {entries.map(([name, value]) => {
                const expiresAt = info.fields[name]?.expiresAt;
                return (
                  <tr key={name} data-field={name}>
                    <td>
                      <code>{name}</code>
                    </td>
                    <td>
                      <code>{JSON.stringify(value)}</code>
                    </td>
                    <td>
                      {expiresAt ? (
                        <Moment at={expiresAt} now={now} />
                      ) : (
                        <span className="muted">with the session</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
