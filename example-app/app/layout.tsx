import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { SiteHeader } from '@/components/site-header';
import { cartFrom } from '@/lib/cart';
import { getSession } from '@/lib/session';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Ruts Outfitters', template: '%s · Ruts Outfitters' },
  description: 'Small-batch hiking gear. A demo shop for ruts, server-side sessions for Next.js.',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const fields = await (await getSession()).getAll();
  return (
    <html lang="en">
      <body>
        <SiteHeader username={fields.username} cartCount={cartFrom(fields).count} />
        <main className="container page">{children}</main>
        <footer className="site-footer">
          <div className="container">
            Ruts Outfitters is a demo shop and nothing is for sale. It keeps your session on the
            server with ruts, field by field; the cookie holds only a sealed id.{' '}
            <Link href="/session" prefetch={false}>
              See what your session holds
            </Link>
            .
          </div>
        </footer>
      </body>
    </html>
  );
}
