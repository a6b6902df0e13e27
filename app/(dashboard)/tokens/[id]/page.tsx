import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Fragment } from 'react';
import { can } from '@/lib/auth/permissions.ts';
import { isHoldfastError } from '@/lib/errors.ts';
import { getTokenDetail, type TokenDetail } from '@/lib/services/estate/details.ts';
import { requirePage } from '../../../_lib/session.ts';
import { Field, fmt, IdentityLink, Sev, ttl, when } from '../../_components/estate.tsx';
import { RevokeTokenButton } from '../_components/revoke-selection.tsx';
import { TokenStateBadge } from '../_components/revoke-state.tsx';
import { revocationOpen } from '@/lib/revocation/token-revocation-state.ts';

export const metadata: Metadata = { title: 'Token' };

export default async function TokenPage({ params }: { params: Promise<{ id: string }> }) {
  const { db, principal } = await requirePage('read');
  const { id } = await params;
  let d: TokenDetail;
  try {
    d = await getTokenDetail(db, id);
  } catch (e) {
    if (isHoldfastError(e) && e.code === 'not_found') notFound();
    throw e;
  }
  const t = d.token;
  // The certificate the token is bound to, when Holdfast knows it (linked, or by cnf x5t#S256).
  const certificateId = t.certificateId ?? (t.cnfX5tS256 ? (await db.prisma.certificate.findUnique({ where: { x5tS256: t.cnfX5tS256 }, select: { id: true } }))?.id ?? null : null);
  const rev = t.revocation;
  const active = d.findings.filter((f) => f.status !== 'resolved');
  const resolved = d.findings.filter((f) => f.status === 'resolved');
  return (
    <>
      <p className="muted"><Link href="/tokens">Tokens</Link> / {t.fingerprint.slice(0, 12)}…</p>
      <h1>
        Token of <IdentityLink id={d.identity.id} name={d.identity.name} /> <span className={`badge ${t.binding}`}>{t.binding}</span> <Sev s={t.riskSeverity} />{' '}
        <TokenStateBadge state={t.state} revocationId={rev?.revocationId} revocationState={rev?.state} />
      </h1>
      {/* Revoke stays available until the issuer confirmed; not while a revocation is still being tried. */}
      {can(principal, 'revoke') && t.status !== 'revoked' && !revocationOpen(rev?.state) ? <p><RevokeTokenButton tokenId={t.id} again={rev?.state === 'failed'} /></p> : null}

      <section className="panel" data-testid="why">
        <h2>Why it matters</h2>
        {rev && rev.state !== 'confirmed' ? (
          <div data-testid="revocation-truth" data-state={rev.state} style={{ marginBottom: '0.9rem' }}>
            {revocationOpen(rev.state) ? (
              <p style={{ margin: '0.3rem 0' }}>
                <strong>Revocation {rev.state === 'pending' ? 'pending' : 'in progress'}.</strong> Revocation was requested {when(rev.requestedAt)} by {rev.requestedBy}; the issuer has not confirmed it yet
                ({rev.attempts} attempt{rev.attempts === 1 ? '' : 's'}{rev.lastError ? `, last error: ${rev.lastError}` : ''}). Until it does, the token still works for whoever holds it.{' '}
                <Link href={`/revocations/${rev.revocationId}`}>Follow the revocation and its legs</Link>.
              </p>
            ) : (
              <p style={{ margin: '0.3rem 0' }}>
                <strong style={{ color: 'var(--bad)' }}>Revocation failed: this token has not been revoked.</strong> The revocation requested {when(rev.requestedAt)} was not confirmed by
                the issuer after {rev.attempts} attempt{rev.attempts === 1 ? '' : 's'}: {rev.lastError ?? 'no reason recorded'}. The token still works for whoever holds it.{' '}
                <Link href={`/revocations/${rev.revocationId}`}>See the revocation and its legs</Link>
                {rev.lastError?.includes('no connector') ? <>, add a connector in <Link href="/settings#connectors">Settings → connectors</Link></> : null}, then revoke again.
              </p>
            )}
          </div>
        ) : null}
        {t.status === 'revoked' && rev?.state === 'confirmed' ? (
          <p data-testid="revocation-truth" data-state="confirmed">
            <strong>Revoked</strong>: its issuer confirmed the revocation {when(rev.confirmedAt)}.{' '}
            <Link href={`/revocations/${rev.revocationId}`}>The revocation and its receipts</Link>.
            {active.length ? ' The findings below are re-evaluated now that the token is revoked.' : ''}
          </p>
        ) : null}
        {active.length === 0 ? (
          <p className="empty">No open findings on this token.</p>
        ) : (
          active.map((f) => (
            <div key={f.id} style={{ marginBottom: '0.9rem' }} data-testid="token-finding">
              <div><Sev s={f.severity} /> <strong>{f.title}</strong> <span className="muted mono">({f.rule}{f.status === 'acknowledged' ? `, risk accepted until ${when(f.ackUntil)}` : ''})</span></div>
              <p style={{ margin: '0.3rem 0' }}>{f.explanation}</p>
              <p style={{ margin: '0.3rem 0' }}><strong>What to do:</strong> {f.recommendation}</p>
            </div>
          ))
        )}
      </section>

      {d.recommendation ? (
        <section className="panel" data-testid="recommendation">
          <h2>Recommended binding: {d.recommendation.methodLabel}</h2>
          <p>{d.recommendation.why}</p>
          <p className="muted" style={{ fontSize: '0.85rem' }}>
            Identity kind {d.identity.kind}, transport path {d.identity.transport}.
          </p>
        </section>
      ) : null}

      <div className="grid2">
        <section className="panel">
          <h2>Claims (the raw token is never stored)</h2>
          <table className="data kv">
            <tbody>
              <Field label="Fingerprint (SHA-256)"><span className="mono" style={{ wordBreak: 'break-all' }}>{t.fingerprint}</span></Field>
              <Field label="Type">{t.tokenType}</Field>
              <Field label="Issuer"><span className="mono">{t.issuer ?? '—'}</span></Field>
              <Field label="Subject / client"><span className="mono">{t.subject ?? '—'} / {t.clientId ?? '—'}</span></Field>
              <Field label="Audience"><span className="mono">{t.audience.join(' ') || '—'}</span></Field>
              <Field label="Scopes"><span className="mono">{t.scopes.join(' ') || '—'}</span>{t.privileged ? <strong style={{ color: 'var(--bad)' }}> privileged</strong> : null}</Field>
              <Field label="jti"><span className="mono">{t.jti ?? '—'}</span></Field>
              <Field label="Issued / expires">{when(t.issuedAt)} → {t.expiresAt ? when(t.expiresAt) : 'never'} ({ttl(t.ttlSeconds)})</Field>
              <Field label="Status">{t.state}{t.revokedAt ? ` (revoked ${when(t.revokedAt)})` : ''}</Field>
              <Field label="Exposure">{t.exposure === 'exposed' ? <strong style={{ color: 'var(--bad)' }}>found by a secret scanner</strong> : 'none known'}</Field>
              <Field label="First / last seen">{when(t.firstSeenAt)} / {when(t.lastSeenAt)}</Field>
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h2>Binding</h2>
          <table className="data kv">
            <tbody>
              <Field label="Method">{t.binding === 'bearer' ? 'none (bearer: whoever holds it can use it)' : t.binding === 'mtls' ? 'mTLS certificate (RFC 8705)' : 'DPoP key (RFC 9449)'}</Field>
              <Field label="cnf x5t#S256">
                <span className="mono" style={{ wordBreak: 'break-all' }}>
                  {certificateId ? <Link href={`/certificates/${certificateId}`} data-testid="token-certificate">{t.cnfX5tS256 ?? 'certificate'}</Link> : (t.cnfX5tS256 ?? '—')}
                </span>
              </Field>
              <Field label="cnf jkt"><span className="mono" style={{ wordBreak: 'break-all' }}>{t.cnfJkt ?? '—'}</span></Field>
              {t.bindingAnomaly ? <Field label="Anomaly"><strong style={{ color: 'var(--bad)' }}>cnf carries both jkt and x5t#S256</strong></Field> : null}
            </tbody>
          </table>
          <h2 style={{ marginTop: '1rem' }}>Where it was proven or failed</h2>
          {d.gateways.length === 0 ? (
            <p className="empty">No gateway has logged this token.</p>
          ) : (
            <table className="data fit" data-testid="gateways">
              <thead><tr><th>Gateway</th><th className="num">Events</th><th className="num">ok</th><th className="num">Binding failures</th><th>Verdicts</th><th>Last</th></tr></thead>
              <tbody>
                {d.gateways.map((g) => (
                  <tr key={g.gateway}>
                    <td><Link href={`/failures?failures=any&token=${t.id}&gateway=${encodeURIComponent(g.gateway)}`}>{g.gateway}</Link></td>
                    <td className="num">{fmt(g.events)}</td>
                    <td className="num">{fmt(g.ok)}</td>
                    <td className="num">{fmt(g.failures)}</td>
                    <td className="mono" style={{ fontSize: '0.75rem', overflowWrap: 'normal' }}>
                      {/* A verdict breaks after its underscores and stays with its count ("bearer_ / unbound 20", not "bearer_unboun / d 20"). */}
                      {Object.entries(g.verdicts).map(([v, n], i) => (
                        <span key={v}>
                          {i ? ', ' : ''}
                          {v.split('_').map((part, j) => (
                            <Fragment key={j}>{j ? <>_<wbr /></> : null}{part}</Fragment>
                          ))}
                          {'\u00a0'}{n}
                        </span>
                      ))}
                    </td>
                    <td>{when(g.lastAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section className="panel">
        <h2>Mapped controls</h2>
        {d.controls.length === 0 ? (
          <p className="empty">No open findings, so no control gaps from this token.</p>
        ) : (
          <table className="data" data-testid="controls">
            <thead><tr><th>Framework</th><th>Control</th><th>Finding rule</th><th>Why</th></tr></thead>
            <tbody>
              {d.controls.map((c) => (
                <tr key={`${c.framework}/${c.controlId}/${c.rule}`}>
                  <td className="mono">{c.framework}</td>
                  <td className="mono">{c.controlId}</td>
                  <td className="mono">{c.rule}</td>
                  <td>{c.rationale}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {resolved.length ? (
        <section className="panel">
          <h2>Resolved findings</h2>
          <ul>{resolved.map((f) => <li key={f.id}>{f.title} <span className="muted">(resolved {when(f.resolvedAt)})</span></li>)}</ul>
        </section>
      ) : null}
    </>
  );
}
