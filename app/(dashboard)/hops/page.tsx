import type { Metadata } from 'next';
import Link from 'next/link';
import { CHAIN_REASON_WORDS } from '@/lib/hops/words.ts';
import { listHopPaths, parseHopFilters, type HopFilters, type HopName, type HopPath } from '@/lib/services/estate/hops.ts';
import { listEvents, parseEventFilters, type EventRow } from '@/lib/services/estate/lists.ts';
import { textParam } from '@/lib/services/estate/query.ts';
import { requirePage } from '../../_lib/session.ts';
import { FilterError, fmt, query, when, When } from '../_components/estate.tsx';
import { VerdictLabel } from '../_components/labels.tsx';
import { FilterBar } from '../_components/filter-bar.tsx';
import { TimeRangePicker } from '../_components/time-range.tsx';

export const metadata: Metadata = { title: 'Hops' };

type SP = Record<string, string | string[] | undefined>;

const hopLabel = (h: HopName) => `${h.source} (${h.role})`;

/** One hop of the path as a box: who it is and what it did with the client's certificate. */
function HopBox({ title, lines, leak }: { title: string; lines: string[]; leak?: boolean }) {
  return (
    <div className="panel" style={{ margin: 0, minWidth: '14rem', flex: 1, borderColor: leak ? 'var(--bad)' : undefined }}>
      <strong>{title}</strong>
      {leak ? <> <span className="badge critical">leaks</span></> : null}
      <ul style={{ margin: '0.4rem 0 0', paddingLeft: '1.1rem', fontSize: '0.88rem' }}>
        {lines.map((l) => <li key={l}>{l}</li>)}
      </ul>
    </div>
  );
}

const Arrow = () => <div aria-hidden style={{ alignSelf: 'center', fontSize: '1.4rem', color: 'var(--muted)' }}>→</div>;

