import type { Metadata } from 'next';
import { can } from '@/lib/auth/permissions.ts';
import { listRevocations } from '@/lib/revocation/revocation-queries.ts';
import { requirePage } from '../../_lib/session.ts';
import { RevocationsLive } from './_components/revocations-live.tsx';

export const metadata: Metadata = { title: 'Revocations' };

export default async function RevocationsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { db, principal } = await requirePage('read');
  const sp = await searchParams;
  const initial = await listRevocations(db, { limit: 50 });
  return (
    <>
      <h1>Revocations</h1>
      <p className="muted">
        A revocation is <em>confirmed</em> only when every leg is: the authorization server's introspection answers <code>active: false</code>, the CA's CRL lists the
        certificate, or the receiver confirms. Legs that fail are retried with backoff; <em>partial</em> means some legs are confirmed and others are not (yet).
      </p>
      <RevocationsLive initial={initial} canRevoke={can(principal, 'revoke')} highlight={typeof sp.id === 'string' ? sp.id : undefined} />
    </>
  );
}
