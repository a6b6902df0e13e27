import type { Metadata } from 'next';
import { oidcConfig } from '@/lib/auth/oidc.ts';
import { safeNext } from '@/lib/http/safe-next.ts';
import { SignInForm } from './sign-in-form.tsx';

export const metadata: Metadata = { title: 'Sign in' };

function ssoConfigured(): boolean {
  try {
    return oidcConfig() !== null;
  } catch {
    return false; // misconfigured: the start route answers with the reason; keep password sign-in usable
  }
}

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string; error?: string }> }) {
  const { next, error } = await searchParams;
  // Only same-origin paths: an open redirect after sign-in is a phishing aid (lib/http/safe-next.ts).
  const target = safeNext(next);
  const sso = ssoConfigured();
  return (
    <div className="center">
      <div className="card">
        <h1>Holdfast</h1>
        <p className="muted" style={{ marginTop: 0 }}>Sign in to govern your machine tokens.</p>
        {error === 'sso' && (
          <p className="error" role="alert">
            Single sign-on did not succeed, or your account has no access to Holdfast. Ask an administrator.
          </p>
        )}
        {sso && (
          <>
            <a className="button sso" href={`/api/v1/auth/oidc/start?next=${encodeURIComponent(target)}`}>
              Sign in with SSO
            </a>
            <p className="or muted">or with a password</p>
          </>
        )}
        <SignInForm next={target} />
      </div>
    </div>
  );
}
