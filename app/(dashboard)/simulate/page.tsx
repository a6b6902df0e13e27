import type { Metadata } from 'next';
import Link from 'next/link';
import { simulate } from '@/lib/services/simulation/index.ts';
import { BROKEN_REASONS, type BrokenReason, type ImpactRow, type SimulationResult } from '@/lib/simulate/index.ts';
import { requirePage } from '../../_lib/session.ts';
import { FilterError, fmt } from '../_components/estate.tsx';

export const metadata: Metadata = { title: 'Simulate' };

type SP = Record<string, string | string[] | undefined>;
const DAY_MS = 86_400_000;

const BROKEN_WORDS: Record<BrokenReason, string> = {
  bearer: 'bearer (unbound) token',
  bound_without_proof: 'bound token sent without its proof',
  context_stripped: 'binding context stripped by a hop',
  wrong_mechanism: 'bound by the other mechanism',
  ttl_over_limit: 'token lifetime over the limit',
};

function one(sp: SP, k: string): string {
  const v = sp[k];
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
}

function Counts({ r }: { r: ImpactRow }) {
  return (
    <>
      <td className="num">{fmt(r.total)}</td>
      <td className="num"><strong>{fmt(r.wouldBeRefused)}</strong></td>
      <td className="num">{fmt(r.attacksStopped)}</td>
      <td className="num">{fmt(r.legitimateBroken)}</td>
      <td className="num">{fmt(r.alreadyRefused)}</td>
      <td>{BROKEN_REASONS.filter((b) => r.brokenBy[b] > 0).map((b) => `${BROKEN_WORDS[b]} ${fmt(r.brokenBy[b])}`).join('; ') || '—'}</td>
    </>
  );
}

function Table({ title, rows, name, total }: { title: string; rows: ImpactRow[]; name: (r: ImpactRow) => React.ReactNode; total: number }) {
  return (
    <div className="panel" style={{ overflowX: 'auto' }}>
      <h2>{title} <span className="muted">({fmt(rows.length)} of {fmt(total)}, most refused first)</span></h2>
      {rows.length === 0 ? <p className="empty">None in scope.</p> : (
        <table>
          <thead><tr><th>Name</th><th className="num">Requests</th><th className="num">Would be refused</th><th className="num">Attacks stopped</th><th className="num">Legitimate broken</th><th className="num">Already refused</th><th>Why legitimate ones break</th></tr></thead>
          <tbody>{rows.map((r, i) => <tr key={`${r.name}-${i}`}><td>{name(r)}</td><Counts r={r} /></tr>)}</tbody>
        </table>
      )}
    </div>
  );
}

function Form({ sp }: { sp: SP }) {
  const field = (k: string, label: string, placeholder = '', width = '10rem') => (
    <label style={{ display: 'inline-flex', flexDirection: 'column', marginRight: '0.75rem', marginBottom: '0.5rem' }}>
      {label}
      <input name={k} defaultValue={one(sp, k)} placeholder={placeholder} style={{ width, maxWidth: '100%' }} />
    </label>
  );
  return (
    <form method="get" className="panel" aria-label="Policy">
      <label style={{ display: 'inline-flex', flexDirection: 'column', marginRight: '0.75rem', marginBottom: '0.5rem' }}>
        Require
        <select name="require" defaultValue={one(sp, 'require') || 'mtls'}>
          <option value="mtls">mTLS-bound tokens</option>
          <option value="dpop">DPoP-bound tokens</option>
          <option value="bound">bound tokens (either)</option>
        </select>
      </label>
      {field('maxTtl', 'Max TTL (seconds)', '3600', '7rem')}
      {field('gateway', 'Gateway')}
      {field('route', 'Route (host/path)', 'api.example.com/v1')}
      {field('identity', 'Identity name glob', 'svc-*')}
      {field('from', 'From (ISO)', '30 days ago', '13rem')}
      {field('to', 'To (ISO)', 'now', '13rem')}
      <button type="submit">Simulate</button>
    </form>
  );
}

