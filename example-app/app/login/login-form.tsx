'use client';

import { useActionState } from 'react';
import { type SignInState, signIn } from './actions';

/** The sign-in form. It works before JavaScript loads too: the action re-renders the page. */
export function LoginForm({ next }: { next?: string }) {
  const [state, formAction, pending] = useActionState<SignInState, FormData>(signIn, {});
  return (
    <form action={formAction}>
      {next ? <input type="hidden" name="next" value={next} /> : null}
      <div>
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          type="text"
          autoComplete="username"
          defaultValue={state.username}
          aria-invalid={state.error ? true : undefined}
          aria-describedby={state.error ? 'username-error' : undefined}
        />
        {state.error ? (
          <p id="username-error" className="field-error" role="alert">
            {state.error}
          </p>
        ) : null}
      </div>
      <label className="checkbox">
        <input type="checkbox" name="remember" />
        Remember me for 30 days
      </label>
      <button type="submit" className="button button-primary" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
