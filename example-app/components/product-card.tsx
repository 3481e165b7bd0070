import Link from 'next/link';
import { viewProduct } from '@/app/products/actions';
import { formatPrice, type Product } from '@/lib/catalog';
import { ProductArt } from './product-art';

/** A product in the home grid. "View details" records the view in the session. */
export function ProductCard({ product }: { product: Product }) {
  return (
    <article className="card product-card">
      <ProductArt product={product} />
      <div className="product-card-body">
        <p className="eyebrow">{product.category}</p>
        <h3>
          <Link href={`/products/${product.id}`}>{product.name}</Link>
        </h3>
        <p className="muted">{product.description}</p>
        <div className="product-card-footer">
          <span className="price">{formatPrice(product.price)}</span>
          <form action={viewProduct}>
            <input type="hidden" name="productId" value={product.id} />
            <button type="submit" className="button button-secondary">
              View details
            </button>
          </form>
        </div>
      </div>
    </article>
  );
}
