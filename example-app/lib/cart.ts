import { findProduct, type Product, products } from './catalog';
import type { AppSession } from './session';

/** The session field that holds one product's quantity. */
export function cartKey(productId: string): `cart:${string}` {
  return `cart:${productId}`;
}

export interface CartLine {
  product: Product;
  quantity: number;
  /** In cents. */
  subtotal: number;
}

export interface Cart {
  lines: CartLine[];
  /** How many items, counting quantities. */
  count: number;
  /** In cents. */
  total: number;
}

/** The cart held in a session's fields, in catalogue order. */
export function cartFrom(fields: Partial<AppSession>): Cart {
  const lines: CartLine[] = [];
  for (const product of products) {
    const quantity = fields[cartKey(product.id)];
    if (typeof quantity === 'number' && quantity > 0) {
      lines.push({ product, quantity, subtotal: quantity * product.price });
    }
  }
  return {
    lines,
    count: lines.reduce((sum, line) => sum + line.quantity, 0),
    total: lines.reduce((sum, line) => sum + line.subtotal, 0),
  };
}

/** Products in the order of the ids given, skipping ids the catalogue does not have. */
export function productsByIds(ids: readonly string[] | undefined): Product[] {
  return (ids ?? []).flatMap((id) => findProduct(id) ?? []);
}
