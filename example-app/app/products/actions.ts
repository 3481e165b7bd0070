'use server';

import { findProduct } from '@/lib/catalog';
import { recordView } from '@/lib/recently-viewed';
import { refreshAndRedirect } from '@/lib/refresh-redirect';
import { getSession } from '@/lib/session';

/** The "View details" button of the home grid: remembers the view, then opens the product. */
export async function viewProduct(form: FormData): Promise<void> {
  const product = findProduct(String(form.get('productId')));
  if (!product) refreshAndRedirect('/');
  await recordView(await getSession(), product.id);
  refreshAndRedirect(`/products/${product.id}`);
}
