import type { Product } from '@/lib/catalog';

/** The picture of a product: its colour, a ridge line and its initials. No images to load. */
export function ProductArt({
  product,
  size = 'card',
}: {
  product: Product;
  size?: 'card' | 'large';
}) {
  const initials = product.name
    .split(' ')
    .slice(0, 2)
    .map((word) => word[0])
    .join('');
  return (
    <div className={`product-art product-art-${size}`} style={{ backgroundColor: product.color }}>
      <svg viewBox="0 0 200 100" preserveAspectRatio="none" aria-hidden="true">
        <path d="M0 100 L45 38 L70 62 L110 18 L150 70 L175 48 L200 72 L200 100 Z" />
      </svg>
      <span className="product-initials" aria-hidden="true">
        {initials}
      </span>
    </div>
  );
}
