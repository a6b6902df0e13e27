import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { can } from '@/lib/auth/permissions.ts';
import { isHoldfastError } from '@/lib/errors.ts';
import { getCertificateDetail, type CertificateDetail } from '@/lib/services/estate/certificate-detail.ts';
import { requirePage } from '../../../_lib/session.ts';
import { Field, IdentityLink, Sev, when } from '../../_components/estate.tsx';
import { certificateRevocation, revocationOpen } from '@/lib/revocation/token-revocation-state.ts';
import { RevokeCertificateButton } from '../../tokens/_components/revoke-selection.tsx';

export const metadata: Metadata = { title: 'Certificate' };

export default async function CertificatePage({ params }: { params: Promise<{ id: string }> }) {
  const { db, principal } = await requirePage('read');
  const { id } = await params;
  let d: CertificateDetail;
  try {
    d = await getCertificateDetail(db, decodeURIComponent(id));
  } catch (e) {
    if (isHoldfastError(e) && e.code === 'not_found') notFound();
    throw e;
  }
  const c = d.certificate;
  // Holdfast marks a certificate revoked when asked to (its CRL publisher lists it); whether the
  // CA confirmed is the revocation leg's state: say "revocation pending/in progress/failed" until it did.
  const rev = await certificateRevocation(db, c.id);
  const shown = c.status === 'revoked' && rev && rev.state !== 'confirmed' ? (rev.state === 'failed' ? 'revocation failed' : rev.state === 'pending' ? 'revocation pending' : 'revocation in progress') : c.status;
  const active = d.findings.filter((f) => f.status !== 'resolved');
  const activeTokens = d.tokens.filter((t) => t.status === 'active').length;
  return (
    <>
      <p className="muted">Certificates / {c.x5tS256.slice(0, 12)}…</p>
      <h1>
        Certificate {d.identity ? <>of <IdentityLink id={d.identity.id} name={d.identity.name} /></> : <span className="muted">(no owner identity)</span>}{' '}
        {rev ? (
          <Link href={`/revocations/${rev.revocationId}`} title="The revocation and its legs">
            <span className="badge" data-testid="certificate-status" data-state={shown}>{shown}</span>
          </Link>
        ) : (
          <span className="badge" data-testid="certificate-status" data-state={shown}>{shown}</span>
        )}
      </h1>
      {rev && rev.state !== 'confirmed' ? (
        <p data-testid="revocation-truth" data-state={rev.state}>
          {revocationOpen(rev.state)
            ? `Revocation requested ${when(rev.requestedAt)}; its CA has not confirmed it yet (${rev.attempts} attempt${rev.attempts === 1 ? '' : 's'}${rev.lastError ? `, last error: ${rev.lastError}` : ''}).`
            : `Revocation failed: the CA did not confirm it after ${rev.attempts} attempt${rev.attempts === 1 ? '' : 's'} (${rev.lastError ?? 'no reason recorded'}); gateways that check the CA's own CRL still accept the certificate.`}{' '}
          <Link href={`/revocations/${rev.revocationId}`}>The revocation and its legs</Link>.
        </p>
      ) : null}
      {can(principal, 'revoke') && (c.status !== 'revoked' || rev?.state === 'failed') ? <p><RevokeCertificateButton certificateId={c.id} /></p> : null}

      <div className="grid2">
        <section className="panel">
          <h2>Certificate</h2>
          <table className="data kv">
            <tbody>
              <Field label="x5t#S256 (RFC 8705)"><span className="mono" style={{ wordBreak: 'break-all' }}>{c.x5tS256}</span></Field>
              <Field label="SHA-1"><span className="mono" style={{ wordBreak: 'break-all' }}>{c.sha1Hex ?? '—'}</span></Field>
              <Field label="Subject DN"><span className="mono">{c.subjectDn ?? '—'}</span></Field>
              <Field label="Issuer DN"><span className="mono">{c.issuerDn ?? '—'}</span></Field>
              <Field label="Serial"><span className="mono" style={{ wordBreak: 'break-all' }}>{c.serial ?? '—'}</span></Field>
              <Field label="CA">{c.caName ?? '—'}</Field>
              <Field label="Valid">{when(c.notBefore)} → {when(c.notAfter)}</Field>
              <Field label="Status">{shown}{c.revocationReason?.startsWith('crl') && !rev ? <span data-testid="crl-revocation">{` (listed on its CA's CRL: revoked ${c.revokedAt ? when(c.revokedAt) : 'at an unknown time'}, reason ${c.revocationReason.slice(c.revocationReason.indexOf(':') + 1)})`}</span> : c.revokedAt ? ` (revocation requested ${when(c.revokedAt)}${rev?.confirmedAt ? `, confirmed ${when(rev.confirmedAt)}` : ''})` : ''}</Field>
              <Field label="Owner identity">{d.identity ? <IdentityLink id={d.identity.id} name={d.identity.name} /> : '—'}</Field>
              <Field label="First recorded">{when(c.createdAt)}</Field>
              <Field label="Certificate">
                {c.pem ? (
                  <>
                    <a href={`data:application/x-pem-file;base64,${Buffer.from(c.pem).toString('base64')}`} download={`${c.x5tS256}.pem`} data-testid="certificate-pem-download">Download PEM</a>
                    <details>
                      <summary>Show PEM</summary>
                      <pre className="mono" data-testid="certificate-pem" style={{ fontSize: '0.75rem', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{c.pem}</pre>
                    </details>
                  </>
                ) : (
                  <span className="muted">not kept: no log line carried the whole certificate (only its fingerprints and names)</span>
                )}
              </Field>
            </tbody>
          </table>
        </section>
        <section className="panel" data-testid="certificate-findings">
          <h2>Findings ({active.length} open or acknowledged)</h2>
          {d.findings.length === 0 ? <p className="empty">No findings on this certificate.</p> : (
            <table className="data">
              <thead><tr><th>Severity</th><th>Finding</th><th>Status</th><th>Last seen</th></tr></thead>
              <tbody>
                {d.findings.map((f) => (
                  <tr key={f.id}>
                    <td><Sev s={f.severity} /></td>
                    <td>{f.tokenId ? <Link href={`/tokens/${f.tokenId}`}>{f.title}</Link> : f.title} <span className="muted mono">({f.rule})</span></td>
                    <td>{f.status}</td>
                    <td>{when(f.lastSeenAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section className="panel" data-testid="bound-tokens">
        <h2>Tokens bound to it ({d.tokensTruncated ? `first ${d.tokens.length}` : d.tokens.length}; {activeTokens} active)</h2>
        <p className="muted" style={{ fontSize: '0.85rem' }}>Tokens whose cnf x5t#S256 is this certificate’s. Revoking the certificate revokes every active one of them too.</p>
        {d.tokens.length === 0 ? <p className="empty">No token is bound to this certificate.</p> : (
          <table className="data">
            <thead><tr><th>Fingerprint</th><th>Identity</th><th>Binding</th><th>Issuer</th><th>Expires</th><th>Last seen</th><th>Status</th></tr></thead>
            <tbody>
              {d.tokens.map((t) => (
                <tr key={t.id}>
                  <td className="mono"><Link href={`/tokens/${t.id}`}>{t.fingerprint.slice(0, 12)}…</Link></td>
                  <td><IdentityLink id={t.identityId} name={t.identity} /></td>
                  <td><span className={`badge ${t.binding}`}>{t.binding}</span></td>
                  <td className="mono" style={{ fontSize: '0.75rem' }}>{t.issuer ?? '—'}</td>
                  <td>{when(t.expiresAt)}</td>
                  <td>{when(t.lastSeenAt)}</td>
                  <td>{t.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="panel" data-testid="certificate-events">
        <h2>Recent gateway events that presented it ({d.events.length})</h2>
        {d.events.length === 0 ? <p className="empty">No gateway has logged this certificate.</p> : (
          <table className="data">
            <thead><tr><th>When</th><th>Gateway</th><th>Request</th><th className="num">HTTP</th><th>Token</th><th>Verdict</th><th>Reason</th></tr></thead>
            <tbody>
              {d.events.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.occurredAt)}</td>
                  <td>{e.gateway ?? '—'}</td>
                  <td className="mono" style={{ fontSize: '0.75rem' }}>{e.method ?? ''} {e.url ?? ''}</td>
                  <td className="num">{e.httpStatus ?? '—'}</td>
                  <td className="mono">{e.tokenId ? <Link href={`/tokens/${e.tokenId}`}>{e.tokenId.slice(0, 8)}…</Link> : '—'}</td>
                  <td>{e.verdict}</td>
                  <td>{e.reason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
