import type { Metadata } from 'next';
import Link from 'next/link';
import { can } from '@/lib/auth/permissions.ts';
import { listTokens, parseTokenFilters, tokenFilterParams, type TokenFilters, type TokenRow } from '@/lib/services/estate/lists.ts';
import type { Page } from '@/lib/services/estate/query.ts';
import { requirePage } from '../../_lib/session.ts';
import { ExportLinks, FilterError, fmt, IdentityLink, Sev, ttl, when } from '../_components/estate.tsx';
import { Pager } from '../_components/pager.tsx';
import { RevokeSelectionProvider, SelectTokenCell } from './_components/revoke-selection.tsx';

export const metadata: Metadata = { title: 'Tokens' };

type SP = Record<string, string | string[] | undefined>;

function title(f: TokenFilters): string {
  if (f.risk === 'high') return 'Tokens — unbound high-risk';
  if (f.risk === 'critical') return 'Tokens — with critical findings';
  if (f.exposure === 'exposed') return 'Tokens — exposed';
  return 'Tokens';
}

export default async function TokensPage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db, principal } = await requirePage('read');
  // The server decides: roles without `revoke` get no selection column and no revoke button.
  const canRevoke = can(principal, 'revoke');
  const sp = await searchParams;
  let f: TokenFilters;
  let page: Page<TokenRow>;
  try {
    f = parseTokenFilters(sp);
    page = await listTokens(db, f, sp);
  } catch (e) {
    return (
      <>
        <h1>Tokens</h1>
        <FilterError error={e} />
        <Link href="/tokens">Clear filters</Link>
      </>
    );
  }
  const params = tokenFilterParams(f);
  const after = typeof sp.after === 'string' ? sp.after : undefined;
  return (
    <>
      <h1>{title(f)}</h1>
      <form className="filters" method="get" aria-label="Token filters">
        <label>
          Binding
          <select name="binding" defaultValue={f.binding ?? ''}>
            <option value="">any</option>
            <option value="bearer">bearer</option>
            <option value="mtls">mTLS</option>
            <option value="dpop">DPoP</option>
          </select>
        </label>
        <label>
          Risk
          <select name="risk" defaultValue={f.risk ?? ''}>
            <option value="">any</option>
            <option value="high">unbound high-risk</option>
            <option value="critical">critical finding</option>
            <option value="flagged">any finding</option>
          </select>
        </label>
        <label>
          Status
          <select name="status" defaultValue={f.status ?? ''}>
            <option value="">any</option>
            <option value="active">active</option>
            <option value="expired">expired</option>
            <option value="revoked">revoked</option>
          </select>
        </label>
        <label>
          Exposure
          <select name="exposure" defaultValue={f.exposure ?? ''}>
            <option value="">any</option>
            <option value="exposed">exposed</option>
            <option value="none">not exposed</option>
          </select>
        </label>
        <label>
          TTL ≥ (s)
          <input name="ttlMin" type="number" min={0} defaultValue={f.ttlMin ?? ''} style={{ width: '7rem' }} />
        </label>
        <label>
          TTL &lt; (s)
          <input name="ttlMax" type="number" min={0} defaultValue={f.ttlMax ?? ''} style={{ width: '7rem' }} />
        </label>
        <label>
          Issuer
          <input name="issuer" defaultValue={f.issuer ?? ''} />
        </label>
        <label>
          Audience
          <input name="audience" defaultValue={f.audience ?? ''} />
        </label>
        <label>
          Scope
          <input name="scope" defaultValue={f.scope ?? ''} style={{ width: '8rem' }} />
        </label>
        <label>
          Identity
          <input name="identity" defaultValue={f.identity ?? ''} style={{ width: '10rem' }} />
        </label>
        <label>
          Sort
          <select name="sort" defaultValue={f.sort}>
            <option value="risk">riskiest first</option>
            <option value="id">id</option>
            <option value="ttl">longest lifetime</option>
            <option value="expires">expiring soonest</option>
          </select>
        </label>
        {f.noExpiry ? <input type="hidden" name="noExpiry" value="true" /> : null}
        <button type="submit">Apply</button>
        <Link href="/tokens">Clear</Link>
      </form>
      <div className="panel">
        <div style={{ display: 'flex', justifyContent: 'space-between', marginBottom: '0.5rem' }}>
          <span className="muted">{f.noExpiry ? 'Tokens that never expire. ' : ''}{page.items.length === 0 ? '' : `${fmt(page.items.length)} shown`}</span>
          <ExportLinks api="tokens" params={params} />
        </div>
        {page.items.length === 0 ? (
          <p className="empty">No tokens match.</p>
        ) : (
          (() => {
            const table = (
              <table className="data" data-testid="tokens-table">
                <thead>
                  <tr>{canRevoke ? <th aria-label="Select" /> : null}<th>Risk</th><th>Fingerprint (SHA-256)</th><th>Identity</th><th>Binding</th><th>Scopes</th><th>TTL</th><th>Expires</th><th>Status</th><th>Exposure</th><th className="num">Findings</th></tr>
                </thead>
                <tbody>
                  {page.items.map((r) => (
                    <tr key={r.id} data-testid="token-row">
                      {canRevoke ? <SelectTokenCell id={r.id} label={r.fingerprint.slice(0, 12)} /> : null}
                      <td><Sev s={r.riskSeverity} /></td>
                      <td className="mono" title={r.fingerprint}><Link href={`/tokens/${r.id}`}>{r.fingerprint.slice(0, 12)}…</Link></td>
                      <td><IdentityLink id={r.identityId} name={r.identity} /> <span className="muted">({r.identityKind})</span></td>
                      <td><span className={`badge ${r.binding}`}>{r.binding}</span></td>
                      <td className="mono">{r.scopes.join(' ') || '—'}</td>
                      <td>{ttl(r.ttlSeconds)}</td>
                      <td>{r.expiresAt ? when(r.expiresAt) : 'never'}</td>
                      <td>{r.status}</td>
                      <td>{r.exposure === 'exposed' ? <strong style={{ color: 'var(--bad)' }}>exposed</strong> : '—'}</td>
                      <td className="num">{r.findings ? <Link href={`/findings?token=${r.id}`}>{r.findings}</Link> : 0}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            );
            return canRevoke ? <RevokeSelectionProvider>{table}</RevokeSelectionProvider> : table;
          })()
        )}
        <Pager basePath="/tokens" params={{ ...params, limit: sp.limit === undefined ? undefined : String(f.limit), after }} nextCursor={page.nextCursor} />
      </div>
    </>
  );
}
