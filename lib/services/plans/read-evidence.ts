// The per-identity view a plan needs, read from the evidence store for a policy and a time range:
// ok requests from the hourly usage rows (any ok request is compliant unless its token's binding or
// lifetime is not what the policy asks), every other request from the notable rows, which keep each
// one with its exact time, HTTP status (was it refused?), certificate and DPoP key. Aggregated in
// the database; classified per group by lib/plan's classifyRequest. Usage rows are hourly: an ok
// request in the hour `from` falls in counts when the row's last request is at or after `from`
// (ok requests are the compliant ones, so this can only add compliant traffic to that hour).
// The scope is the simulation's (lib/services/simulation/scope.ts): gateway, source and route as
// dimension numbers, privileged and audience on the token; identity kind and name on the identity.
// Lines of spoofed paths move as the simulation moves them (spoofed-paths.ts, spoofedPathCategory).
import type { Database } from '../../db/open.ts';
import { verdictOfCode } from '../../domain/verdict-codes.ts';
import { classifyRequest, type BrokenBy, type PlanIdentityInput, type PlanPolicy, type RequestCategory, type RequestFacts, type Transport } from '../../plan/index.ts';
import { globMatch } from '../../plan/assign-wave.ts';
import { spoofedPathCategory, type SimulationCategory } from '../../simulate/index.ts';
import { DIM } from '../evidence/dims.ts';
import { policyScopeSql, scopeIsEmpty, tokenScopeSql, urlRegex, usageScopeSql, type ResolvedScope } from '../simulation/scope.ts';
import { spoofedPathLinesSql } from '../simulation/spoofed-paths.ts';

interface Group extends RequestFacts {
  identityId: string;
  n: number;
  /** Counted here whatever classifyRequest says: a spoofed path's line (spoofedPathCategory). */
  countAs?: 'attacksStopped' | 'sameAttackOtherHops';
}

/** The plan's request categories in the simulation's words. */
const SIMULATION_CATEGORY: Record<RequestCategory, SimulationCategory> = {
  compliant: 'unaffected', attack: 'attacksStopped', broken: 'legitimateBroken', alreadyRefused: 'alreadyRefused', alreadyInvalid: 'alreadyInvalid', unknown: 'unknown',
};

const ZERO: BrokenBy = { bearerWithCertificate: 0, bearerWithDpopKey: 0, bearerNoKey: 0, boundWithoutProof: 0, contextStripped: 0, ttlOverLimit: 0 };

