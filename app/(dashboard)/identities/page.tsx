import type { Metadata } from 'next';
import Link from 'next/link';
import { IDENTITY_KINDS } from '@/lib/domain/types.ts';
import { identityFilterParams, listIdentities, parseIdentityFilters, type IdentityFilters, type IdentityRow, type IdentitySort } from '@/lib/services/estate/lists.ts';
import type { Page } from '@/lib/services/estate/query.ts';
import { requirePage } from '../../_lib/session.ts';
import { ExportLinks, FilterError, fmt, when } from '../_components/estate.tsx';
import { FilterBar } from '../_components/filter-bar.tsx';
import { Pager, SortHeader } from '../_components/pager.tsx';

export const metadata: Metadata = { title: 'Identities' };

type SP = Record<string, string | string[] | undefined>;

export default async function IdentitiesPage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  let f: IdentityFilters;
  let page: Page<IdentityRow>;
  try {
    f = parseIdentityFilters(sp);
    page = await listIdentities(db, f, sp, { count: true });
  } catch (e) {
    return (
      <>
        <h1>Identities</h1>
        <FilterError error={e} />
        <Link href="/identities">Clear filters</Link>
      </>
    );
  }
  const params = identityFilterParams(f);
  const sortTh = (sort: IdentitySort, label: string, className?: string) => (
    <SortHeader basePath="/identities" params={params} sort={sort} current={f.sort} className={className}>{label}</SortHeader>
  );
  const after = typeof sp.after === 'string' ? sp.after : undefined;
  return (
    <>
      <h1>Identities</h1>
      <FilterBar
        label="Identity filters"
        fields={[
          { kind: 'select', name: 'kind', label: 'Kind', options: IDENTITY_KINDS.map((k) => ({ value: k, label: k })) },
          { kind: 'select', name: 'status', label: 'Status', options: [{ value: 'active', label: 'active' }, { value: 'decommissioned', label: 'decommissioned' }] },
          { kind: 'select', name: 'ownerStatus', label: 'Owner', options: [{ value: 'active', label: 'still here' }, { value: 'departed', label: 'departed' }] },
          { kind: 'text', name: 'q', label: 'Name or owner', width: '12rem' },
        ]}
      />
      <div className="panel">
        <div className="panel-head">
          <span className="muted" data-testid="list-total">{fmt(page.total ?? page.items.length)} identities match</span>
          <ExportLinks api="identities" params={params} />
        </div>
        {page.items.length === 0 ? (
          <p className="empty">No identities match.</p>
        ) : (
          <table className="data fit" data-testid="identities-table">
            <thead>
              <tr>
                {sortTh('risk', 'Risk', 'num')}
                {sortTh('name', 'Name')}
                <th>Kind</th>
                <th>Owner</th>
                <th>Status</th>
                <th className="opt">Transport</th>
                <th className="num">Tokens</th>
                <th className="num">Live bearer</th>
                {sortTh('findings', 'Open findings', 'num')}
                {sortTh('lastSeen', 'Last seen')}
              </tr>
            </thead>
            <tbody>
              {page.items.map((r) => (
                <tr key={r.id}>
                  <td className="num" style={{ fontWeight: 700, color: r.riskScore >= 50 ? 'var(--bad)' : r.riskScore >= 20 ? 'var(--warn)' : 'inherit' }}>{r.riskScore}</td>
                  <td className="mono trunc" title={r.name}><Link href={`/identities/${r.id}`}>{r.name}</Link></td>
                  <td>{r.kind}</td>
                  <td className="trunc" title={r.owner ?? undefined}>{r.owner ?? '—'}{r.ownerStatus === 'departed' ? <strong style={{ color: 'var(--bad)' }}> (departed)</strong> : null}</td>
                  <td>{r.status}</td>
                  <td className="opt">{r.transport}</td>
                  <td className="num"><Link href={`/tokens?identity=${r.id}`}>{fmt(r.tokens)}</Link></td>
                  <td className="num">{fmt(r.liveBearerTokens)}</td>
                  <td className="num">{r.openFindings ? <Link href={`/findings?identity=${r.id}`}>{r.openFindings}</Link> : 0}</td>
                  <td className="nowrap">{when(r.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager basePath="/identities" params={{ ...params, after }} nextCursor={page.nextCursor} total={page.total} offset={page.offset} shown={page.items.length} limit={f.limit} noun="identities" />
      </div>
    </>
  );
}
