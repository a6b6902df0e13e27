import type { Metadata } from 'next';
import Link from 'next/link';
import { can } from '@/lib/auth/permissions.ts';
import { listTokens, parseTokenFilters, tokenFilterParams, type TokenFilters, type TokenRow, type TokenSort } from '@/lib/services/estate/lists.ts';
import type { Page } from '@/lib/services/estate/query.ts';
import { withRevocationState } from '@/lib/revocation/token-revocation-state.ts';
import { requirePage } from '../../_lib/session.ts';
import { ExportLinks, FilterError, fmt, IdentityLink, Sev, ttl, when } from '../_components/estate.tsx';
import { FilterBar } from '../_components/filter-bar.tsx';
import { Pager, SortHeader } from '../_components/pager.tsx';
import { RevokeSelectionProvider, SelectTokenCell } from './_components/revoke-selection.tsx';
import { TokenStateBadge } from './_components/revoke-state.tsx';

export const metadata: Metadata = { title: 'Tokens' };

type SP = Record<string, string | string[] | undefined>;

/** Riskiest first unless the URL asks otherwise. */
const PAGE_SORT: TokenSort = 'risk';
const SORT_WORDS: Record<TokenSort, string> = {
  risk: 'riskiest first (worst open finding, then blast radius)',
  id: 'by id',
  ttl: 'longest lifetime first',
  expires: 'expiring soonest first',
  identity: 'by identity name',
  lastSeen: 'most recently seen first',
};

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
  let page: Page<Awaited<ReturnType<typeof withRevocationState<TokenRow>>>[number]>;
  try {
    f = parseTokenFilters(sp, 50, PAGE_SORT);
    const listed = await listTokens(db, f, sp, { count: true });
    // The status a person may trust: "revoked" only once the issuer confirmed.
    page = { ...listed, items: await withRevocationState(db, listed.items) };
  } catch (e) {
    return (
      <>
        <h1>Tokens</h1>
        <FilterError error={e} />
        <Link href="/tokens">Clear filters</Link>
      </>
    );
  }
  const params = tokenFilterParams(f, PAGE_SORT);
  const sortTh = (sort: TokenSort, label: string, className?: string) => (
    <SortHeader basePath="/tokens" params={params} sort={sort} current={f.sort} className={className}>{label}</SortHeader>
  );
  const after = typeof sp.after === 'string' ? sp.after : undefined;
  return (
    <>
      <h1>{title(f)}</h1>
      <FilterBar
        label="Token filters"
        fields={[
          { kind: 'select', name: 'binding', label: 'Binding', options: [{ value: 'bearer', label: 'bearer' }, { value: 'mtls', label: 'mTLS' }, { value: 'dpop', label: 'DPoP' }] },
          { kind: 'select', name: 'risk', label: 'Risk', options: [{ value: 'high', label: 'unbound high-risk' }, { value: 'critical', label: 'critical finding' }, { value: 'flagged', label: 'any finding' }] },
          { kind: 'select', name: 'status', label: 'Status', options: [{ value: 'active', label: 'active' }, { value: 'expired', label: 'expired' }, { value: 'revoked', label: 'revoked' }] },
          { kind: 'select', name: 'exposure', label: 'Exposure', options: [{ value: 'exposed', label: 'exposed' }, { value: 'none', label: 'not exposed' }] },
          { kind: 'duration', name: 'ttlMin', label: 'Lifetime at least' },
          { kind: 'duration', name: 'ttlMax', label: 'Lifetime under' },
          { kind: 'text', name: 'issuer', label: 'Issuer', width: '10rem' },
          { kind: 'text', name: 'audience', label: 'Audience', width: '9rem' },
          { kind: 'text', name: 'scope', label: 'Scope', width: '8rem' },
          { kind: 'text', name: 'identity', label: 'Identity', width: '10rem' },
          { kind: 'chip', name: 'noExpiry', label: 'Never expires' },
        ]}
      />
      <div className="panel">
        <div className="panel-head">
          <span className="muted" data-testid="list-total">
            {f.noExpiry ? 'Tokens that never expire. ' : ''}
            {fmt(page.total ?? page.items.length)} token{page.total === 1 ? '' : 's'} match · {SORT_WORDS[f.sort]}
          </span>
          <ExportLinks api="tokens" params={params} />
        </div>
        {page.items.length === 0 ? (
          <p className="empty">No tokens match.</p>
        ) : (
          (() => {
            const table = (
              <table className="data fit" data-testid="tokens-table">
                <thead>
                  <tr>
                    {canRevoke ? <th aria-label="Select" /> : null}
                    {sortTh('risk', 'Risk')}
                    <th>Fingerprint</th>
                    {sortTh('identity', 'Identity')}
                    <th>Binding</th>
                    <th>Scopes</th>
                    {sortTh('ttl', 'Lifetime')}
                    {sortTh('expires', 'Expires', 'opt')}
                    <th>Status</th>
                    <th className="opt">Exposure</th>
                    {sortTh('lastSeen', 'Last seen', 'opt-wide')}
                    <th className="num">Findings</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((r) => (
                    <tr key={r.id} data-testid="token-row">
                      {canRevoke ? <SelectTokenCell id={r.id} label={r.fingerprint.slice(0, 12)} /> : null}
                      <td><Sev s={r.riskSeverity} /></td>
                      <td className="mono nowrap" title={`SHA-256 ${r.fingerprint}`}><Link href={`/tokens/${r.id}`}>{r.fingerprint.slice(0, 12)}…</Link></td>
                      <td className="trunc" title={`${r.identity} (${r.identityKind})`}><IdentityLink id={r.identityId} name={r.identity} /> <span className="muted">({r.identityKind})</span></td>
                      <td><span className={`badge ${r.binding}`}>{r.binding}</span></td>
                      <td className="mono trunc" title={r.scopes.join(' ') || undefined}>{r.scopes.join(' ') || '—'}</td>
                      <td className="nowrap">{ttl(r.ttlSeconds)}</td>
                      <td className="opt nowrap">{r.expiresAt ? when(r.expiresAt) : 'never'}</td>
                      <td>{r.revocationId ? <TokenStateBadge state={r.state} revocationId={r.revocationId} revocationState={r.revocationState} /> : r.status}</td>
                      <td className="opt">{r.exposure === 'exposed' ? <strong style={{ color: 'var(--bad)' }}>exposed</strong> : '—'}</td>
                      <td className="opt-wide nowrap">{when(r.lastSeenAt)}</td>
                      <td className="num">{r.findings ? <Link href={`/findings?token=${r.id}`}>{r.findings}</Link> : 0}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            );
            return canRevoke ? <RevokeSelectionProvider>{table}</RevokeSelectionProvider> : table;
          })()
        )}
        <Pager
          basePath="/tokens"
          params={{ ...params, limit: sp.limit === undefined ? undefined : String(f.limit), after }}
          nextCursor={page.nextCursor}
          total={page.total}
          offset={page.offset}
          shown={page.items.length}
          limit={f.limit}
          noun="tokens"
        />
      </div>
    </>
  );
}
