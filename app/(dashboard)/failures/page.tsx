import type { Metadata } from 'next';
import Link from 'next/link';
import { EVENT_GROUPS, groupEvents, listEvents, parseEventFilters, type EventFilters, type EventRow } from '@/lib/services/estate/lists.ts';
import { oneOf, type Page } from '@/lib/services/estate/query.ts';
import { VERDICTS } from '@/lib/domain/types.ts';
import { requirePage } from '../../_lib/session.ts';
import { ExportLinks, FilterError, fmt, IdentityLink, query, When } from '../_components/estate.tsx';
import { FilterBar } from '../_components/filter-bar.tsx';
import { VERDICT_LABELS, VerdictLabel } from '../_components/labels.tsx';
import { Pager } from '../_components/pager.tsx';
import { TimeRangePicker } from '../_components/time-range.tsx';

export const metadata: Metadata = { title: 'Binding failures' };

type SP = Record<string, string | string[] | undefined>;

/** The window shown when the URL names none (stated on the page by the picker). */
const DEFAULT_FROM = 'now-30d';

export default async function FailuresPage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db } = await requirePage('read');
  const raw = await searchParams;
  const sp: SP = raw.from || raw.to ? raw : { ...raw, from: DEFAULT_FROM };
  let f: EventFilters;
  let by: (typeof EVENT_GROUPS)[number];
  let page: Page<EventRow>;
  let groups: Awaited<ReturnType<typeof groupEvents>>;
  try {
    const parsed = parseEventFilters(sp);
    // Binding failures by default: distinct from generic auth failures (bearer_unbound, token_expired).
    f = { ...parsed, failures: parsed.failures ?? (parsed.verdict ? undefined : 'binding') };
    by = oneOf(sp, 'group', EVENT_GROUPS) ?? 'reason';
    [page, groups] = await Promise.all([listEvents(db, f, sp, { count: true }), groupEvents(db, f, by)]);
  } catch (e) {
    return (
      <>
        <h1>Binding failures</h1>
        <FilterError error={e} />
        <Link href="/failures">Clear filters</Link>
      </>
    );
  }
  // Links keep the window as the URL wrote it (now-30d stays relative).
  const str = (v: string | string[] | undefined) => (typeof v === 'string' ? v : undefined);
  const params: Record<string, string | undefined> = {
    verdict: f.verdict,
    failures: f.failures === 'binding' ? undefined : f.failures,
    identity: f.identity,
    token: f.token,
    gateway: f.gateway,
    reason: f.reason,
    source: f.source,
    network: f.network,
    route: f.route,
    routePrefix: f.routePrefix,
    requestId: f.requestId,
    from: str(raw.from),
    to: str(raw.to),
  };
  const apiParams = { ...params, failures: f.failures, from: f.from?.toISOString(), to: f.to?.toISOString() };
  const after = typeof sp.after === 'string' ? sp.after : undefined;
  const drill = (g: (typeof groups)[number]): string => {
    if (by === 'reason') return `/failures${query({ ...params, verdict: g.verdict ?? undefined, reason: g.key ?? undefined })}`;
    if (by === 'gateway') return `/failures${query({ ...params, gateway: g.key ?? undefined })}`;
    return `/failures${query({ ...params, identity: g.key ?? undefined })}`;
  };
  return (
    <>
      <h1>{f.failures === 'binding' ? 'Binding failures' : f.failures === 'any' ? 'Failed requests (all verdicts but ok)' : f.failures === 'all' && !f.verdict ? 'Requests (every verdict)' : `Events: ${f.verdict ? VERDICT_LABELS[f.verdict] : 'all'}`}</h1>
      <TimeRangePicker defaultFrom={DEFAULT_FROM} />
      <FilterBar
        label="Event filters"
        fields={[
          { kind: 'select', name: 'failures', label: 'Show', anyLabel: 'binding failures', options: [{ value: 'any', label: 'all failures (incl. plain bearer, expired token)' }, { value: 'all', label: 'every request (ok ones while the ledger keeps them)' }] },
          { kind: 'select', name: 'verdict', label: 'Verdict', options: VERDICTS.map((v) => ({ value: v, label: VERDICT_LABELS[v] })) },
          { kind: 'text', name: 'reason', label: 'Reason', width: '10rem', placeholder: 'e.g. jkt_mismatch' },
          { kind: 'text', name: 'gateway', label: 'Gateway', width: '9rem' },
          { kind: 'text', name: 'source', label: 'Source', width: '9rem' },
          { kind: 'text', name: 'network', label: 'Client network', width: '9rem', placeholder: 'e.g. 203.0.113.0' },
          { kind: 'text', name: 'route', label: 'Route', width: '12rem', placeholder: 'host /path' },
          { kind: 'chip', name: 'routePrefix', label: 'Route prefix' },
          { kind: 'text', name: 'identity', label: 'Identity', width: '10rem' },
          { kind: 'text', name: 'requestId', label: 'Request id', width: '10rem' },
          { kind: 'chip', name: 'token', label: 'Token' },
        ]}
      />
      <div className="panel">
        <div className="panel-head">
          {/* Groups count the failures (notable requests) only: with every verdict listed, ok requests are not among them. */}
          <h2 style={{ margin: 0 }}>{f.failures === 'all' && !f.verdict ? 'Failures grouped' : 'Grouped'} by {by}</h2>
          <span className="muted" style={{ fontSize: '0.85rem' }}>
            Group by:{' '}
            {EVENT_GROUPS.map((g, i) => (
              <span key={g}>
                {i ? ' · ' : ''}
                {g === by ? <strong>{g}</strong> : <Link href={`/failures${query({ ...params, group: g === 'reason' ? undefined : g })}`}>{g}</Link>}
              </span>
            ))}
          </span>
        </div>
        {groups.length === 0 ? <p className="empty">Nothing matches.</p> : (
          <table className="data" data-testid="failure-groups">
            <thead><tr>{by === 'reason' ? <><th>Verdict</th><th>Reason</th></> : <th>{by === 'gateway' ? 'Gateway' : 'Identity'}</th>}<th className="num">Events</th><th>Latest</th></tr></thead>
            <tbody>
              {groups.map((g) => (
                <tr key={`${g.verdict}/${g.key}`}>
                  {by === 'reason' ? (
                    <>
                      <td><Link href={drill(g)}><VerdictLabel v={g.verdict} /></Link></td>
                      <td className="mono">{g.key ?? '—'}</td>
                    </>
                  ) : (
                    <td><Link href={drill(g)} className="mono">{g.label ?? '(none)'}</Link></td>
                  )}
                  <td className="num">{fmt(g.n)}</td>
                  <td><When iso={g.lastAt} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="panel">
        <div className="panel-head">
          <h2 style={{ margin: 0 }}>Events, newest first</h2>
          <ExportLinks api="events" params={apiParams} />
        </div>
        <table className="data fit" data-testid="events-table">
          <thead><tr><th>When</th><th className="opt">Gateway</th><th>Request</th><th>Identity</th><th className="opt">Token</th><th className="num">Status</th><th>Verdict</th><th className="opt">Reason</th></tr></thead>
          <tbody>
            {page.items.map((r) => (
              <tr key={r.id}>
                <td className="nowrap"><When iso={r.occurredAt} seconds /></td>
                <td className="opt">{r.gateway ?? '—'}</td>
                {/* A ledger row keeps no URL: its route (host /prefix) instead. */}
                <td className="mono trunc" title={`${r.method ?? ''} ${r.url ?? r.route ?? ''}`.trim() || undefined}>{r.url ? `${r.method ?? ''} ${r.url}`.trim() : r.route ?? ''}</td>
                <td className="trunc"><IdentityLink id={r.identityId} name={r.identity} /></td>
                <td className="mono opt">{r.tokenId ? <Link href={`/tokens/${r.tokenId}`}>{(r.tokenFingerprint ?? r.tokenId).slice(0, 10)}…</Link> : '—'}</td>
                <td className="num">{r.httpStatus ?? '—'}</td>
                <td><VerdictLabel v={r.verdict} /></td>
                <td className="mono opt">{r.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager
          basePath="/failures"
          params={{ ...params, group: by === 'reason' ? undefined : by, after }}
          nextCursor={page.nextCursor}
          total={page.total}
          offset={page.offset}
          shown={page.items.length}
          limit={f.limit}
          noun="events"
        />
      </div>
    </>
  );
}
