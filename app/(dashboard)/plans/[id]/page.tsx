import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { HoldfastError } from '@/lib/errors.ts';
import { MECHANISM_REASON_WORDS, selectorsNotInConfig, WAVE_REASON_WORDS, type Wave, type WaveProgress } from '@/lib/plan/index.ts';
import { scopeWords } from '@/lib/simulate/index.ts';
import { getPlan, type SavedPlan } from '@/lib/services/plans/index.ts';
import { requirePage } from '../../../_lib/session.ts';
import { ProgressChart, type ProgressRow } from '../_components/progress-chart.tsx';

export const metadata: Metadata = { title: 'Rollout plan' };

type Query = { upstream?: string; logPath?: string; mode?: string };

const n = (x: number) => x.toLocaleString('en');

function downloadQuery(q: Query): string {
  const p = new URLSearchParams();
  if (q.upstream) p.set('upstream', q.upstream);
  if (q.logPath) p.set('logPath', q.logPath);
  if (q.mode === 'report_only') p.set('mode', 'report_only');
  const s = p.toString();
  return s ? `&${s}` : '';
}

function ProgressLine({ p }: { p: WaveProgress | undefined }) {
  if (!p) return null;
  if (p.requests.total === 0) return <p className="muted" data-testid={`wave-${p.wave}-progress`}>Since the plan: no traffic from these identities yet ({p.notSeen} not seen).</p>;
  return (
    <p data-testid={`wave-${p.wave}-progress`}>
      Since the plan: {p.compliant}/{p.identities} identities compliant, {p.notSeen} not seen; {n(p.requests.total)} request{p.requests.total === 1 ? '' : 's'}, {n(p.requests.wouldBeRefused)} the policy
      refuses still got through, {n(p.requests.refusedByGateway)} refused by the gateway.{' '}
      {p.enforced ? <span className="badge">enforced</span> : <span className="badge">not yet enforced</span>}
    </p>
  );
}

