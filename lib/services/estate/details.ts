// Detail queries: one token (claims, binding, gateways that saw it and their verdicts,
// findings, recommendation, mapped controls) and one identity (tokens, certificates, keys,
// failures timeline, findings, owner, risk score with breakdown). Never the raw token (none is
// stored) nor redactedRaw.
import type { Database } from '../../db/open.ts';
import type { FindingRule, IdentityKind, Severity, Transport } from '../../domain/types.ts';
import { verdictCodeListSql, verdictNameSql } from '../../domain/verdict-codes.ts';
import { HoldfastError } from '../../errors.ts';
import { MAPPING_TABLE } from '../../frameworks/index.ts';
import { tokenRevocation, tokenRevocations, tokenStateLabel, type TokenRevocation } from '../../revocation/token-revocation-state.ts';
import { BINDING_FAILURE_VERDICTS, recommend, riskScore, RULE_LABELS, type BindingRecommendation, type RiskScore } from '../../risk/index.ts';
import { listFindings, listTokens, parseFindingFilters, parseTokenFilters, type FindingRow, type TokenRow } from './lists.ts';
import { iso } from './query.ts';
import { isUuid } from '../../domain/uuid.ts';


export interface GatewaySeen {
  gateway: string;
  events: number;
  ok: number;
  failures: number;
  verdicts: Record<string, number>;
  firstAt: string;
  lastAt: string;
}

export interface ControlRef {
  framework: string;
  controlId: string;
  rule: string;
  rationale: string;
}

/**
 * A token's state as people may read it ("revoked" only once its issuer confirmed; otherwise
 * "revocation pending" / "revocation in progress" / "revocation failed") and the revocation behind it, if any.
 */
export interface TokenTruth {
  state: string;
  revocation: TokenRevocation | null;
}

export interface TokenDetail {
  token: TokenRow & TokenTruth & { subject: string | null; clientId: string | null; cnfX5tS256: string | null; cnfJkt: string | null; bindingAnomaly: boolean; certificateId: string | null };
  identity: { id: string; name: string; kind: string; owner: string | null; transport: string };
  gateways: GatewaySeen[];
  findings: FindingRow[];
  recommendation: BindingRecommendation | null;
  controls: ControlRef[];
}

function controlsFor(rules: Iterable<string>): ControlRef[] {
  const out: ControlRef[] = [];
  for (const rule of new Set(rules)) {
    const m = MAPPING_TABLE[rule as FindingRule];
    if (!m) continue;
    for (const [framework, rows] of Object.entries(m)) for (const [controlId, rationale] of rows) out.push({ framework, controlId, rule, rationale });
  }
  return out;
}

