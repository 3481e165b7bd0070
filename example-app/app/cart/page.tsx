import type { Metadata } from 'next';
import Link from 'next/link';
import { FlashMessages } from '@/components/flash-messages';
import { cartFrom, productsByIds } from '@/lib/cart';
import { formatPrice } from '@/lib/catalog';
import { requireUser } from '@/lib/current-user';
import { changeQuantity } from './actions';

export const metadata: Metadata = { title: 'Your cart' };

export default async function CartPage() {
  const { session } = await requireUser('/cart');
  const [notice, error, fields, info] = await Promise.all([
    session.takeFlash('notice'),
    session.takeFlash('error'),
    session.getAll(),
    session.info(),
  ]);
  const cart = cartFrom(fields);
  const recent = productsByIds(fields.recentlyViewed);
  const recentExpiry = info?.fields.recentlyViewed?.expiresAt;
  const secondsLeft = recentExpiry
    ? Math.max(0, Math.ceil((recentExpiry.getTime() - Date.now()) / 1000))
    : undefined;

  return (
    <>
      <FlashMessages notice={notice} error={error} />
      <h1>Your cart</h1>
      <div className="cart-layout">
        <div className="card">
          {cart.lines.length === 0 ? (
            <div className="empty">
              <p>Your cart is empty.</p>
              <Link href="/" prefetch={false} className="button button-secondary">
                Browse the catalogue
              </Link>
            </div>
          ) : (
            <table className="table cart-lines">
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col">Quantity</th>
                  <th scope="col" className="number">
                    Subtotal
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Remove</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {cart.lines.map(({ product, quantity, subtotal }) => (
                  <tr key={product.id} data-product={product.id}>
                    <td>
                      <Link href={`/products/${product.id}`}>{product.name}</Link>
                      <div className="muted small">{formatPrice(product.price)} each</div>
                    </td>
                    <td>
                      <form action={changeQuantity} className="quantity">
                        <input type="hidden" name="productId" value={product.id} />
                        <button
                          type="submit"
                          name="change"
                          value="decrease"
                          className="button button-icon"
                          aria-label={`One fewer ${product.name}`}
                        >
                          −
                        </button>
                        <output aria-label={`Quantity of ${product.name}`}>{quantity}</output>
                        <button
                          type="submit"
                          name="change"
                          value="increase"
                          className="button button-icon"
                          aria-label={`One more ${product.name}`}
                        >
                          +
                        </button>
                      </form>
                    </td>
                    <td className="number">{formatPrice(subtotal)}</td>
                    <td>
                      <form action={changeQuantity}>
                        <input type="hidden" name="productId" value={product.id} />
                        <button
                          type="submit"
                          name="change"
                          value="remove"
                          className="button-link"
                          aria-label={`Remove ${product.name}`}
                        >
                          Remove
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <aside>
          <div className="card panel summary">
            <h2>Summary</h2>
            <dl>
              <dt>Items</dt>
              <dd data-testid="cart-count">{cart.count}</dd>
            </dl>
            <dl>
              <dt>Total</dt>
              <dd data-testid="cart-total">{formatPrice(cart.total)}</dd>
            </dl>
            <p className="muted small">
              Each line is its own session field, so two tabs changing different products never undo
              each other.
            </p>
          </div>
          <div className="card panel recent-panel">
            <h2>Recently viewed</h2>
            {recent.length === 0 ? (
              <p className="muted small">
                Nothing yet. Products you open stay here for a couple of minutes.
              </p>
            ) : (
              <>
                <ul className="recent">
                  {recent.map((product) => (
                    <li key={product.id}>
                      <Link href={`/products/${product.id}`}>{product.name}</Link>
                    </li>
                  ))}
                </ul>
                {secondsLeft !== undefined ? (
                  <p className="muted small" data-testid="recently-viewed-ttl">
                    {`This list forgets itself in ${secondsLeft} s, unless you view another product.`}
                  </p>
                ) : null}
              </>
            )}
          </div>
        </aside>
      </div>
    </>
  );
}
