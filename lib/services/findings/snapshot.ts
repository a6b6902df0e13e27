// EstateSnapshot from the database with set-based SQL (lib/risk/README.md "SQL aggregates"):
// rows of Identity / Token / Certificate / ExposureFinding plus GROUP BY aggregates of the
// evidence store — hourly usage (evidence."Usage") for history, notable requests
// (evidence."Notable") where each request counts (failure series, use after revocation). Requests
// are never loaded one by one; the aggregate shapes are those of lib/risk/build-snapshot.ts, and
// findings.test.ts checks them for equality against it.
import type { Binding, IdentityKind, Transport, Verdict } from '../../domain/types.ts';
import { verdictCode, verdictCodeListSql, verdictOfCode } from '../../domain/verdict-codes.ts';
import { DIM } from '../evidence/dims.ts';
import {
  ACCEPTED_VERDICTS,
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
import type { HopLeak } from '../../risk/snapshot.ts';

/** Runs one SQL statement with $n parameters: `db.query` or a transaction's `$queryRawUnsafe`. */
export type SqlReader = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

const SEEN_CAP = 64;
const FAILING = verdictCodeListSql(BINDING_FAILURE_VERDICTS);
const ACCEPTED = verdictCodeListSql(ACCEPTED_VERDICTS);

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const dateOrNull = (v: unknown): Date | null => (v == null ? null : date(v));
const num = (v: unknown): number => Number(v ?? 0);
const strs = (v: unknown): string[] => (Array.isArray(v) ? (v as unknown[]).filter((x) => x != null).map(String) : []);

// Hourly usage rows (evidence."Usage") with their dimension values: the certificate x5t#S256 (not a
// SHA-1), the DPoP key, the client network, the gateway and the route's host.
const USAGE_VALUES = `
  SELECT u."tokenId", u."identityId", u."count", u."firstAt", u."lastAt", u."verdict",
         c."value" AS x5t, j."value" AS jkt, n."value" AS net, g."value" AS gateway,
         NULLIF(split_part(r."value", ' ', 1), '') AS host
    FROM "evidence"."Usage" u
    LEFT JOIN "evidence"."Dim" c ON c."id" = u."cert" AND c."kind" = ${DIM.cert}
    LEFT JOIN "evidence"."Dim" j ON j."id" = u."jkt"
    LEFT JOIN "evidence"."Dim" n ON n."id" = u."network"
    LEFT JOIN "evidence"."Dim" g ON g."id" = u."gateway"
    LEFT JOIN "evidence"."Dim" r ON r."id" = u."route"`;

export const TOKEN_USAGE_SQL = `
WITH u AS (${USAGE_VALUES} WHERE u."tokenId" IS NOT NULL AND u."firstAt" <= $1::timestamptz)
SELECT u."tokenId"::text AS "tokenId",
       sum(u."count")::int AS events,
       min(u."firstAt") AS "firstSeenAt",
       max(u."lastAt") AS "lastSeenAt",
       (array_agg(u.x5t ORDER BY u."firstAt"))[1] AS "firstX5t",
       (array_agg(u.jkt ORDER BY u."firstAt"))[1] AS "firstJkt",
       (array_agg(u.net ORDER BY u."firstAt"))[1] AS "firstIp",
       (array_agg(DISTINCT u.x5t) FILTER (WHERE u.x5t IS NOT NULL))[1:${SEEN_CAP}] AS "x5tS256Seen",
       (array_agg(DISTINCT u.jkt) FILTER (WHERE u.jkt IS NOT NULL))[1:${SEEN_CAP}] AS "jktSeen",
       (array_agg(DISTINCT u.net) FILTER (WHERE u.net IS NOT NULL))[1:${SEEN_CAP}] AS "clientIpsSeen",
       (array_agg(DISTINCT coalesce(u.host, u.gateway)) FILTER (WHERE coalesce(u.host, u.gateway) IS NOT NULL))[1:${SEEN_CAP}] AS "audiencesSeen",
       (array_agg(DISTINCT u.gateway) FILTER (WHERE u.gateway IS NOT NULL))[1:${SEEN_CAP}] AS "gatewaysSeen",
       (array_agg(DISTINCT u.gateway) FILTER (WHERE u."verdict" = ${verdictCode('bound_not_enforced')} AND u.gateway IS NOT NULL))[1:${SEEN_CAP}] AS "notEnforcedAt"
FROM u GROUP BY u."tokenId"`;

// A revoked token's requests after its revocation: every one of them is kept individually (a
// failure, or an ok request marked as the after_revocation anomaly).
const AFTER_REVOCATION_SQL = `
SELECT n."tokenId"::text AS "tokenId", count(*)::int AS "eventsAfterRevocation",
       min(n."occurredAt") AS "firstSeenAfterRevocationAt",
       count(*) FILTER (WHERE n."verdict" IN ${ACCEPTED})::int AS "acceptedAfterRevocation"
  FROM "evidence"."Notable" n JOIN "Token" t ON t.id = n."tokenId"
 WHERE n."occurredAt" > t."revokedAt" AND n."occurredAt" <= $1::timestamptz
 GROUP BY n."tokenId"`;

const TOKEN_VERDICTS_SQL = `
SELECT "tokenId"::text AS "tokenId", "verdict" AS code, sum("count")::int AS n
FROM "evidence"."Usage" WHERE "tokenId" IS NOT NULL AND "firstAt" <= $1::timestamptz
GROUP BY "tokenId", "verdict"`;

const ROUTE_WHERE = `u.gateway IS NOT NULL AND u."lastAt" > $1::timestamptz - interval '7 days' AND u."firstAt" <= $1::timestamptz
  AND (t.binding IN ('mtls','dpop') OR u."verdict" = ${verdictCode('binding_context_stripped')})`;

const ROUTES_SQL = `
WITH u AS (${USAGE_VALUES})
SELECT u.gateway, sum(u."count")::int AS "boundTokenEvents",
       count(DISTINCT u."tokenId")::int AS "distinctBoundTokens",
       (array_agg(DISTINCT u."tokenId"::text) FILTER (WHERE u."tokenId" IS NOT NULL))[1:10] AS "sampleTokenIds",
       min(u."firstAt") AS "firstAt", max(u."lastAt") AS "lastAt"
FROM u LEFT JOIN "Token" t ON t.id = u."tokenId"
WHERE ${ROUTE_WHERE}
GROUP BY u.gateway`;

const ROUTE_VERDICTS_SQL = `
WITH u AS (${USAGE_VALUES})
SELECT u.gateway, u."verdict" AS code, sum(u."count")::int AS n
FROM u LEFT JOIN "Token" t ON t.id = u."tokenId"
WHERE ${ROUTE_WHERE}
GROUP BY u.gateway, u."verdict"`;

const failureSql = (days: number) => `
WITH f AS (
  SELECT "identityId", gateway,
         floor(extract(epoch FROM ($1::timestamptz - "occurredAt")) / 86400)::int AS b
  FROM "evidence"."Notable"
  WHERE "verdict" IN ${FAILING}
    AND "occurredAt" <= $1::timestamptz AND "occurredAt" > $1::timestamptz - interval '${days} days'
)
SELECT 'identity' AS kind, "identityId"::text AS subject, b, count(*)::int AS n
FROM f WHERE "identityId" IS NOT NULL GROUP BY 2, 3
UNION ALL
SELECT 'gateway', gateway, b, count(*)::int FROM f WHERE gateway IS NOT NULL GROUP BY 2, 3`;

// Only verified presentations (verdict ok) count as an identity using a credential.
const CREDENTIAL_SQL = `
WITH u AS (${USAGE_VALUES} WHERE u."verdict" = ${verdictCode('ok')} AND u."identityId" IS NOT NULL
             AND u."lastAt" > $1::timestamptz - interval '30 days' AND u."firstAt" <= $1::timestamptz)
SELECT 'x5t' AS kind, x5t AS thumbprint, array_agg(DISTINCT "identityId"::text) AS "identityIds", sum("count")::int AS events, max("lastAt") AS "lastAt"
FROM u WHERE x5t IS NOT NULL GROUP BY x5t HAVING count(DISTINCT "identityId") > 1
UNION ALL
SELECT 'jkt', jkt, array_agg(DISTINCT "identityId"::text), sum("count")::int, max("lastAt")
FROM u WHERE jkt IS NOT NULL GROUP BY jkt HAVING count(DISTINCT "identityId") > 1`;

// Hops that lost or replaced the client's certificate on the way to the backend (decided chains,
// evidence."HopUsage"), seen in the last 7 days, per leaking hop × the hop after it × route. A hop is
// named by its source (the Source's name, else the namespace) and its position on the path.
const nsName = (dim: string) => `coalesce((SELECT s.name FROM "Source" s WHERE s.id::text = ${dim}."value"), ${dim}."value")`;
const HOP_LEAKS_SQL = `
SELECT ${nsName('ld')} AS leak,
       CASE WHEN u."leakPos" = 0 THEN 'edge' WHEN u."leakPos" = u."hops" - 1 THEN 'backend' ELSE 'proxy' END AS role,
       ${nsName('od')} AS next, rt."value" AS route,
       coalesce(sum(u."count") FILTER (WHERE u."chainVerdict" = ${verdictCode('binding_context_stripped')}), 0)::int AS stripped,
       coalesce(sum(u."count") FILTER (WHERE u."chainVerdict" = ${verdictCode('spoofed_client_cert')}), 0)::int AS "clientSupplied",
       coalesce(sum(u."count") FILTER (WHERE u."chainVerdict" = ${verdictCode('spoofed_client_cert')} AND u."backendStatus" BETWEEN 200 AND 299), 0)::int AS "clientSuppliedAccepted",
       min(u."firstAt") AS "firstAt", max(u."lastAt") AS "lastAt",
       coalesce(min(u."exemplar") FILTER (WHERE u."chainVerdict" = ${verdictCode('spoofed_client_cert')}), min(u."exemplar")) AS example
  FROM "evidence"."HopUsage" u
  JOIN "evidence"."Dim" ld ON ld."id" = u."leakNs"
  LEFT JOIN "evidence"."Dim" od ON od."id" = u."observedNs"
  LEFT JOIN "evidence"."Dim" rt ON rt."id" = u."route"
 WHERE u."lastAt" > $1::timestamptz - interval '7 days' AND u."firstAt" <= $1::timestamptz
 GROUP BY ld."value", 2, od."value", rt."value"
HAVING sum(u."count") > 0
 ORDER BY 1, 2, 3, 4`;

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
    m[verdictOfCode(num(r.code))] = num(r.n);
    verdictsByToken.set(k, m);
  }
  const afterRevocation = new Map((await read<Row>(AFTER_REVOCATION_SQL, p)).map((r) => [String(r.tokenId), r]));
  const tokenUsage = (await read<Row>(TOKEN_USAGE_SQL, p)).map((r): TokenUsage => {
    const after = afterRevocation.get(String(r.tokenId));
    return {
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
      eventsAfterRevocation: num(after?.eventsAfterRevocation),
      firstSeenAfterRevocationAt: dateOrNull(after?.firstSeenAfterRevocationAt),
      acceptedAfterRevocation: num(after?.acceptedAfterRevocation),
    };
  });

  const verdictsByGateway = new Map<string, Partial<Record<Verdict, number>>>();
  for (const r of await read<Row>(ROUTE_VERDICTS_SQL, p)) {
    const k = String(r.gateway);
    const m = verdictsByGateway.get(k) ?? {};
    m[verdictOfCode(num(r.code))] = num(r.n);
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

  const hopLeaks = (await read<Row>(HOP_LEAKS_SQL, p)).map(
    (r): HopLeak => ({
      hop: { source: String(r.leak), role: r.role === 'edge' ? 'edge' : r.role === 'backend' ? 'backend' : 'proxy' },
      next: String(r.next ?? ''),
      route: (r.route as string | null) ?? null,
      stripped: num(r.stripped),
      clientSupplied: num(r.clientSupplied),
      clientSuppliedAccepted: num(r.clientSuppliedAccepted),
      firstAt: date(r.firstAt),
      lastAt: date(r.lastAt),
      example: (r.example as string | null) ?? null,
    }),
  );

  return { identities, tokens, certificates, exposures, tokenUsage, routes, failureSeries, credentialUse, hopLeaks };
}