function PathPanel({ p }: { p: HopPath }) {
  const leaksAt = (role: HopName['role']) => p.leaks.filter((l) => l.hop.role === role);
  const leakLines = (ls: HopPath['leaks']) =>
    ls.flatMap((l) => [
      ...(l.stripped ? [`${l.hop.source}: did not forward the certificate it received (${fmt(l.stripped)})`] : []),
      ...(l.clientSupplied ? [`${l.hop.source}: passed a client-supplied certificate on (${fmt(l.clientSupplied)}, ${fmt(l.clientSuppliedAccepted)} accepted)`] : []),
    ]);
  const edgeLeaks = leaksAt('edge');
  const proxyLeaks = leaksAt('proxy');
  const edgeLines = [
    `client certificates: ${fmt(p.edgeChecks.verified)} verified, ${fmt(p.edgeChecks.noCertificate)} none presented, ${fmt(p.edgeChecks.failed)} failed` +
      (p.edgeChecks.unlogged ? `, ${fmt(p.edgeChecks.unlogged)} not logged` : ''),
    ...(edgeLeaks.length ? leakLines(edgeLeaks) : ['lost or replaced no certificate']),
  ];
  const backendLines = [
    `received the client's certificate intact: ${fmt(p.forwarding.intact)}`,
    `received none although the client presented one: ${fmt(p.forwarding.stripped)}`,
    `received one the client supplied itself: ${fmt(p.forwarding.clientSupplied)}`,
    ...(p.forwarding.notComparable ? [`not comparable (no certificate fact in common): ${fmt(p.forwarding.notComparable)}`] : []),
    `accepted: ${fmt(p.backendAnswers.accepted)} · refused: ${fmt(p.backendAnswers.refused)}` + (p.backendAnswers.unknown ? ` · not logged: ${fmt(p.backendAnswers.unknown)}` : ''),
  ];
  return (
    <div className="panel" data-testid="hop-path">
      <h2 style={{ marginTop: 0 }}>
        <span className="mono">{p.route ?? '(no route logged)'}</span>
      </h2>
      <p className="muted" style={{ marginTop: 0 }}>
        {fmt(p.requests)} correlated request{p.requests === 1 ? '' : 's'} over {p.hops} hops · {when(p.firstAt)} – {when(p.lastAt)}
      </p>
      <div style={{ display: 'flex', gap: '0.5rem', flexWrap: 'wrap', marginBottom: '0.75rem' }}>
        <HopBox title="Client" lines={['presents its certificate (or none) in the TLS handshake with the edge']} />
        <Arrow />
        <HopBox title={`Edge: ${p.edge.source}`} lines={edgeLines} leak={edgeLeaks.length > 0} />
        <Arrow />
        {p.hops > 2 ? (
          <>
            <HopBox
              title={`${p.hops - 2} prox${p.hops === 3 ? 'y' : 'ies'} between`}
              lines={proxyLeaks.length ? leakLines(proxyLeaks) : ['lost or replaced no certificate']}
              leak={proxyLeaks.length > 0}
            />
            <Arrow />
          </>
        ) : null}
        <HopBox title={`Backend: ${p.backend.source}`} lines={backendLines} />
      </div>
      {p.leaks.length === 0 ? (
        <p data-testid="no-leak">No hop on this path lost or replaced the client&apos;s certificate.</p>
      ) : (
        p.leaks.map((l) => (
          <p key={hopLabel(l.hop)} role="alert" data-testid="leaking-hop">
            <strong className="error">Leaking hop: {hopLabel(l.hop)}</strong>
            {' — '}
            {l.clientSupplied > 0 ? `passed a client-supplied certificate on ${fmt(l.clientSupplied)} time${l.clientSupplied === 1 ? '' : 's'} (${fmt(l.clientSuppliedAccepted)} accepted by the backend)` : null}
            {l.clientSupplied > 0 && l.stripped > 0 ? '; ' : null}
            {l.stripped > 0 ? `stripped the client's certificate ${fmt(l.stripped)} time${l.stripped === 1 ? '' : 's'}` : null}
            {l.example ? <> · <Link href={`/hops${query({ request: l.example })}`}>example request</Link></> : null}
            {' · '}
            <Link href="/findings?rule=leaking_hop">finding</Link>
          </p>
        ))
      )}
      <table className="data fit">
        <thead>
          <tr><th>Chain verdict</th><th>Why</th><th>Leaking hop</th><th>Backend verdict</th><th className="num">Status</th><th className="num">Requests</th><th>Last</th><th>Example</th></tr>
        </thead>
        <tbody>
          {p.outcomes.map((o) => (
            <tr key={`${o.chainVerdict}/${o.reason}/${o.backendVerdict}/${o.backendStatus}/${o.edgeTls}/${o.leakingHop?.source}`}>
              <td><Link href={`/failures${query({ verdict: o.chainVerdict })}`}><VerdictLabel v={o.chainVerdict} /></Link></td>
              <td style={{ maxWidth: '28rem' }}>{CHAIN_REASON_WORDS[o.reason]}</td>
              <td>{o.leakingHop ? hopLabel(o.leakingHop) : '—'}</td>
              <td><VerdictLabel v={o.backendVerdict ?? null} /></td>
              <td className="num">{o.backendStatus ?? '—'}</td>
              <td className="num">{fmt(o.requests)}</td>
              <td className="nowrap">{when(o.lastAt)}</td>
              <td className="mono">{o.example ? <Link href={`/hops${query({ request: o.example })}`}>{o.example.slice(0, 12)}…</Link> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Every hop's line of one request: the drill-down from an example. */
function RequestPanel({ id, rows }: { id: string; rows: EventRow[] }) {
  return (
    <div className="panel" data-testid="hop-request">
      <h2 style={{ marginTop: 0 }}>Request <span className="mono">{id}</span>: every hop</h2>
      {rows.length === 0 ? <p className="empty">No stored line carries this id (the ledger keeps requests for its window; failures longer).</p> : (
        <table className="data">
          <thead><tr><th>When</th><th>Source</th><th>Status</th><th>This hop&apos;s verdict</th><th>Reason</th><th>Chain verdict (whole path)</th><th>Certificate x5t#S256</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td className="nowrap"><When iso={r.occurredAt} seconds /></td>
                <td>{r.source ?? r.gateway ?? '—'}</td>
                <td>{r.httpStatus ?? '—'}</td>
                <td><VerdictLabel v={r.verdict} /></td>
                <td className="mono">{r.reason ?? '—'}</td>
                <td><strong><VerdictLabel v={r.chainVerdict} /></strong></td>
                <td className="mono">{r.x5tS256 ? `${r.x5tS256.slice(0, 12)}…` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        The same with the CLI: <code className="mono">holdfast events --request-id {id} --json</code>
      </p>
    </div>
  );
}

export default async function HopsPage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  let f: HopFilters;
  let paths: HopPath[];
  let request: { id: string; rows: EventRow[] } | null = null;
  try {
    f = parseHopFilters(sp);
    paths = await listHopPaths(db, f);
    const id = textParam(sp, 'request', 200);
    if (id) request = { id, rows: (await listEvents(db, parseEventFilters({ requestId: id, limit: '50' }), {})).items };
  } catch (e) {
    return (
      <>
        <h1>Hops</h1>
        <FilterError error={e} />
        <Link href="/hops">Clear filters</Link>
      </>
    );
  }
  const leaking = paths.filter((p) => p.leaks.length > 0).length;
  return (
    <>
      <h1>Hops</h1>
      <p className="muted" style={{ marginTop: 0 }}>
        One request seen at several hops — joined by the request id the edge propagates (X-Request-ID) — shows whether the client&apos;s
        certificate reached the backend intact, was stripped on the way, or was replaced by one the client supplied.
      </p>
      <div className="kpis">
        <div className="kpi"><div className="label">Routes with hops</div><div className="value">{fmt(paths.length)}</div></div>
        <div className={`kpi${leaking ? ' alert' : ''}`}><div className="label">Routes with a leaking hop</div><div className="value">{fmt(leaking)}</div></div>
        <div className="kpi"><div className="label">Correlated requests</div><div className="value">{fmt(paths.reduce((n, p) => n + p.requests, 0))}</div></div>
      </div>
      <TimeRangePicker />
      <FilterBar
        label="Hop filters"
        fields={[
          { kind: 'text', name: 'route', label: 'Route', width: '12rem', placeholder: '/v1/orders' },
          { kind: 'text', name: 'source', label: 'Source', width: '10rem' },
          { kind: 'chip', name: 'request', label: 'Request' },
        ]}
      />
      {request ? <RequestPanel id={request.id} rows={request.rows} /> : null}
      {paths.length === 0 ? (
        <div className="panel">
          <p className="empty">
            No correlated requests yet. Log the request id at every hop (NGINX <code>$http_x_request_id</code>, HAProxy
            <code> capture req.hdr(X-Request-ID)</code>, Caddy&apos;s request headers) and the forwarded certificate header at the backend; the
            Ingest page has the configurations.
          </p>
        </div>
      ) : (
        paths.map((p) => <PathPanel key={`${p.route}/${p.edge.source}/${p.backend.source}/${p.hops}`} p={p} />)
      )}
    </>
  );
}
