import type { Metadata } from 'next';
import Link from 'next/link';
import { isHoldfastError } from '@/lib/errors.ts';
import { requestIdOfKey } from '@/lib/ingest/evidence/request-key.ts';
import { listScopeChoices, simulate, UNKNOWN_NETWORK, UNKNOWN_ROUTE } from '@/lib/services/simulation/index.ts';
import { scopeWords, type ImpactRow, type SimulationResult } from '@/lib/simulate/index.ts';
import { simulateCommandLine } from '@/lib/cli/commands/simulate.ts';
import { requirePage } from '../../_lib/session.ts';
import { fmt } from '../_components/estate.tsx';
import { brokenWords, ImpactTable } from './_components/impact-table.tsx';
import { PolicyForm } from './_components/policy-form.tsx';
import { queryString, readQuery, SimulateInputError, simulationRequest, type SimulateQuery, type SP } from './_components/simulate-query.ts';

export const metadata: Metadata = { title: 'Simulate' };

const REQUIRE_WORDS = { mtls: 'mTLS-bound tokens', dpop: 'DPoP-bound tokens', bound: 'bound tokens (mTLS or DPoP)' } as const;

/** The form field a refusal is about, so the form can mark it. */
function fieldOf(e: unknown): keyof SimulateQuery | null {
  if (e instanceof SimulateInputError) return e.field;
  if (!isHoldfastError(e)) return null;
  const reason = (e.details as { reason?: string } | undefined)?.reason;
  if (reason === 'invalid_max_ttl') return 'maxTtl';
  if (reason === 'invalid_route_prefix') return 'route';
  if (reason === 'inverted_range' || reason === 'empty_range' || reason === 'range_too_long') return 'from';
  if (reason === 'invalid_requirement' || reason === 'conflicting_requirements') return 'require';
  if (/^unknown source/.test(e.message)) return 'source';
  if (/^unknown gateway/.test(e.message)) return 'gateway';
  if (/identity kind/.test(e.message)) return 'kind';
  return null;
}

/** A refusal the user can act on (their input); anything else is the server's and propagates. */
function isInputError(e: unknown): e is Error {
  return e instanceof SimulateInputError || (isHoldfastError(e) && (e.code === 'validation_failed' || e.code === 'bad_request'));
}

export default async function SimulatePage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db } = await requirePage('read');
  const q = readQuery(await searchParams);
  const choices = await listScopeChoices(db);
  let r: SimulationResult | null = null;
  let error: Error | null = null;
  if (q.require) {
    try {
      const { policy, from, to } = simulationRequest(q);
      r = await simulate(db, { policy, from, to, limit: 25 });
    } catch (e) {
      if (!isInputError(e)) throw e;
      error = e;
    }
  }
  return (
    <>
      <h1>Simulate enforcement</h1>
      <p className="muted" style={{ marginTop: 0 }}>
        What would requiring sender-constrained tokens have refused, over the evidence already collected? Attacks stopped are requests that
        presented a certificate or key other than the one their token is bound to, or a replayed or invalid proof; legitimate clients that would
        break are the ones to fix first (a rollout plan orders them in waves).
      </p>
      <PolicyForm q={q} sources={choices.sources} gateways={choices.gateways} invalid={fieldOf(error)} />
      {error ? (
        <div className="panel" role="alert" data-testid="simulate-error">
          <p className="error" style={{ margin: 0 }}>Cannot simulate this policy: {error.message}</p>
        </div>
      ) : null}
      {!q.require && !error ? <p className="muted">Choose what to require and where, then Simulate.</p> : null}
      {r ? <Result r={r} q={q} /> : null}
    </>
  );
}

