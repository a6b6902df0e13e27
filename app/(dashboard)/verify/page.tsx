import type { Metadata } from 'next';
import { requirePage } from '../../_lib/session.ts';
import { VerifyForms } from './verify-forms.tsx';

export const metadata: Metadata = { title: 'Verify a request' };

export default async function VerifyPage() {
  await requirePage('read');
  return (
    <>
      <h1>Verify a request</h1>
      <p className="muted" style={{ marginTop: '-0.5rem' }}>
        Paste what a request presented and see every check: a DPoP proof against RFC 9449, or a client certificate against the token&apos;s
        binding (RFC 8705). Nothing is stored, and the access token is never shown back — only its SHA-256 fingerprint. Same checks as{' '}
        <code>holdfast verify dpop|mtls</code> and <code>POST /api/v1/verify/*</code>.
      </p>
      <VerifyForms />
    </>
  );
}
