import type { Metadata } from 'next';
import { can } from '@/lib/auth/permissions.ts';
import { listTrustAnchors } from '@/lib/services/trust/store.ts';
import { requirePage } from '../../_lib/session.ts';
import { AddAnchorForm } from './add-anchor-form.tsx';
import { AnchorActions } from './anchor-actions.tsx';

export const metadata: Metadata = { title: 'Trust anchors' };

const when = (iso: string | null) => (iso ? iso.slice(0, 19).replace('T', ' ') : '—');

export default async function TrustPage() {
  const { db, principal } = await requirePage('read');
  const admin = can(principal, 'admin');
  const anchors = await listTrustAnchors(db);
  return (
    <>
      <h1>Trust anchors</h1>
      <div className="panel">
        <p className="muted">
          The CAs Holdfast judges client certificates against, with their CRLs. When a gateway accepts a certificate its CA&apos;s CRL lists — Caddy checks
          no CRL; Envoy and others load CRLs only when they start — the request is <code>cert_revoked_unchecked</code>. A CRL is only replaced by a newer
          one; a stale CRL is still used, but revocations since are not known.
        </p>
      </div>
      {admin ? (
        <div className="panel">
          <h2>Add a CA</h2>
          <AddAnchorForm />
        </div>
      ) : null}
      <div className="panel">
        <h2>Anchors</h2>
        {anchors.length === 0 ? (
          <p className="empty">No trust anchors yet{admin ? '' : ' (an admin adds them)'}.</p>
        ) : (
          <table className="data" data-testid="trust-anchors">
            <thead>
              <tr>
                <th>CA</th>
                <th>Valid until</th>
                <th>CRL number</th>
                <th>This update</th>
                <th>Next update</th>
                <th className="num">Revoked</th>
                {admin ? <th>Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {anchors.map((a) => (
                <tr key={a.id} data-anchor={a.subject}>
                  <td>
                    <strong>{a.subject}</strong>
                    <div className="muted">
                      x5t#S256 <code style={{ wordBreak: 'break-all' }}>{a.x5tS256}</code>
                    </div>
                    {a.warnings.map((w) => (
                      <div key={w} className="error" data-testid="anchor-warning">
                        {w}
                      </div>
                    ))}
                  </td>
                  <td>{when(a.notAfter)}</td>
                  <td>{a.crl ? (a.crl.number ?? '—') : <span className="badge">no CRL</span>}</td>
                  <td>{when(a.crl?.thisUpdate ?? null)}</td>
                  <td>
                    {when(a.crl?.nextUpdate ?? null)} {a.crl?.stale ? <span className="badge" data-testid="crl-stale">stale</span> : null}
                  </td>
                  <td className="num" data-testid="crl-entries">
                    {a.crl ? a.crl.entries.toLocaleString('en-US') : '—'}
                  </td>
                  {admin ? (
                    <td>
                      <AnchorActions id={a.id} subject={a.subject} />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
