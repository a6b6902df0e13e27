import type { Metadata } from 'next';
import Link from 'next/link';
import { listIdentities, parseIdentityFilters, type IdentityFilters, type IdentityRow } from '@/lib/services/estate/lists.ts';
import type { Page } from '@/lib/services/estate/query.ts';
import { requirePage } from '../../_lib/session.ts';
import { ExportLinks, FilterError, fmt, when } from '../_components/estate.tsx';
import { Pager } from '../_components/pager.tsx';

export const metadata: Metadata = { title: 'Identities' };

type SP = Record<string, string | string[] | undefined>;

export default async function IdentitiesPage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  let f: IdentityFilters;
  let page: Page<IdentityRow>;
  try {
    f = parseIdentityFilters(sp);
    page = await listIdentities(db, f, sp);
  } catch (e) {
    return (
      <>
        <h1>Identities</h1>
        <FilterError error={e} />
        <Link href="/identities">Clear filters</Link>
      </>
    );
  }
  const params = { kind: f.kind, status: f.status, ownerStatus: f.ownerStatus, q: f.q, sort: f.sort === 'risk' ? undefined : f.sort };
  const after = typeof sp.after === 'string' ? sp.after : undefined;
  return (
    <>
      <h1>Identities</h1>
      <form className="filters" method="get" aria-label="Identity filters">
        <label>
          Kind
          <select name="kind" defaultValue={f.kind ?? ''}>
            <option value="">any</option>
            {['service', 'workload', 'pipeline', 'agent', 'partner'].map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </label>
        <label>
          Status
          <select name="status" defaultValue={f.status ?? ''}>
            <option value="">any</option>
            <option value="active">active</option>
            <option value="decommissioned">decommissioned</option>
          </select>
        </label>
        <label>
          Owner
          <select name="ownerStatus" defaultValue={f.ownerStatus ?? ''}>
            <option value="">any</option>
            <option value="active">still here</option>
            <option value="departed">departed</option>
          </select>
        </label>
        <label>
          Name or owner
          <input name="q" defaultValue={f.q ?? ''} />
        </label>
        <label>
          Sort
          <select name="sort" defaultValue={f.sort}>
            <option value="risk">riskiest first</option>
            <option value="name">name</option>
          </select>
        </label>
        <button type="submit">Apply</button>
        <Link href="/identities">Clear</Link>
      </form>
      <div className="panel">
        <div style={{ display: 'flex', justifyContent: 'flex-end', marginBottom: '0.5rem' }}>
          <ExportLinks api="identities" params={params} />
        </div>
        {page.items.length === 0 ? (
          <p className="empty">No identities match.</p>
        ) : (
          <table className="data" data-testid="identities-table">
            <thead>
              <tr><th className="num">Risk</th><th>Name</th><th>Kind</th><th>Owner</th><th>Status</th><th>Transport</th><th className="num">Tokens</th><th className="num">Live bearer</th><th className="num">Open findings</th><th>Last seen</th></tr>
            </thead>
            <tbody>
              {page.items.map((r) => (
                <tr key={r.id}>
                  <td className="num" style={{ fontWeight: 700, color: r.riskScore >= 50 ? 'var(--bad)' : r.riskScore >= 20 ? 'var(--warn)' : 'inherit' }}>{r.riskScore}</td>
                  <td className="mono"><Link href={`/identities/${r.id}`}>{r.name}</Link></td>
                  <td>{r.kind}</td>
                  <td>{r.owner ?? '—'}{r.ownerStatus === 'departed' ? <strong style={{ color: 'var(--bad)' }}> (departed)</strong> : null}</td>
                  <td>{r.status}</td>
                  <td>{r.transport}</td>
                  <td className="num"><Link href={`/tokens?identity=${r.id}`}>{fmt(r.tokens)}</Link></td>
                  <td className="num">{fmt(r.liveBearerTokens)}</td>
                  <td className="num">{r.openFindings ? <Link href={`/findings?identity=${r.id}`}>{r.openFindings}</Link> : 0}</td>
                  <td>{when(r.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager basePath="/identities" params={{ ...params, after }} nextCursor={page.nextCursor} />
      </div>
    </>
  );
}
