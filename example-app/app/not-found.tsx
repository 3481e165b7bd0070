import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="card panel empty">
      <h1>Off the trail</h1>
      <p>There is nothing at this address.</p>
      <Link href="/" className="button button-secondary">
        Back to the shop
      </Link>
    </div>
  );
}
