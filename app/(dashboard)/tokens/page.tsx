import type { Metadata } from 'next';
import { UNBOUND_HIGH_RISK_SQL } from '@/lib/services/summary.ts';
import { requirePage } from '../../_lib/session.ts';
import { Pager } from '../_components/pager.tsx';

export const metadata: Metadata = { title: 'Tokens' };
const PAGE = 50;

const ttl = (s: number | null) =>
  s == null ? '—' : s < 3600 ? `${Math.round(s / 60)} min` : s < 86400 * 2 ? `${Math.round(s / 3600)} h` : s < 86400 * 730 ? `${Math.round(s / 86400)} d` : `${(s / 86400 / 365).toFixed(1)} y`;

export default async function TokensPage({ searchParams }: { searchParams: Promise<{ binding?: string; risk?: string; status?: string; after?: string }> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  const binding = ['bearer', 'mtls', 'dpop'].includes(sp.binding ?? '') ? sp.binding! : undefined;
  const status = ['active', 'expired', 'revoked'].includes(sp.status ?? '') ? sp.status! : undefined;
  const highRisk = sp.risk === 'high';
  const after = sp.after && /^[0-9a-f-]{36}$/.test(sp.after) ? sp.after : undefined;
  const rows = await db.query<{ id: string; fingerprint: string; identity: string; binding: string; scopes: string[]; ttlSeconds: number | null; expiresAt: Date | null; status: string; exposure: string }>(
    `SELECT t."id", t."fingerprint", i."name" AS identity, t."binding"::text AS binding, t."scopes", t."ttlSeconds", t."expiresAt", t."status", t."exposure"
       FROM "Token" t JOIN "Identity" i ON i."id" = t."identityId"
      WHERE ($1::text IS NULL OR t."binding"::text = $1)
        AND ($2::text IS NULL OR t."status" = $2)
        AND ($3::boolean = false OR (${UNBOUND_HIGH_RISK_SQL}))
        AND ($4::uuid IS NULL OR t."id" > $4::uuid)
      ORDER BY t."id" LIMIT ${PAGE + 1}`,
    [binding ?? null, status ?? null, highRisk, after ?? null],
  );
  const page = rows.slice(0, PAGE);
  return (
    <>
      <h1>Tokens{highRisk ? ' — unbound high-risk' : ''}</h1>
      <form className="filters" method="get">
        <label>
          Binding
          <select name="binding" defaultValue={binding ?? ''}>
            <option value="">any</option>
            <option value="bearer">bearer</option>
            <option value="mtls">mTLS</option>
            <option value="dpop">DPoP</option>
          </select>
        </label>
        <label>
          Status
          <select name="status" defaultValue={status ?? ''}>
            <option value="">any</option>
            <option value="active">active</option>
            <option value="expired">expired</option>
            <option value="revoked">revoked</option>
          </select>
        </label>
        <label>
          Risk
          <select name="risk" defaultValue={highRisk ? 'high' : ''}>
            <option value="">any</option>
            <option value="high">unbound high-risk</option>
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      <div className="panel">
        {page.length === 0 ? (
          <p className="empty">No tokens match.</p>
        ) : (
          <table className="data" data-testid="tokens-table">
            <thead>
              <tr><th>Fingerprint (SHA-256)</th><th>Identity</th><th>Binding</th><th>Scopes</th><th>TTL</th><th>Expires</th><th>Status</th><th>Exposure</th></tr>
            </thead>
            <tbody>
              {page.map((r) => (
                <tr key={r.id}>
                  <td className="mono" title={r.fingerprint}>{r.fingerprint.slice(0, 12)}…</td>
                  <td className="mono">{r.identity}</td>
                  <td><span className={`badge ${r.binding}`}>{r.binding}</span></td>
                  <td className="mono">{r.scopes.join(' ') || '—'}</td>
                  <td>{ttl(r.ttlSeconds)}</td>
                  <td>{r.expiresAt ? new Date(r.expiresAt).toISOString().slice(0, 16).replace('T', ' ') : 'never'}</td>
                  <td>{r.status}</td>
                  <td>{r.exposure === 'exposed' ? <strong style={{ color: 'var(--bad)' }}>exposed</strong> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager basePath="/tokens" params={{ binding, status, risk: highRisk ? 'high' : undefined, after }} nextCursor={rows.length > PAGE ? page[page.length - 1]!.id : null} />
      </div>
    </>
  );
}
