// EstateSnapshot from the database with set-based SQL (lib/risk/README.md "SQL aggregates"):
// rows of Identity / Token / Certificate / ExposureFinding plus GROUP BY aggregates of the
// BindingEvent table. Raw events are never loaded; the aggregate shapes are those of
// lib/risk/build-snapshot.ts, and findings.test.ts checks them for equality against it.
import type { Binding, IdentityKind, Transport, Verdict } from '../../domain/types.ts';
import {
  BINDING_FAILURE_VERDICTS,
  DEFAULT_POLICY,
  type CertificateFacts,
  type CredentialUse,
  type EstateSnapshot,
  type ExposureFacts,
  type FailureSeries,
  type IdentityFacts,
  type Policy,
  type RouteUsage,
  type TokenFacts,
  type TokenUsage,
} from '../../risk/index.ts';

/** Runs one SQL statement with $n parameters: `db.query` or a transaction's `$queryRawUnsafe`. */
export type SqlReader = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

const SEEN_CAP = 64;
const inList = (xs: readonly string[]) => xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',');
const FAILING = inList(BINDING_FAILURE_VERDICTS);
const ACCEPTED = inList(['ok', 'bearer_unbound', 'bound_not_enforced']);

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const dateOrNull = (v: unknown): Date | null => (v == null ? null : date(v));
const num = (v: unknown): number => Number(v ?? 0);
const strs = (v: unknown): string[] => (Array.isArray(v) ? (v as unknown[]).filter((x) => x != null).map(String) : []);

export const TOKEN_USAGE_SQL = `
SELECT e."tokenId"::text AS "tokenId",
       count(*)::int AS events,
       min(e."occurredAt") AS "firstSeenAt",
       max(e."occurredAt") AS "lastSeenAt",
       (array_agg(e."x5tS256"  ORDER BY e."occurredAt", e.id))[1] AS "firstX5t",
       (array_agg(e.jkt        ORDER BY e."occurredAt", e.id))[1] AS "firstJkt",
       (array_agg(e."clientIp" ORDER BY e."occurredAt", e.id))[1] AS "firstIp",
       (array_agg(DISTINCT e."x5tS256")  FILTER (WHERE e."x5tS256"  IS NOT NULL))[1:${SEEN_CAP}] AS "x5tS256Seen",
       (array_agg(DISTINCT e.jkt)        FILTER (WHERE e.jkt        IS NOT NULL))[1:${SEEN_CAP}] AS "jktSeen",
       (array_agg(DISTINCT e."clientIp") FILTER (WHERE e."clientIp" IS NOT NULL))[1:${SEEN_CAP}] AS "clientIpsSeen",
       (array_agg(DISTINCT coalesce(lower(substring(e.url from '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]+)')), e.gateway))
          FILTER (WHERE coalesce(e.url, e.gateway) IS NOT NULL))[1:${SEEN_CAP}] AS "audiencesSeen",
       (array_agg(DISTINCT e.gateway) FILTER (WHERE e.gateway IS NOT NULL))[1:${SEEN_CAP}] AS "gatewaysSeen",
       (array_agg(DISTINCT e.gateway) FILTER (WHERE e.verdict = 'bound_not_enforced' AND e.gateway IS NOT NULL))[1:${SEEN_CAP}] AS "notEnforcedAt",
       count(*) FILTER (WHERE e."occurredAt" > t."revokedAt")::int AS "eventsAfterRevocation",
       min(e."occurredAt") FILTER (WHERE e."occurredAt" > t."revokedAt") AS "firstSeenAfterRevocationAt",
       count(*) FILTER (WHERE e."occurredAt" > t."revokedAt" AND e.verdict IN (${ACCEPTED}))::int AS "acceptedAfterRevocation"
FROM "BindingEvent" e JOIN "Token" t ON t.id = e."tokenId"
WHERE e."occurredAt" <= $1::timestamptz
GROUP BY e."tokenId"`;

