import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { addToCart } from '@/app/cart/actions';
import { ProductArt } from '@/components/product-art';
import { cartKey } from '@/lib/cart';
import { findProduct, formatPrice } from '@/lib/catalog';
import { getSession } from '@/lib/session';

interface ProductPageProps {
  params: Promise<{ id: string }>;
}

export async function generateMetadata({ params }: ProductPageProps): Promise<Metadata> {
  const product = findProduct((await params).id);
  return { title: product?.name ?? 'Product not found' };
}

export default async function ProductPage({ params }: ProductPageProps) {
  const product = findProduct((await params).id);
  if (!product) notFound();
  const inCart = (await (await getSession()).get(cartKey(product.id))) ?? 0;
  return (
    <>
      <p className="breadcrumb">
        <Link href="/" prefetch={false}>
          Shop
        </Link>{' '}
        / {product.category}
      </p>
      <div className="product-detail">
        <ProductArt product={product} size="large" />
        <div>
          <p className="eyebrow">{product.category}</p>
          <h1>{product.name}</h1>
          <p className="price">{formatPrice(product.price)}</p>
          <p className="description">{product.description}</p>
          <form action={addToCart}>
            <input type="hidden" name="productId" value={product.id} />
            <button type="submit" className="button button-primary">
              Add to cart
            </button>
          </form>
          {inCart > 0 ? (
            <p className="in-cart">
              {inCart} in your{' '}
              <Link href="/cart" prefetch={false}>
                cart
              </Link>
              .
            </p>
          ) : null}
        </div>
      </div>
    </>
  );
}
