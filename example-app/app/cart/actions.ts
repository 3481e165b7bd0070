'use server';

import { cartKey } from '@/lib/cart';
import { findProduct } from '@/lib/catalog';
import { recordView } from '@/lib/recently-viewed';
import { refreshAndRedirect } from '@/lib/refresh-redirect';
import { getSession } from '@/lib/session';

/**
 * Each product is its own session field (`cart:<id>`), so these actions write one field each:
 * two tabs changing different products never undo each other.
 */

/** The "Add to cart" button of a product page. */
export async function addToCart(form: FormData): Promise<void> {
  const product = findProduct(String(form.get('productId')));
  const session = await getSession();
  if (!product) {
    await session.flash('error', 'That product is not in our catalogue.');
    refreshAndRedirect('/');
  }
  const key = cartKey(product.id);
  await session.set(key, ((await session.get(key)) ?? 0) + 1);
  await recordView(session, product.id);
  await session.flash('notice', `Added ${product.name} to your cart.`);
  refreshAndRedirect('/cart');
}

/** The + / − / Remove buttons of a cart line; the pressed button's value says which. */
export async function changeQuantity(form: FormData): Promise<void> {
  const product = findProduct(String(form.get('productId')));
  const session = await getSession();
  if (!product) {
    await session.flash('error', 'That product is not in our catalogue.');
    refreshAndRedirect('/cart');
  }
  const key = cartKey(product.id);
  const quantity = (await session.get(key)) ?? 0;
  const change = form.get('change');
  if (change === 'increase') {
    await session.set(key, quantity + 1);
    await session.flash('notice', `Added ${product.name} to your cart.`);
  } else if (change === 'decrease' && quantity > 1) {
    await session.set(key, quantity - 1);
    await session.flash('notice', `Took one ${product.name} out of your cart.`);
  } else if (change === 'decrease' || change === 'remove') {
    await session.remove(key);
    await session.flash('notice', `Removed ${product.name} from your cart.`);
  }
  refreshAndRedirect('/cart');
}
