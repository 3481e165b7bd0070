import { FlashMessages } from '@/components/flash-messages';
import { ProductCard } from '@/components/product-card';
import { products } from '@/lib/catalog';
import { getSession } from '@/lib/session';

export default async function HomePage() {
  const session = await getSession();
  const [notice, error] = await Promise.all([
    session.takeFlash('notice'),
    session.takeFlash('error'),
  ]);
  return (
    <>
      <FlashMessages notice={notice} error={error} />
      <section className="hero">
        <div>
          <p className="eyebrow">Small-batch hiking gear</p>
          <h1>Kit for the long way round.</h1>
          <p>
            Six things we carry on every trail, and nothing we would not. Light enough for a day on
            the ridge, tough enough for the week after.
          </p>
        </div>
        <ul className="card hero-points">
          <li>Free returns on anything that never left the trailhead</li>
          <li>Every item tested on our own weekend hikes</li>
          <li>Your cart is kept on our server, not in your browser</li>
        </ul>
      </section>
      <section aria-labelledby="catalogue">
        <div className="section-title">
          <h2 id="catalogue">The catalogue</h2>
          <span className="muted small">{products.length} products</span>
        </div>
        <div className="product-grid">
          {products.map((product) => (
            <ProductCard key={product.id} product={product} />
          ))}
        </div>
      </section>
    </>
  );
}
