import type { Metadata } from 'next';
import { SignInForm } from './sign-in-form.tsx';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  // Only same-site paths: an open redirect after sign-in is a phishing aid.
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  return (
    <div className="center">
      <div className="card">
        <h1>Holdfast</h1>
        <p className="muted" style={{ marginTop: 0 }}>Sign in to govern your machine tokens.</p>
        <SignInForm next={target} />
      </div>
    </div>
  );
}
