'use client';

import { api } from './api.ts';

export function SignOutButton() {
  return (
    <button
      className="secondary"
      type="button"
      onClick={async () => {
        await api('POST', '/api/v1/auth/sign-out').catch(() => {});
        window.location.assign('/sign-in');
      }}
    >
      Sign out
    </button>
  );
}