const TOKEN_VERDICTS_SQL = `
SELECT "tokenId"::text AS "tokenId", verdict, count(*)::int AS n
FROM "BindingEvent" WHERE "tokenId" IS NOT NULL AND "occurredAt" <= $1::timestamptz
GROUP BY "tokenId", verdict`;

const ROUTE_WHERE = `e.gateway IS NOT NULL AND e."occurredAt" > $1::timestamptz - interval '7 days' AND e."occurredAt" <= $1::timestamptz
  AND (t.binding IN ('mtls','dpop') OR e.verdict = 'binding_context_stripped')`;

const ROUTES_SQL = `
SELECT e.gateway, count(*)::int AS "boundTokenEvents",
       count(DISTINCT e."tokenId")::int AS "distinctBoundTokens",
       (array_agg(DISTINCT e."tokenId"::text) FILTER (WHERE e."tokenId" IS NOT NULL))[1:10] AS "sampleTokenIds",
       min(e."occurredAt") AS "firstAt", max(e."occurredAt") AS "lastAt"
FROM "BindingEvent" e LEFT JOIN "Token" t ON t.id = e."tokenId"
WHERE ${ROUTE_WHERE}
GROUP BY e.gateway`;

const ROUTE_VERDICTS_SQL = `
SELECT e.gateway, e.verdict, count(*)::int AS n
FROM "BindingEvent" e LEFT JOIN "Token" t ON t.id = e."tokenId"
WHERE ${ROUTE_WHERE}
GROUP BY e.gateway, e.verdict`;

const failureSql = (days: number) => `
WITH f AS (
  SELECT "identityId", gateway,
         floor(extract(epoch FROM ($1::timestamptz - "occurredAt")) / 86400)::int AS b
  FROM "BindingEvent"
  WHERE verdict IN (${FAILING})
    AND "occurredAt" <= $1::timestamptz AND "occurredAt" > $1::timestamptz - interval '${days} days'
)
SELECT 'identity' AS kind, "identityId"::text AS subject, b, count(*)::int AS n
FROM f WHERE "identityId" IS NOT NULL GROUP BY 2, 3
UNION ALL
SELECT 'gateway', gateway, b, count(*)::int FROM f WHERE gateway IS NOT NULL GROUP BY 2, 3`;

const CREDENTIAL_SQL = `
SELECT 'x5t' AS kind, "x5tS256" AS thumbprint,
       array_agg(DISTINCT "identityId"::text) AS "identityIds",
       count(*)::int AS events, max("occurredAt") AS "lastAt"
FROM "BindingEvent"
WHERE verdict = 'ok' AND "x5tS256" IS NOT NULL AND "identityId" IS NOT NULL
  AND "occurredAt" > $1::timestamptz - interval '30 days' AND "occurredAt" <= $1::timestamptz
GROUP BY "x5tS256" HAVING count(DISTINCT "identityId") > 1
UNION ALL
SELECT 'jkt', jkt, array_agg(DISTINCT "identityId"::text), count(*)::int, max("occurredAt")
FROM "BindingEvent"
WHERE verdict = 'ok' AND jkt IS NOT NULL AND "identityId" IS NOT NULL
  AND "occurredAt" > $1::timestamptz - interval '30 days' AND "occurredAt" <= $1::timestamptz
GROUP BY jkt HAVING count(DISTINCT "identityId") > 1`;

type Row = Record<string, unknown>;

