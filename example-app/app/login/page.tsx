import type { Metadata } from 'next';
import { getSession } from '@/lib/session';
import { safeReturnPath } from '@/lib/sign-in';
import { LoginForm } from './login-form';

export const metadata: Metadata = { title: 'Sign in' };

interface LoginPageProps {
  searchParams: Promise<{ next?: string | string[] }>;
}

export default async function LoginPage({ searchParams }: LoginPageProps) {
  const next = safeReturnPath((await searchParams).next);
  const username = await (await getSession()).get('username');
  return (
    <div className="auth">
      <div className="card panel">
        <h1>Sign in</h1>
        {next ? (
          <p className="muted">Sign in to continue to {next}.</p>
        ) : (
          <p className="muted">Sign in to see your account and check out your cart.</p>
        )}
        {username ? (
          <p className="flash flash-notice">
            You are signed in as <strong>{username}</strong>. Signing in again switches user.
          </p>
        ) : null}
        <LoginForm next={next} />
        <p className="muted small">
          No password here: this shop is a demo of sessions, not of authentication. Any username
          signs you in.
        </p>
      </div>
    </div>
  );
}