export async function getTokenDetail(db: Database, id: string): Promise<TokenDetail> {
  if (!isUuid(id)) throw new HoldfastError('not_found', 'no such token');
  const [x] = await db.query<{
    subject: string | null; clientId: string | null; cnfX5tS256: string | null; cnfJkt: string | null; bindingAnomaly: boolean; certificateId: string | null;
    iid: string; name: string; kind: IdentityKind; owner: string | null; transport: Transport; spiffeId: string | null;
  }>(
    `SELECT t.subject, t."clientId", t."cnfX5tS256", t."cnfJkt", t."bindingAnomaly", t."certificateId"::text AS "certificateId",
            i.id::text AS iid, i.name, i.kind, i.owner, i.transport, i."spiffeId"
       FROM "Token" t JOIN "Identity" i ON i.id = t."identityId" WHERE t.id = $1::uuid`,
    [id],
  );
  if (!x) throw new HoldfastError('not_found', 'no such token');
  const page = await listTokens(db, { ...parseTokenFilters({}), id, sort: 'id', limit: 1 }, {});
  const row = page.items.find((t) => t.id === id);
  if (!row) throw new HoldfastError('not_found', 'no such token');
  // From hourly usage evidence: every request the token made, kept long (not only the ledger's window).
  const gw = await db.query<{ gateway: string; verdict: string; n: number; firstAt: Date | string; lastAt: Date | string }>(
    `SELECT coalesce(g."value", '(unknown)') AS gateway, ${verdictNameSql('u."verdict"')} AS verdict, sum(u."count")::int AS n,
            min(u."firstAt") AS "firstAt", max(u."lastAt") AS "lastAt"
       FROM "evidence"."Usage" u LEFT JOIN "evidence"."Dim" g ON g."id" = u."gateway"
      WHERE u."tokenId" = $1::uuid GROUP BY 1, 2 ORDER BY 1, 2`,
    [id],
  );
  const byGw = new Map<string, GatewaySeen>();
  const failing = new Set<string>(BINDING_FAILURE_VERDICTS);
  for (const r of gw) {
    const g = r.gateway;
    const cur = byGw.get(g) ?? { gateway: g, events: 0, ok: 0, failures: 0, verdicts: {}, firstAt: iso(r.firstAt)!, lastAt: iso(r.lastAt)! };
    const n = r.n;
    cur.events += n;
    if (r.verdict === 'ok') cur.ok += n;
    if (failing.has(r.verdict)) cur.failures += n;
    cur.verdicts[r.verdict] = n;
    if (iso(r.firstAt)! < cur.firstAt) cur.firstAt = iso(r.firstAt)!;
    if (iso(r.lastAt)! > cur.lastAt) cur.lastAt = iso(r.lastAt)!;
    byGw.set(g, cur);
  }
  const findings = (await listFindings(db, { ...parseFindingFilters({}), status: 'all', token: id, limit: 200 }, {})).items;
  const revocation = await tokenRevocation(db, id);
  const identity = {
    id: x.iid,
    name: x.name,
    kind: x.kind,
    owner: x.owner,
    transport: x.transport,
  };
  return {
    token: {
      ...row,
      state: tokenStateLabel(row.status, revocation),
      revocation,
      subject: x.subject,
      clientId: x.clientId,
      cnfX5tS256: x.cnfX5tS256,
      cnfJkt: x.cnfJkt,
      bindingAnomaly: x.bindingAnomaly,
      certificateId: x.certificateId,
    },
    identity,
    gateways: [...byGw.values()].sort((a, b) => b.events - a.events),
    findings,
    recommendation: recommend(row, {
      id: identity.id,
      name: identity.name,
      kind: identity.kind,
      owner: identity.owner,
      ownerStatus: 'active',
      status: 'active',
      transport: identity.transport,
      spiffeId: x.spiffeId,
      decommissionedAt: null,
    }),
    controls: controlsFor(findings.filter((f) => f.status !== 'resolved').map((f) => f.rule)),
  };
}

export interface IdentityDetail {
  identity: {
    id: string;
    name: string;
    displayName: string | null;
    kind: string;
    owner: string | null;
    ownerStatus: string;
    status: string;
    environment: string | null;
    transport: string;
    spiffeId: string | null;
    clientId: string | null;
    createdAt: string;
    lastSeenAt: string | null;
    decommissionedAt: string | null;
  };
  risk: RiskScore;
  tokens: (TokenRow & TokenTruth)[];
  tokensTruncated: boolean;
  certificates: { id: string; x5tS256: string; subjectDn: string | null; issuerDn: string | null; notAfter: string | null; status: string; caName: string | null }[];
  /** DPoP keys (RFC 7638 thumbprints) its tokens are bound to or its events presented. */
  keys: { jkt: string; tokens: number; events: number; lastAt: string | null }[];
  /** Binding failures per day (last 30 days) by verdict. */
  failures: { day: string; verdict: string; n: number }[];
  findings: FindingRow[];
}