/** Builds the risk engine's input for the whole estate at `now`. */
export async function buildEstateSnapshot(read: SqlReader, now: Date, policy: Policy = DEFAULT_POLICY): Promise<EstateSnapshot> {
  const p = [now.toISOString()];
  // Sequential on purpose: PGlite runs one statement at a time. Rows are ordered by id so the
  // evidence lists (token ids of an identity, …) come out the same on every run — physical row
  // order changes with every UPDATE, and a reordered list would count as changed evidence.
  const identities = (await read<Row>(
    `SELECT id::text, name, kind, owner, "ownerStatus", status, transport, "spiffeId", "decommissionedAt" FROM "Identity" ORDER BY id`,
  )).map(
    (r): IdentityFacts => ({
      id: String(r.id),
      name: String(r.name),
      kind: r.kind as IdentityKind,
      owner: (r.owner as string | null) ?? null,
      ownerStatus: r.ownerStatus === 'departed' ? 'departed' : 'active',
      status: r.status === 'decommissioned' ? 'decommissioned' : 'active',
      transport: r.transport as Transport,
      spiffeId: (r.spiffeId as string | null) ?? null,
      decommissionedAt: dateOrNull(r.decommissionedAt),
    }),
  );
  const tokens = (await read<Row>(
    `SELECT id::text, fingerprint, "identityId"::text AS "identityId", "tokenType", jti, issuer, audience, scopes, "issuedAt", "expiresAt",
            "ttlSeconds", binding::text AS binding, "cnfX5tS256", "cnfJkt", "bindingAnomaly", status, exposure,
            "certificateId"::text AS "certificateId", "firstSeenAt", "lastSeenAt", "revokedAt"
       FROM "Token" ORDER BY id`,
  )).map(
    (r): TokenFacts => ({
      id: String(r.id),
      fingerprint: String(r.fingerprint),
      identityId: String(r.identityId),
      tokenType: r.tokenType === 'refresh' ? 'refresh' : 'access',
      jti: (r.jti as string | null) ?? null,
      issuer: (r.issuer as string | null) ?? null,
      audience: strs(r.audience),
      scopes: strs(r.scopes),
      issuedAt: dateOrNull(r.issuedAt),
      expiresAt: dateOrNull(r.expiresAt),
      ttlSeconds: r.ttlSeconds == null ? null : num(r.ttlSeconds),
      binding: r.binding as Binding,
      cnfX5tS256: (r.cnfX5tS256 as string | null) ?? null,
      cnfJkt: (r.cnfJkt as string | null) ?? null,
      bindingAnomaly: Boolean(r.bindingAnomaly),
      status: r.status === 'revoked' ? 'revoked' : r.status === 'expired' ? 'expired' : 'active',
      exposure: r.exposure === 'exposed' ? 'exposed' : 'none',
      certificateId: (r.certificateId as string | null) ?? null,
      firstSeenAt: date(r.firstSeenAt),
      lastSeenAt: dateOrNull(r.lastSeenAt),
      revokedAt: dateOrNull(r.revokedAt),
    }),
  );
  const certificates = (await read<Row>(
    `SELECT id::text, "x5tS256", "sha1Hex", "subjectDn", "notBefore", "notAfter", status, "identityId"::text AS "identityId", "revokedAt" FROM "Certificate" ORDER BY id`,
  )).map(
    (r): CertificateFacts => ({
      id: String(r.id),
      x5tS256: String(r.x5tS256),
      sha1Hex: (r.sha1Hex as string | null) ?? null,
      subjectDn: (r.subjectDn as string | null) ?? null,
      notBefore: dateOrNull(r.notBefore),
      notAfter: dateOrNull(r.notAfter),
      status: r.status === 'revoked' ? 'revoked' : r.status === 'expired' ? 'expired' : 'active',
      identityId: (r.identityId as string | null) ?? null,
      revokedAt: dateOrNull(r.revokedAt),
    }),
  );
  const exposures = (await read<Row>(
    `SELECT "tokenId"::text AS "tokenId", scanner, location, "commit", "foundAt" FROM "ExposureFinding" WHERE "tokenId" IS NOT NULL ORDER BY id`,
  )).map(
    (r): ExposureFacts => ({
      tokenId: String(r.tokenId),
      scanner: String(r.scanner),
      location: (r.location as string | null) ?? null,
      commit: (r.commit as string | null) ?? null,
      foundAt: date(r.foundAt),
    }),
  );

  const verdictsByToken = new Map<string, Partial<Record<Verdict, number>>>();
  for (const r of await read<Row>(TOKEN_VERDICTS_SQL, p)) {
    const k = String(r.tokenId);
    const m = verdictsByToken.get(k) ?? {};
    m[r.verdict as Verdict] = num(r.n);
    verdictsByToken.set(k, m);
  }
  const tokenUsage = (await read<Row>(TOKEN_USAGE_SQL, p)).map(
    (r): TokenUsage => ({
      tokenId: String(r.tokenId),
      events: num(r.events),
      firstSeenAt: date(r.firstSeenAt),
      lastSeenAt: date(r.lastSeenAt),
      first: { x5tS256: (r.firstX5t as string | null) ?? null, jkt: (r.firstJkt as string | null) ?? null, clientIp: (r.firstIp as string | null) ?? null },
      x5tS256Seen: strs(r.x5tS256Seen).sort(),
      jktSeen: strs(r.jktSeen).sort(),
      clientIpsSeen: strs(r.clientIpsSeen).sort(),
      audiencesSeen: strs(r.audiencesSeen).sort(),
      gatewaysSeen: strs(r.gatewaysSeen).sort(),
      verdictCounts: verdictsByToken.get(String(r.tokenId)) ?? {},
      notEnforcedAt: strs(r.notEnforcedAt).sort(),
      eventsAfterRevocation: num(r.eventsAfterRevocation),
      firstSeenAfterRevocationAt: dateOrNull(r.firstSeenAfterRevocationAt),
      acceptedAfterRevocation: num(r.acceptedAfterRevocation),
    }),
  );

  const verdictsByGateway = new Map<string, Partial<Record<Verdict, number>>>();
  for (const r of await read<Row>(ROUTE_VERDICTS_SQL, p)) {
    const k = String(r.gateway);
    const m = verdictsByGateway.get(k) ?? {};
    m[r.verdict as Verdict] = num(r.n);
    verdictsByGateway.set(k, m);
  }
  const routes = (await read<Row>(ROUTES_SQL, p)).map(
    (r): RouteUsage => ({
      gateway: String(r.gateway),
      route: null,
      boundTokenEvents: num(r.boundTokenEvents),
      verdictCounts: verdictsByGateway.get(String(r.gateway)) ?? {},
      distinctBoundTokens: num(r.distinctBoundTokens),
      sampleTokenIds: strs(r.sampleTokenIds).sort().slice(0, 10),
      firstAt: date(r.firstAt),
      lastAt: date(r.lastAt),
    }),
  );

  const nBuckets = policy.failureSpike.baselineDays + 1;
  const series = new Map<string, FailureSeries>();
  for (const r of await read<Row>(failureSql(nBuckets), p)) {
    const b = num(r.b);
    if (b < 0 || b >= nBuckets) continue;
    const subject: FailureSeries['subject'] = r.kind === 'identity' ? { kind: 'identity', identityId: String(r.subject) } : { kind: 'gateway', gateway: String(r.subject) };
    const k = `${r.kind}:${r.subject}`;
    let s = series.get(k);
    if (!s) {
      s = { subject, buckets: Array<number>(nBuckets).fill(0) };
      series.set(k, s);
    }
    s.buckets[b] = num(r.n);
  }
  const failureSeries = [...series.values()].filter((s) => (s.buckets[0] ?? 0) > 0);

  const credentialUse = (await read<Row>(CREDENTIAL_SQL, p)).map(
    (r): CredentialUse => ({
      kind: r.kind === 'jkt' ? 'jkt' : 'x5t',
      thumbprint: String(r.thumbprint),
      identityIds: strs(r.identityIds).sort(),
      events: num(r.events),
      lastAt: date(r.lastAt),
    }),
  );

  return { identities, tokens, certificates, exposures, tokenUsage, routes, failureSeries, credentialUse };
}
