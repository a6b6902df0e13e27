import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { isHoldfastError } from '@/lib/errors.ts';
import { can } from '@/lib/auth/permissions.ts';
import { getIdentityDetail, type IdentityDetail } from '@/lib/services/estate/details.ts';
import { requirePage } from '../../../_lib/session.ts';
import { RevokeIdentityButton } from '../../tokens/_components/revoke-selection.tsx';
import { TokenStateBadge } from '../../tokens/_components/revoke-state.tsx';
import { Field, fmt, Sev, ttl, when } from '../../_components/estate.tsx';
import { FailuresByReasonChart } from '../../_components/overview-charts.tsx';

export const metadata: Metadata = { title: 'Identity' };

export default async function IdentityPage({ params }: { params: Promise<{ id: string }> }) {
  const { db, principal } = await requirePage('read');
  const { id } = await params;
  let d: IdentityDetail;
  try {
    d = await getIdentityDetail(db, decodeURIComponent(id));
  } catch (e) {
    if (isHoldfastError(e) && e.code === 'not_found') notFound();
    throw e;
  }
  const i = d.identity;
  const active = d.findings.filter((f) => f.status !== 'resolved');
  return (
    <>
      <p className="muted"><Link href="/identities">Identities</Link> / {i.name}</p>
      <h1><span className="mono">{i.name}</span> <span className="muted" style={{ fontSize: '0.9rem' }}>{i.kind} · {i.environment ?? 'no environment'} · {i.status}</span></h1>
      {can(principal, 'revoke') ? (
        <p>
          <RevokeIdentityButton
            tokenIds={(await db.prisma.token.findMany({ where: { identityId: i.id, status: 'active' }, select: { id: true }, take: 5000 })).map((t) => t.id)}
            certificateIds={(await db.prisma.certificate.findMany({ where: { identityId: i.id, status: 'active' }, select: { id: true }, take: 5000 })).map((c) => c.id)}
          />
        </p>
      ) : null}
      <div className="grid2">
        <section className="panel" data-testid="risk-score">
          <h2>Risk score: <span style={{ color: d.risk.score >= 50 ? 'var(--bad)' : 'inherit' }}>{d.risk.score}</span> / 100 ({d.risk.band})</h2>
          {d.risk.breakdown.length === 0 ? (
            <p className="empty">No open findings.</p>
          ) : (
            <table className="data">
              <thead><tr><th>Finding</th><th>Severity</th><th className="num">Weight</th><th className="num">Points</th></tr></thead>
              <tbody>
                {d.risk.breakdown.map((b) => (
                  <tr key={b.dedupeKey}>
                    <td>{b.ruleLabel}</td>
                    <td><Sev s={b.severity} /></td>
                    <td className="num">{b.weight}</td>
                    <td className="num">{b.contribution.toFixed(1)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted" style={{ fontSize: '0.8rem' }}>
            Open findings combine like independent probabilities: 100 · (1 − Π(1 − weight/100)); critical 60, high 30, medium 10, low 3.
            {d.risk.accepted ? ` ${d.risk.accepted} acknowledged finding(s) are not counted.` : ''}
          </p>
        </section>
        <section className="panel">
          <h2>Identity</h2>
          <table className="data kv">
            <tbody>
              <Field label="Owner">{i.owner ?? '—'}{i.ownerStatus === 'departed' ? <strong style={{ color: 'var(--bad)' }}> (departed)</strong> : null}</Field>
              <Field label="Transport path">{i.transport}</Field>
              <Field label="SPIFFE ID"><span className="mono">{i.spiffeId ?? '—'}</span></Field>
              <Field label="Client id"><span className="mono">{i.clientId ?? '—'}</span></Field>
              <Field label="Created / last seen">{when(i.createdAt)} / {when(i.lastSeenAt)}</Field>
              {i.decommissionedAt ? <Field label="Decommissioned">{when(i.decommissionedAt)}</Field> : null}
            </tbody>
          </table>
        </section>
      </div>
      <section className="panel">
        <h2>Findings ({active.length} open or acknowledged)</h2>
        {active.length === 0 ? <p className="empty">None.</p> : (
          <table className="data">
            <thead><tr><th>Severity</th><th>Finding</th><th>What to do</th><th>Status</th></tr></thead>
            <tbody>
              {active.map((f) => (
                <tr key={f.id}>
                  <td><Sev s={f.severity} /></td>
                  <td>{f.tokenId ? <Link href={`/tokens/${f.tokenId}`}>{f.title}</Link> : f.title}</td>
                  <td>{f.recommendation}</td>
                  <td>{f.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel">
        <h2>Tokens {d.tokensTruncated ? '(riskiest 200)' : `(${d.tokens.length})`} <Link href={`/tokens?identity=${i.id}`} style={{ fontSize: '0.85rem' }}>all in the token list</Link></h2>
        {d.tokens.length === 0 ? <p className="empty">None.</p> : (
          <table className="data">
            <thead><tr><th>Risk</th><th>Fingerprint</th><th>Binding</th><th>Scopes</th><th>TTL</th><th>Status</th><th>Exposure</th></tr></thead>
            <tbody>
              {d.tokens.map((t) => (
                <tr key={t.id}>
                  <td><Sev s={t.riskSeverity} /></td>
                  <td className="mono"><Link href={`/tokens/${t.id}`}>{t.fingerprint.slice(0, 12)}…</Link></td>
                  <td><span className={`badge ${t.binding}`}>{t.binding}</span></td>
                  <td className="mono">{t.scopes.join(' ') || '—'}</td>
                  <td>{ttl(t.ttlSeconds)}</td>
                  <td>{t.state === t.status && t.status !== 'revoked' ? t.status : <TokenStateBadge state={t.state} revocationId={t.revocation?.revocationId} revocationState={t.revocation?.state} />}</td>
                  <td>{t.exposure === 'exposed' ? <strong style={{ color: 'var(--bad)' }}>exposed</strong> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <div className="grid2">
        <section className="panel">
          <h2>Certificates ({d.certificates.length})</h2>
          {d.certificates.length === 0 ? <p className="empty">None.</p> : (
            <table className="data">
              <thead><tr><th>x5t#S256</th><th>Subject</th><th>Not after</th><th>Status</th></tr></thead>
              <tbody>
                {d.certificates.map((c) => (
                  <tr key={c.id}>
                    <td className="mono" title={c.x5tS256}><Link href={`/certificates/${c.id}`}>{c.x5tS256.slice(0, 12)}…</Link></td>
                    <td className="mono" style={{ fontSize: '0.75rem' }}>{c.subjectDn ?? '—'}</td>
                    <td>{when(c.notAfter)}</td>
                    <td>{c.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="panel">
          <h2>DPoP keys ({d.keys.length})</h2>
          {d.keys.length === 0 ? <p className="empty">None.</p> : (
            <table className="data">
              <thead><tr><th>jkt</th><th className="num">Bound tokens</th><th className="num">Events</th><th>Last used</th></tr></thead>
              <tbody>
                {d.keys.map((k) => (
                  <tr key={k.jkt}>
                    <td className="mono" title={k.jkt}>{k.jkt.slice(0, 16)}…</td>
                    <td className="num">{fmt(k.tokens)}</td>
                    <td className="num">{fmt(k.events)}</td>
                    <td>{when(k.lastAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      <section className="panel">
        <h2>Binding failures, last 30 days</h2>
        {d.failures.length === 0 ? <p className="empty">None.</p> : <FailuresByReasonChart rows={d.failures.map((f) => ({ ...f, start: `${f.day}T00:00:00.000Z` }))} scope={`&identity=${i.id}`} />}
        <Link href={`/failures?identity=${i.id}`}>All binding failures of this identity</Link>
      </section>
    </>
  );
}