export async function getIdentityDetail(db: Database, idOrName: string, now = new Date()): Promise<IdentityDetail> {
  const [i] = await db.query<{
    id: string; name: string; displayName: string | null; kind: string; owner: string | null; ownerStatus: string; status: string; environment: string | null;
    transport: string; spiffeId: string | null; clientId: string | null; createdAt: Date | string; lastSeenAt: Date | string | null; decommissionedAt: Date | string | null;
  }>(
    `SELECT id::text, name, "displayName", kind, owner, "ownerStatus", status, environment, transport, "spiffeId", "clientId", "createdAt", "lastSeenAt", "decommissionedAt"
       FROM "Identity" WHERE ${isUuid(idOrName) ? 'id = $1::uuid' : 'name = $1'}`,
    [idOrName],
  );
  if (!i) throw new HoldfastError('not_found', 'no such identity');
  const id = i.id;
  // Independent reads, started together: on PostgreSQL each runs on its own pooled connection
  // (PGlite serialises them), so the page costs its slowest query rather than their sum.
  const tokensP = listTokens(db, { ...parseTokenFilters({}), identity: id, sort: 'risk', limit: 200 }, {});
  const certificatesP = db.query<{ id: string; x5tS256: string; subjectDn: string | null; issuerDn: string | null; notAfter: Date | string | null; status: string; caName: string | null }>(
    `SELECT id::text, "x5tS256", "subjectDn", "issuerDn", "notAfter", status, "caName" FROM "Certificate" WHERE "identityId" = $1::uuid ORDER BY "notAfter" NULLS LAST LIMIT 200`,
    [id],
  );
  // The identity's usage rows that presented a DPoP key are summed per key number first and only
  // those few numbers are named (evidence."Dim": one value per number within a kind, so the same
  // groups as by name). Joining every usage row of the identity to "Dim" before grouping was a
  // parallel plan of ~130 ms for an identity with 500 usage rows and no key at all.
  const keysP = db.query<{ jkt: string; tokens: number; events: number; lastAt: Date | string | null }>(
    `WITH k AS (SELECT "cnfJkt" AS jkt, count(*)::int AS tokens FROM "Token" WHERE "identityId" = $1::uuid AND "cnfJkt" IS NOT NULL GROUP BY 1),
          u AS (SELECT "jkt", sum("count")::int AS events, max("lastAt") AS "lastAt" FROM "evidence"."Usage"
                 WHERE "identityId" = $1::uuid AND "jkt" IS NOT NULL GROUP BY 1),
          e AS (SELECT d."value" AS jkt, u.events, u."lastAt" FROM u JOIN "evidence"."Dim" d ON d."id" = u."jkt")
     SELECT coalesce(k.jkt, e.jkt) AS jkt, coalesce(k.tokens, 0)::int AS tokens, coalesce(e.events, 0)::int AS events, e."lastAt"
       FROM k FULL JOIN e ON e.jkt = k.jkt ORDER BY 3 DESC, 1 LIMIT 100`,
    [id],
  );
  const failuresP = db.query<{ day: string; verdict: string; n: number }>(
    // From the hourly usage (index on identityId, hour), not the notable rows one by one: a busy
    // identity's bearer requests alone are millions of notable rows a month.
    `SELECT to_char(date_trunc('day', "hour" AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, ${verdictNameSql('"verdict"')} AS verdict, sum("count")::int AS n
       FROM "evidence"."Usage"
      WHERE "identityId" = $1::uuid AND "verdict" IN ${verdictCodeListSql(BINDING_FAILURE_VERDICTS)}
        AND "hour" > $2::timestamptz - interval '30 days' AND "firstAt" <= $2::timestamptz
      GROUP BY 1, 2 HAVING sum("count") <> 0 ORDER BY 1, 2`,
    [id, now.toISOString()],
  );
  const findingsP = listFindings(db, { ...parseFindingFilters({}), status: 'all', identity: id, limit: 500 }, {}, now);
  const revocationsP = tokensP.then((tokens) => tokenRevocations(db, tokens.items.map((t) => t.id)));
  const [tokens, certificateRows, keyRows, failures, findingsPage, revocations] = await Promise.all([tokensP, certificatesP, keysP, failuresP, findingsP, revocationsP]);
  const certificates = certificateRows.map((c) => ({ ...c, notAfter: iso(c.notAfter) }));
  const keys = keyRows.map((k) => ({ ...k, lastAt: iso(k.lastAt) }));
  const findings = findingsPage.items;
  const risk = riskScore(
    findings.map((f) => ({ dedupeKey: f.dedupeKey, rule: f.rule as FindingRule, severity: f.severity as Severity, status: f.status as 'open' | 'acknowledged' | 'resolved' })),
  );
  return {
    identity: {
      id,
      name: i.name,
      displayName: i.displayName,
      kind: i.kind,
      owner: i.owner,
      ownerStatus: i.ownerStatus,
      status: i.status,
      environment: i.environment,
      transport: i.transport,
      spiffeId: i.spiffeId,
      clientId: i.clientId,
      createdAt: iso(i.createdAt)!,
      lastSeenAt: iso(i.lastSeenAt),
      decommissionedAt: iso(i.decommissionedAt),
    },
    risk,
    tokens: tokens.items.map((t) => {
      const revocation = revocations.get(t.id) ?? null;
      return { ...t, state: tokenStateLabel(t.status, revocation), revocation };
    }),
    tokensTruncated: tokens.nextCursor !== null,
    certificates,
    keys,
    failures: failures.map((f) => ({ day: f.day, verdict: f.verdict, n: Number(f.n) })),
    findings,
  };
}

export { RULE_LABELS };