function WavePanel({ plan, wave, progress, query }: { plan: SavedPlan; wave: Wave; progress: WaveProgress | undefined; query: Query }) {
  const base = `/api/v1/plans/${plan.id}/waves/${wave.wave}/config`;
  const dq = downloadQuery(query);
  return (
    <section className="panel" aria-labelledby={`wave-${wave.wave}`} data-testid={`wave-${wave.wave}`}>
      <h2 id={`wave-${wave.wave}`}>Wave {wave.wave}: {wave.title} <span className="muted">({wave.identities.length} {wave.identities.length === 1 ? 'identity' : 'identities'})</span></h2>
      <p>
        If enforced now: <strong>{n(wave.expectedRefused.total)}</strong> requests refused in the simulated range ({wave.expectedRefused.perDay}/day):{' '}
        {n(wave.expectedRefused.legitimateBroken)} legitimate, {n(wave.expectedRefused.attacksStopped)} attacks stopped.
      </p>
      <ProgressLine p={progress} />
      <ol>
        {wave.steps.map((s) => <li key={s}>{s}</li>)}
      </ol>
      {wave.identities.length > 0 && (
        <div style={{ overflowX: 'auto' }}>
          <table className="data">
            <thead>
              <tr>
                <th>Identity</th>
                <th>Why here</th>
                <th>{wave.wave === 3 ? 'Compensating controls' : 'Recommendation'}</th>
                <th>Requests</th>
                <th>Would be refused</th>
                <th>Attacks</th>
                <th>Legitimate broken</th>
              </tr>
            </thead>
            <tbody>
              {wave.identities.map((i) => (
                <tr key={i.name}>
                  <td>{i.identityId ? <Link href={`/identities/${i.identityId}`}>{i.name}</Link> : i.name} <span className="muted">{i.kind}</span></td>
                  <td>{WAVE_REASON_WORDS[i.reason]}</td>
                  <td>
                    {i.mechanism && <><strong>{i.mechanism.mechanism === 'mtls' ? 'mTLS' : 'DPoP'}</strong>: {i.mechanism.reasons.map((r) => MECHANISM_REASON_WORDS[r]).join('; ')}</>}
                    {i.exception && <>TTL ≤ {i.exception.maxTtlSeconds} s; networks {i.exception.allowNetworks.join(', ') || 'none seen'}; owner {i.exception.owner}; expires {i.exception.expiresAt} ({i.exception.reason})</>}
                  </td>
                  <td>{n(i.requests.total)}</td>
                  <td>{n(i.requests.wouldBeRefused)}</td>
                  <td>{n(i.requests.attacksStopped)}</td>
                  <td>{n(i.requests.legitimateBroken)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {wave.identities.length > 0 && (
        <div className="filters" aria-label={`Wave ${wave.wave} configuration downloads`}>
          {wave.wave !== 3 && <a className="button" href={`${base}?gateway=nginx${dq}`} download>NGINX config</a>}
          {wave.wave !== 3 && <a className="button" href={`${base}?gateway=haproxy${dq}`} download>HAProxy config</a>}
          {wave.wave !== 0 && <a className="button" href={`${base}?authorizationServer=oidc-provider`} download>oidc-provider config</a>}
          {wave.wave !== 0 && <a className="button" href={`${base}?authorizationServer=keycloak`} download>Keycloak (kcadm) script</a>}
        </div>
      )}
      {wave.controls.length > 0 && (
        <p className="muted">Controls advanced: {wave.controls.map((c) => `${c.framework} ${c.control}`).join(', ')}</p>
      )}
    </section>
  );
}

export default async function PlanPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Query> }) {
  const { db } = await requirePage('read');
  const { id } = await params;
  const query = await searchParams;
  let saved: SavedPlan;
  try {
    saved = await getPlan(db, id);
  } catch (e) {
    if (e instanceof HoldfastError && e.code === 'not_found') notFound();
    throw e;
  }
  const { plan, progress } = saved;
  const p = plan.policy;
  const notInConfig = selectorsNotInConfig(p);
  const rows: ProgressRow[] = saved.history.map((h) => {
    const row: ProgressRow = { day: h.day };
    for (const w of h.waves) row[`w${w.wave}`] = w.ratio === null ? null : Math.round(w.ratio * 1000) / 10;
    return row;
  });
  return (
    <>
      <p><Link href="/plans">Rollout plans</Link></p>
      <h1>{saved.name}</h1>
      <p className="muted" data-testid="plan-policy">
        Require {p.require}{p.maxTtlSeconds ? `, token TTL ≤ ${p.maxTtlSeconds} s` : ''} · scope: {scopeWords(p.scope)} · simulated {plan.range.from.slice(0, 16).replace('T', ' ')} to{' '}
        {plan.range.to.slice(0, 16).replace('T', ' ')} · saved {saved.createdAt.slice(0, 16).replace('T', ' ')} by {saved.createdBy}
      </p>
      {notInConfig.length > 0 && (
        <p className="muted" data-testid="plan-config-scope">
          The gateway configurations below guard {p.scope?.routePrefix ? `route ${p.scope.routePrefix}` : 'every route'} of the gateway they are installed on: the{' '}
          {notInConfig.join(', ')} chose which identities are in the waves, not what the gateway enforces. Enforced, a configuration refuses every request on
          its route without the binding, whoever sends it.
        </p>
      )}
      <div className="kpis">
        <div className="kpi"><div className="label">Identities</div><div className="value">{n(plan.totals.identities)}</div></div>
        <div className="kpi"><div className="label">Requests</div><div className="value">{n(plan.totals.requests)}</div></div>
        <div className="kpi"><div className="label">Would be refused</div><div className="value">{n(plan.totals.wouldBeRefused)}</div></div>
        <div className="kpi"><div className="label">Attacks stopped</div><div className="value">{n(plan.totals.attacksStopped)}</div></div>
        <div className="kpi"><div className="label">Legitimate broken</div><div className="value">{n(plan.totals.legitimateBroken)}</div></div>
      </div>
      <div className="filters" aria-label="Exports">
        <a className="button" href={`/api/v1/plans/${saved.id}/export?format=csv`} download>Export CSV</a>
        <a className="button" href={`/api/v1/plans/${saved.id}/export?format=json`} download>Export JSON</a>
        <a className="button" href={`/api/v1/plans/${saved.id}/export?format=pdf`} download>Export PDF</a>
      </div>
      <section className="panel" aria-labelledby="progress">
        <h2 id="progress">Progress since the plan was saved</h2>
        <p className="muted">Per day, each wave&apos;s requests that meet the policy or were refused by the gateway (%). A wave is enforced once nothing the policy refuses gets through.</p>
        <ProgressChart rows={rows} />
      </section>
      <form className="filters panel" method="get" aria-label="Gateway configuration settings">
        <label>
          Upstream
          <input name="upstream" defaultValue={query.upstream} placeholder="http://10.0.0.5:8080" />
        </label>
        <label>
          Access log path
          <input name="logPath" defaultValue={query.logPath} placeholder="/var/log/nginx/holdfast-enforce.log" />
        </label>
        <label>
          Mode
          <select name="mode" defaultValue={query.mode === 'report_only' ? 'report_only' : 'enforce'}>
            <option value="enforce">enforce</option>
            <option value="report_only">report only</option>
          </select>
        </label>
        <button type="submit">Use in downloads</button>
      </form>
      {plan.waves.map((w) => (
        <WavePanel key={w.wave} plan={saved} wave={w} progress={progress.waves.find((x) => x.wave === w.wave)} query={query} />
      ))}
    </>
  );
}