function Result({ r, q }: { r: SimulationResult; q: SimulateQuery }) {
  const n = r.requests;
  const range = { from: r.range.from, to: r.range.to };
  const scope = r.policy.scope ?? {};
  const identityOf = scope.identity ?? {};
  // The plan form and the CLI take every selector the policy has, under the same names.
  const planQuery = queryString({
    require: r.policy.require, maxTtl: r.policy.maxTtlSeconds ? String(r.policy.maxTtlSeconds) : '', source: scope.source, gateway: scope.gateway, route: scope.routePrefix,
    kind: identityOf.kind, identity: identityOf.nameGlob, privileged: identityOf.privileged == null ? '' : identityOf.privileged ? 'yes' : 'no', audience: scope.audience, ...range,
  });
  const cli = simulateCommandLine(r.policy, range);
  // The requests behind a row, over the simulated range (whole hours, as the simulation reads them)
  // and the policy's gateway, source and route prefix: the list filters exactly as the simulation scopes.
  const scoped = { gateway: scope.gateway, source: scope.source, routePrefix: scope.routePrefix, ...range };
  // Failed requests (every verdict but ok) of an identity or token.
  const failures = (p: Record<string, string | null | undefined>) => `/failures${queryString({ failures: 'any', ...p, ...scoped })}`;
  // Every request of a client network or route (all verdicts): what the row counts includes ok
  // requests the policy would refuse (bearer tokens, bound ones sent without their proof), which no
  // failures list holds. ok requests are listed while the ledger keeps them (the dedupe window);
  // the identity, privileged and audience selectors cannot be listed by, so with one of them the
  // list holds the row's requests of every identity.
  const bySelector = Boolean(identityOf.kind || identityOf.nameGlob || identityOf.privileged != null || scope.audience);
  const requests = (p: Record<string, string>) => ({
    href: `/failures${queryString({ failures: 'all', ...p, ...scoped })}`,
    label: bySelector ? 'requests (all identities)' : "the row's requests",
  });
  const example = (x: ImpactRow) => {
    const id = x.exemplarKey ? requestIdOfKey(Buffer.from(x.exemplarKey, 'hex')) : null;
    return id && x.wouldBeRefused > 0 ? { href: `/failures${queryString({ failures: 'any', requestId: id })}`, label: 'a refused request' } : null;
  };
  const where = scopeWords(r.policy.scope);
  const why = brokenWords(r);
  // Per-day figures are averages over whole days; a shorter range is stated as what it is.
  const hours = Math.round((Date.parse(r.range.to) - Date.parse(r.range.from)) / 3_600_000);
  const per = (v: number, total: number) => (hours >= 24 ? `${fmt(v)} per day` : `${fmt(total)} in ${fmt(hours)} h`);
  const when = (iso: string) => iso.replace(/:00\.000Z$/, 'Z').replace('T', ' ');
  return (
    <>
      <p data-testid="simulate-summary">
        Requiring <strong>{REQUIRE_WORDS[r.policy.require]}</strong>
        {r.policy.maxTtlSeconds ? <> with a lifetime of at most {fmt(r.policy.maxTtlSeconds)} s</> : null} ({where}), {when(r.range.from)} – {when(r.range.to)}:{' '}
        {n.total === 0 ? (
          <strong>no request in this range matches the policy&apos;s scope, so nothing would be refused.</strong>
        ) : n.wouldBeRefused === 0 && n.unknown > 0 ? (
          <>none of the {fmt(n.total - n.unknown)} requests Holdfast can judge would be refused, but <strong>{fmt(n.unknown)} cannot be judged</strong>: no token was seen on them.</>
        ) : n.wouldBeRefused === 0 ? (
          <>none of the {fmt(n.total)} requests in scope would be refused.</>
        ) : (
          <>
            <strong>{fmt(n.wouldBeRefused)}</strong> of {fmt(n.total)} requests would be refused{hours >= 24 ? ` (${fmt(r.perDay.wouldBeRefused)} per day)` : ''}:{' '}
            {fmt(n.attacksStopped)} attacks stopped and {fmt(n.legitimateBroken)} from legitimate clients that would break{why ? ` (${why})` : ''}.
          </>
        )}
      </p>
      {n.total === 0 ? (
        <div className="panel" data-testid="simulate-empty">
          <p style={{ margin: 0 }}>
            Nothing to show: the evidence holds no request from {when(r.range.from)} to {when(r.range.to)} that matches {where}. Check the selectors (a route is
            <code> host/path-prefix</code> or <code>/path-prefix</code>), widen the range, or <Link href="/ingest">ingest gateway logs</Link> first.
          </p>
        </div>
      ) : (
        <>
          <div className="kpis" data-testid="simulate-kpis">
            <div className="kpi"><div className="label">Requests in scope</div><div className="value">{fmt(n.total)}</div></div>
            <div className="kpi"><div className="label">Would be refused</div><div className="value">{fmt(n.wouldBeRefused)}</div><div className="sub">{per(r.perDay.wouldBeRefused, n.wouldBeRefused)}</div></div>
            <div className="kpi"><div className="label">Attacks stopped</div><div className="value">{fmt(n.attacksStopped)}</div><div className="sub">{per(r.perDay.attacksStopped, n.attacksStopped)}</div></div>
            <div className={`kpi${n.legitimateBroken ? ' alert' : ''}`}><div className="label">Legitimate, would break</div><div className="value">{fmt(n.legitimateBroken)}</div><div className="sub">{per(r.perDay.legitimateBroken, n.legitimateBroken)}</div></div>
            <div className="kpi"><div className="label">Already refused / invalid</div><div className="value">{fmt(n.alreadyRefused)} / {fmt(n.alreadyInvalid)}</div><div className="sub">not counted as refused</div></div>
            {n.unknown > 0 ? (
              <div className="kpi alert" data-testid="simulate-unknown"><div className="label">Cannot judge</div><div className="value">{fmt(n.unknown)}</div><div className="sub">no token seen: not counted as unaffected</div></div>
            ) : null}
            {n.sameAttackOtherHops > 0 ? (
              <div className="kpi" data-testid="simulate-other-hops"><div className="label">Same attacks, other hops</div><div className="value">{fmt(n.sameAttackOtherHops)}</div><div className="sub">a forged certificate&apos;s path seen at another hop: counted once above</div></div>
            ) : null}
          </div>
          {r.warnings.map((w) => (
            <div key={w} className="panel" role="note" data-testid="simulate-warning"><p style={{ margin: 0 }}><strong>Cannot judge every request.</strong> {w}</p></div>
          ))}
          <ImpactTable title="Identities" noun="Identity" testId="impact-identities" rows={r.identities} total={r.counts.identities}
            name={(x) => (x.identityId ? <Link href={`/identities/${x.identityId}`}>{x.name}</Link> : x.name)}
            evidence={(x) => (x.identityId ? { href: failures({ identity: x.identityId }), label: 'failed requests' } : example(x))} />
          <ImpactTable title="Tokens" noun="Token" testId="impact-tokens" rows={r.tokens} total={r.counts.tokens}
            name={(t) => {
              const label = <><span className="mono">{t.name}</span> <span className="muted">{t.binding}{t.ttlSeconds !== null ? `, TTL ${fmt(t.ttlSeconds)} s` : ''}{t.identityName ? `, ${t.identityName}` : ''}</span></>;
              return t.tokenId ? <Link href={`/tokens/${t.tokenId}`}>{label}</Link> : label;
            }}
            evidence={(t) => (t.tokenId ? { href: failures({ token: t.tokenId }), label: 'failed requests' } : example(t))} />
          <ImpactTable title="Client networks" noun="Network" testId="impact-networks" rows={r.networks} total={r.counts.networks} name={(x) => <span className="mono">{x.name}</span>}
            evidence={(x) => (x.name !== UNKNOWN_NETWORK ? requests({ network: x.name }) : example(x))} />
          <ImpactTable title="Routes" noun="Route" testId="impact-routes" rows={r.routes} total={r.counts.routes} name={(x) => <span className="mono">{x.name}</span>}
            evidence={(x) => (x.name !== UNKNOWN_ROUTE ? requests({ route: x.name }) : example(x))} />
        </>
      )}
      <div className="panel">
        <p style={{ marginTop: 0 }}>
          <Link href={`/plans/new${planQuery}`}>Build a rollout plan from this policy</Link>
        </p>
        <p className="muted" style={{ marginBottom: 0 }}>
          The same with the CLI: <code className="mono" style={{ overflowWrap: 'anywhere' }}>{cli}</code>
        </p>
      </div>
      <p className="muted" style={{ fontSize: '0.85rem' }}>Query took {fmt(r.tookMs)} ms. {q.from || q.to ? '' : 'Default range: the last 30 days.'}</p>
    </>
  );
}
