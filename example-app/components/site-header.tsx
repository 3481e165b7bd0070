import Link from 'next/link';
import { signOut } from '@/app/login/actions';

/**
 * The header of every page: the shop's name, the navigation and who is signed in. Links to
 * pages that take flash messages are not prefetched, so a prefetch never eats a message.
 */
export function SiteHeader({ username, cartCount }: { username?: string; cartCount: number }) {
  return (
    <header className="site-header">
      <div className="container header-inner">
        <Link href="/" prefetch={false} className="brand">
          <svg viewBox="0 0 32 24" aria-hidden="true" className="brand-mark">
            <path d="M1 23 L11 6 L16 13 L21 3 L31 23 Z" />
          </svg>
          Ruts Outfitters
        </Link>
        <nav aria-label="Main" className="main-nav">
          <Link href="/" prefetch={false}>
            Shop
          </Link>
          <Link href="/cart" prefetch={false}>
            Cart{' '}
            <span className="badge">
              {cartCount}
              <span className="visually-hidden"> items</span>
            </span>
          </Link>
          <Link href="/dashboard" prefetch={false}>
            Dashboard
          </Link>
          <Link href="/session" prefetch={false}>
            Session
          </Link>
        </nav>
        <div className="account">
          {username ? (
            <>
              <span className="signed-in">
                Signed in as <strong>{username}</strong>
              </span>
              <form action={signOut}>
                <button type="submit" className="button button-ghost">
                  Sign out
                </button>
              </form>
            </>
          ) : (
            <Link href="/login" className="button button-primary">
              Sign in
            </Link>
          )}
        </div>
      </div>
    </header>
  );
}
