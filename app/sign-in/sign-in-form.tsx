'use client';

import { useState } from 'react';
import { safeNext } from '@/lib/http/safe-next.ts';

export function SignInForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const form = new FormData(e.currentTarget);
    const res = await fetch('/api/v1/auth/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: form.get('email'), password: form.get('password') }),
    }).catch(() => null);
    setBusy(false);
    if (res?.ok) {
      // Checked again here: the prop is the page's, but this is where the browser actually goes.
      window.location.assign(safeNext(next));
      return;
    }
    const body = (await res?.json().catch(() => null)) as { detail?: string } | null;
    setError(res?.status === 429 ? (body?.detail ?? 'Too many attempts. Wait and try again.') : 'Email or password is wrong, or the account is locked.');
  }

  return (
    <form className="stack" onSubmit={onSubmit}>
      <label>
        Email
        <input name="email" type="email" autoComplete="username" required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && <p className="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  );
}
