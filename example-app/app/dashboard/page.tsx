import type { Metadata } from 'next';
import Link from 'next/link';
import { FlashMessages } from '@/components/flash-messages';
import { cartFrom } from '@/lib/cart';
import { formatPrice } from '@/lib/catalog';
import { requireUser } from '@/lib/current-user';

export const metadata: Metadata = { title: 'Dashboard' };

export default async function DashboardPage() {
  const { session, username, userId } = await requireUser('/dashboard');
  const [notice, fields] = await Promise.all([session.takeFlash('notice'), session.getAll()]);
  const cart = cartFrom(fields);
  return (
    <>
      <FlashMessages notice={notice} />
      <h1>{`Hello, ${username}`}</h1>
      <p className="muted">
        Your account id is <code>{userId}</code>. Everything below is read from your session on the
        server.
      </p>
      <dl className="stats">
        <div className="card stat">
          <dt>Items in cart</dt>
          <dd data-testid="cart-count">{cart.count}</dd>
        </div>
        <div className="card stat">
          <dt>Cart total</dt>
          <dd data-testid="cart-total">{formatPrice(cart.total)}</dd>
        </div>
        <div className="card stat">
          <dt>Products in cart</dt>
          <dd>{cart.lines.length}</dd>
        </div>
      </dl>
      <div className="actions-row">
        <Link href="/cart" prefetch={false} className="button button-primary">
          Go to your cart
        </Link>
        <Link href="/dashboard/sessions" prefetch={false} className="button button-secondary">
          Your sessions
        </Link>
        <Link href="/session" prefetch={false} className="button button-secondary">
          Inspect your session
        </Link>
        <Link href="/" prefetch={false} className="button button-secondary">
          Keep shopping
        </Link>
      </div>
    </>
  );
}
