'use client';

import { useState } from 'react';

export function SetupForm({ token }: { token: string }) {
  const [error, setError] = useState<string | null>(null);
  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const res = await fetch('/api/v1/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, email: form.get('email'), password: form.get('password') }),
    });
    if (res.ok) window.location.assign('/sign-in');
    else setError(((await res.json().catch(() => null)) as { detail?: string } | null)?.detail ?? 'Setup failed');
  }
  return (
    <form className="stack" onSubmit={onSubmit}>
      <label>Email<input name="email" type="email" required /></label>
      <label>Password (12+ characters)<input name="password" type="password" minLength={12} required /></label>
      {error && <p className="error" role="alert">{error}</p>}
      <button type="submit">Create admin</button>
    </form>
  );
}