/** Requests per identity in the policy's scope (resolved by resolveScope) over [from, to), in the simulation's categories. */
export async function readPlanIdentities(db: Database, policy: PlanPolicy, scope: ResolvedScope, range: { from: Date; to: Date }): Promise<PlanIdentityInput[]> {
  if (scopeIsEmpty(scope)) return [];
  const gateway = policy.scope?.gateway ?? null;
  // Each statement numbers its own parameters after the range ($1, $2).
  const args = () => {
    const params: unknown[] = [range.from, range.to];
    return { params, arg: (v: unknown, type: string) => `$${params.push(v)}::${type}` };
  };
  const ok = args();
  const okScope = usageScopeSql(scope, policy, ok.arg).map((c) => `AND ${c}`).join(' ');
  const okRows = await db.query<{ identityId: string; binding: string | null; ttl: number | null; hasCert: boolean; hasJkt: boolean; n: number }>(
    `SELECT u."identityId" AS "identityId", t.binding::text AS binding, t."ttlSeconds" AS ttl, (u.cert IS NOT NULL) AS "hasCert", (u.jkt IS NOT NULL) AS "hasJkt", sum(u.count)::bigint AS n
       FROM evidence."Usage" u
       LEFT JOIN "Token" t ON t.id = u."tokenId"
      WHERE u.verdict = 0 AND u."identityId" IS NOT NULL
        AND u.hour >= date_trunc('hour', $1::timestamptz) AND u.hour < $2 AND u."lastAt" >= $1 AND u."firstAt" < $2 ${okScope}
      GROUP BY 1, 2, 3, 4, 5`,
    ok.params,
  );
  // Notable rows name their gateway and URL in clear; the source is the same dimension number.
  const nb = args();
  const notableScope = [
    scope.gateways ? `n.gateway IN (SELECT value FROM evidence."Dim" WHERE kind = ${DIM.gateway} AND id = ANY(${nb.arg(scope.gateways, 'int[]')}))` : '',
    scope.ns ? `n.ns = ANY(${nb.arg(scope.ns, 'int[]')})` : '',
    policy.scope?.routePrefix ? `n.url ~* ${nb.arg(urlRegex(policy.scope.routePrefix), 'text')}` : '',
    ...tokenScopeSql(policy, nb.arg),
  ].filter(Boolean).map((c) => `AND ${c}`).join(' ');
  // `usageBinding` and `usageJkt` are what the request's usage row is grouped by above: an ok request
  // kept as notable too (a refusal, an anomaly) is counted once, from here, and taken off its usage group.
  const notableRows = await db.query<{ identityId: string; verdict: number; reason: string | null; status: number | null; binding: string | null; ttl: number | null; hasCert: boolean; hasJkt: boolean; usageBinding: string | null; usageJkt: boolean; n: number }>(
    `SELECT n."identityId" AS "identityId", n.verdict, n.reason, n."httpStatus" AS status, coalesce(t.binding::text, n.binding) AS binding, t."ttlSeconds" AS ttl,
            (n."x5tS256" IS NOT NULL OR n."sha1Hex" IS NOT NULL) AS "hasCert", (n.jkt IS NOT NULL OR n."hasDpop") AS "hasJkt",
            t.binding::text AS "usageBinding", (n.jkt IS NOT NULL) AS "usageJkt", count(*)::bigint AS n
       FROM evidence."Notable" n
       LEFT JOIN "Token" t ON t.id = n."tokenId"
      WHERE n."identityId" IS NOT NULL AND n."occurredAt" >= $1 AND n."occurredAt" < $2 ${notableScope}
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`,
    nb.params,
  );
  const okKey = (r: { identityId: string; binding: string | null; ttl: number | null; hasCert: boolean; hasJkt: boolean }) => `${r.identityId}|${r.binding}|${r.ttl}|${r.hasCert}|${r.hasJkt}`;
  const okCounts = new Map(okRows.map((r) => [okKey(r), r]));
  for (const r of notableRows) {
    if (r.verdict !== 0) continue;
    const u = okCounts.get(okKey({ ...r, binding: r.usageBinding, hasJkt: r.usageJkt }));
    if (u) u.n = Math.max(0, Number(u.n) - Number(r.n));
  }
  const nw = args();
  const networkScope = usageScopeSql(scope, policy, nw.arg).map((c) => `AND ${c}`).join(' ');
  const networks = await db.query<{ identityId: string; network: string }>(
    `SELECT DISTINCT u."identityId" AS "identityId", nd.value AS network
       FROM evidence."Usage" u JOIN evidence."Dim" nd ON nd.id = u.network
       LEFT JOIN "Token" t ON t.id = u."tokenId"
      WHERE u."identityId" IS NOT NULL AND u.hour >= date_trunc('hour', $1::timestamptz) AND u.hour < $2 ${networkScope}`,
    nw.params,
  );
  // Lines of spoofed paths, as the simulation reads them (spoofed-paths.ts): each is taken off the
  // group its own verdict put it in above and counted where spoofedPathCategory says (the path's
  // attack once; its other lines, the attacker's request at other hops, never compliant nor broken).
  const sp = args();
  const spScope = policyScopeSql(scope, policy, sp.arg);
  const spoofedRows = await db.query<{ identityId: string; verdict: number; reason: string | null; status: number | null; binding: string | null; ttl: number | null; hasCert: boolean; hasJkt: boolean; attackLine: boolean; n: number }>(
    `SELECT "identityId", verdict, reason, status, binding, ttl, "hasCert", "hasJkt", "attackLine", count(*)::bigint AS n FROM (
       ${spoofedPathLinesSql({
         select: `u."identityId", u.verdict, (SELECT rd.value FROM evidence."Dim" rd WHERE rd.id = u.reason) AS reason, u.status, t.binding::text AS binding, t."ttlSeconds" AS ttl, (u.cert IS NOT NULL) AS "hasCert", (u.jkt IS NOT NULL) AS "hasJkt"`,
         joins: spScope.joins,
         where: ['u."identityId" IS NOT NULL', ...spScope.conds].join(' AND '),
         from: '$1', to: '$2',
       })}
     ) x WHERE "identityId" IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9`,
    sp.params,
  );
  const factsOf = (r: { identityId: string; verdict: number; reason: string | null; status: number | null; binding: string | null; ttl: number | null; hasCert: boolean; hasJkt: boolean }) => ({
    identityId: r.identityId, verdict: verdictOfCode(r.verdict), reason: r.reason, accepted: r.status === null ? null : r.status >= 200 && r.status < 300,
    binding: bindingOf(r.binding), hasCert: r.hasCert, hasJkt: r.hasJkt, ttlSeconds: r.ttl,
  });
  const groups: Group[] = [
    ...okRows.map((r) => ({ identityId: r.identityId, verdict: 'ok', reason: null, accepted: true, binding: bindingOf(r.binding), hasCert: r.hasCert, hasJkt: r.hasJkt, ttlSeconds: r.ttl, n: Number(r.n) })),
    ...notableRows.map((r) => ({ ...factsOf(r), n: Number(r.n) })),
  ];
  for (const r of spoofedRows) {
    const f = factsOf(r);
    const own = SIMULATION_CATEGORY[classifyRequest(f, policy).category];
    const to = spoofedPathCategory(own, r.attackLine);
    if (to === own || (to !== 'attacksStopped' && to !== 'sameAttackOtherHops')) continue;
    groups.push({ ...f, n: -Number(r.n) }, { ...f, n: Number(r.n), countAs: to });
  }
  const ids = [...new Set(groups.map((g) => g.identityId))];
  if (!ids.length) return [];
  const facts = await db.prisma.identity.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, kind: true, transport: true, owner: true, ownerStatus: true } });
  const sel = policy.scope?.identity;
  const byId = new Map<string, PlanIdentityInput>();
  for (const f of facts) {
    if (sel?.kind && f.kind !== sel.kind) continue;
    if (sel?.nameGlob && !globMatch(sel.nameGlob, f.name)) continue;
    byId.set(f.id, {
      name: f.name, identityId: f.id, kind: f.kind, transport: transportOf(f.transport), owner: f.owner, ownerStatus: f.ownerStatus === 'departed' ? 'departed' : 'active',
      requests: { total: 0, wouldBeRefused: 0, attacksStopped: 0, legitimateBroken: 0, alreadyRefused: 0, alreadyInvalid: 0, unknown: 0, sameAttackOtherHops: 0 },
      brokenBy: { ...ZERO }, clientNetworks: [], gateways: gateway ? [gateway] : [], maxTokenTtlSeconds: null,
    });
  }
  for (const g of groups) {
    const i = byId.get(g.identityId);
    if (!i) continue;
    const c = classifyRequest(g, policy);
    const r = i.requests;
    r.total += g.n;
    if (g.countAs === 'sameAttackOtherHops') r.sameAttackOtherHops = (r.sameAttackOtherHops ?? 0) + g.n;
    else if (g.countAs === 'attacksStopped' || c.category === 'attack') r.attacksStopped += g.n;
    else if (c.category === 'broken') {
      r.legitimateBroken += g.n;
      i.brokenBy[c.brokenBy!] += g.n;
    } else if (c.category === 'alreadyRefused') r.alreadyRefused += g.n;
    else if (c.category === 'alreadyInvalid') r.alreadyInvalid += g.n;
    else if (c.category === 'unknown') r.unknown = (r.unknown ?? 0) + g.n;
    r.wouldBeRefused = r.attacksStopped + r.legitimateBroken;
    if (g.ttlSeconds !== null) i.maxTokenTtlSeconds = Math.max(i.maxTokenTtlSeconds ?? 0, g.ttlSeconds);
  }
  for (const n of networks) byId.get(n.identityId)?.clientNetworks.push(n.network);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function bindingOf(b: string | null): RequestFacts['binding'] {
  return b === 'bearer' || b === 'mtls' || b === 'dpop' ? b : null;
}

function transportOf(t: string): Transport {
  return t === 'mesh' || t === 'private_link' || t === 'public' ? t : 'unknown';
}