export default async function SimulatePage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  const asked = one(sp, 'require') !== '';
  let r: SimulationResult | null = null;
  let error: unknown = null;
  if (asked) {
    try {
      const to = one(sp, 'to') ? new Date(one(sp, 'to')) : new Date();
      const from = one(sp, 'from') ? new Date(one(sp, 'from')) : new Date(to.getTime() - 30 * DAY_MS);
      const ttl = one(sp, 'maxTtl');
      const policy = {
        require: one(sp, 'require'),
        ...(ttl ? { maxTtlSeconds: /^\d+$/.test(ttl) ? Number(ttl) : ttl } : {}),
        scope: { gateway: one(sp, 'gateway') || null, routePrefix: one(sp, 'route') || null, identity: one(sp, 'identity') ? { nameGlob: one(sp, 'identity') } : null },
      };
      r = await simulate(db, { policy, from, to, limit: 25 });
    } catch (e) {
      error = e;
    }
  }
  const q = r?.requests;
  return (
    <>
      <h1>Simulate enforcement</h1>
      <p className="muted" style={{ marginTop: 0 }}>
        What would requiring sender-constrained tokens here have refused, over the evidence already collected? Attacks stopped are requests with
        someone else&apos;s certificate or key; legitimate clients that would break are the ones to fix first (a rollout plan orders them in waves).
      </p>
      <Form sp={sp} />
      {error ? <FilterError error={error} /> : null}
      {r && q ? (
        <>
          <div className="kpis">
            <div className="kpi"><div className="label">Requests in scope</div><div className="value">{fmt(q.total)}</div></div>
            <div className="kpi"><div className="label">Would be refused</div><div className="value">{fmt(q.wouldBeRefused)}</div></div>
            <div className="kpi"><div className="label">Attacks stopped</div><div className="value">{fmt(q.attacksStopped)}</div></div>
            <div className={`kpi${q.legitimateBroken ? ' alert' : ''}`}><div className="label">Legitimate broken</div><div className="value">{fmt(q.legitimateBroken)}</div></div>
            <div className="kpi"><div className="label">Already refused / invalid</div><div className="value">{fmt(q.alreadyRefused)} / {fmt(q.alreadyInvalid)}</div></div>
          </div>
          <p className="muted">
            {r.range.from} – {r.range.to} (whole hours): {fmt(r.perDay.wouldBeRefused)} refused per day, of which {fmt(r.perDay.legitimateBroken)} legitimate.{' '}
            <Link href="/plans/new">Build a rollout plan</Link>
          </p>
          <Table title="Identities" rows={r.identities} total={r.counts.identities} name={(x) => {
            const id = (x as SimulationResult['identities'][number]).identityId;
            return id ? <Link href={`/identities/${id}`}>{x.name}</Link> : x.name;
          }} />
          <Table title="Tokens" rows={r.tokens} total={r.counts.tokens} name={(x) => {
            const t = x as SimulationResult['tokens'][number];
            const label = <>{t.name} <span className="muted">{t.binding}{t.ttlSeconds !== null ? `, TTL ${fmt(t.ttlSeconds)} s` : ''}{t.identityName ? `, ${t.identityName}` : ''}</span></>;
            return t.tokenId ? <Link href={`/tokens/${t.tokenId}`}>{label}</Link> : label;
          }} />
          <Table title="Client networks" rows={r.networks} total={r.counts.networks} name={(x) => x.name} />
          <Table title="Routes" rows={r.routes} total={r.counts.routes} name={(x) => x.name} />
          <p className="muted">
            The same with the CLI: <code className="mono">holdfast simulate --require {r.policy.require}{r.policy.maxTtlSeconds ? ` --max-ttl ${r.policy.maxTtlSeconds}` : ''} --from {r.range.from} --to {r.range.to} --json</code>
          </p>
        </>
      ) : null}
    </>
  );
}
