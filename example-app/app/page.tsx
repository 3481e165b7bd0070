import { getSession } from '@/lib/session';
import { countVisit, forget } from './actions';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const session = await getSession();
  const [data, notice, info] = await Promise.all([
    session.getAll(),
    session.takeFlash('notice'),
    session.info(),
  ]);

  return (
    <main>
      <h1>ruts</h1>
      <p>
        This page reads its session in a Server Component. The buttons are Server Actions that write
        to it field by field; the cookie only carries a sealed id.
      </p>
      {notice ? <p role="status">{notice}</p> : null}
      <dl>
        <dt>Visits counted</dt>
        <dd data-testid="visits">{data.visits ?? 0}</dd>
        <dt>Last visit</dt>
        <dd>{data.lastVisit ?? 'never'}</dd>
        <dt>Session expires</dt>
        <dd>{info?.expiresAt?.toISOString() ?? 'no session yet'}</dd>
      </dl>
      <form action={countVisit}>
        <button type="submit">Count a visit</button>
      </form>
      <form action={forget}>
        <button type="submit">Forget me</button>
      </form>
    </main>
  );
}
