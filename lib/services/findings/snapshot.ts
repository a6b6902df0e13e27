// EstateSnapshot from the database with set-based SQL (lib/risk/README.md "SQL aggregates"):
// rows of Identity / Token / Certificate / ExposureFinding plus GROUP BY aggregates of the
// evidence store — hourly usage (evidence."Usage") for history, notable requests
// (evidence."Notable") where each request counts (failure series, use after revocation). Requests
// are never loaded one by one; the aggregate shapes are those of lib/risk/build-snapshot.ts, and
// findings.test.ts checks them for equality against it.
import type { Binding, IdentityKind, Transport, Verdict } from '../../domain/types.ts';
import { VERDICT_CODES, verdictCode, verdictCodeListSql, verdictOfCode } from '../../domain/verdict-codes.ts';
import { DIM } from '../evidence/dims.ts';
import { ACCEPTED_SQL } from '../../revocation/receipts.ts';
import { chainReasonCode } from '../evidence/hop-codes.ts';
import {
  BINDING_FAILURE_VERDICTS,
  DEFAULT_POLICY,
  HOP_REPEAT_WINDOW_MS,
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
  sortHeldCredentials,
} from '../../risk/index.ts';
import { networkOrigin } from '../../risk/network-origin.ts';
import type { BelievedPeer, HopLeak, UntrustedPeerBackend, UntrustedPeerNetwork } from '../../risk/snapshot.ts';
import { peerTrusted, storedTrustedProxies, UNTRUSTED_PEER_REASON } from '../../hops/index.ts';

/** Runs one SQL statement with $n parameters: `db.query` or a transaction's `$queryRawUnsafe`. */
export type SqlReader = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

const SEEN_CAP = 64;
/** Example requests per backend of the forwarded_cert_from_untrusted_peer finding. */
const UNTRUSTED_PEER_EXAMPLES = 5;
const FAILING = verdictCodeListSql(BINDING_FAILURE_VERDICTS);

// Timestamps are read as epoch milliseconds (float8, exact at the columns' millisecond precision):
// parsing a number is far cheaper than the driver's timestamp parser, over millions of values.
const ms = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;
const date = (v: unknown): Date => (v instanceof Date ? v : typeof v === 'number' ? new Date(v) : new Date(String(v)));
const dateOrNull = (v: unknown): Date | null => (v == null ? null : date(v));
const num = (v: unknown): number => Number(v ?? 0);
const strs = (v: unknown): string[] => (Array.isArray(v) ? (v as unknown[]).filter((x) => x != null).map(String) : []);
const ints = (v: unknown): number[] => (Array.isArray(v) ? (v as unknown[]).filter((x) => x != null).map(Number) : []);

const VERDICT_COLUMNS = Object.values(VERDICT_CODES);

// One pass over the hourly usage rows (evidence."Usage") per token, on dimension numbers: the
// distinct certificates, DPoP keys, client networks, (route, gateway) pairs and gateways as
// numbers, the numbers of the earliest row, and the requests per verdict. The few values the rules
// read are resolved afterwards (resolveDims): no join of every row to the text dictionary, and
// DISTINCT over integers instead of text.
const tokenUsageSql = (scopeFilter: string) => `
SELECT u."tokenId"::text AS "tokenId",
       sum(u."count")::int AS events,
       ${ms('min(u."firstAt")')} AS "firstSeenAt",
       ${ms('max(u."lastAt")')} AS "lastSeenAt",
       (array_agg(u."cert" ORDER BY u."firstAt"))[1] AS "firstCert",
       (array_agg(u."jkt" ORDER BY u."firstAt"))[1] AS "firstJkt",
       (array_agg(u."network" ORDER BY u."firstAt"))[1] AS "firstNet",
       array_agg(DISTINCT u."cert") FILTER (WHERE u."cert" IS NOT NULL) AS certs,
       array_agg(DISTINCT u."jkt") FILTER (WHERE u."jkt" IS NOT NULL) AS jkts,
       array_agg(DISTINCT u."network") FILTER (WHERE u."network" IS NOT NULL) AS nets,
       array_agg(DISTINCT ARRAY[u."route", u."gateway"]) FILTER (WHERE u."route" IS NOT NULL OR u."gateway" IS NOT NULL) AS auds,
       array_agg(DISTINCT u."gateway") FILTER (WHERE u."gateway" IS NOT NULL) AS gws,
       array_agg(DISTINCT u."gateway") FILTER (WHERE u."verdict" = ${verdictCode('bound_not_enforced')} AND u."gateway" IS NOT NULL) AS ne,
       ${VERDICT_COLUMNS.map((c) => `sum(u."count") FILTER (WHERE u."verdict" = ${c})::int AS v${c}`).join(',\n       ')}
  FROM "evidence"."Usage" u
 WHERE u."tokenId" IS NOT NULL AND u."firstAt" <= $1::timestamptz ${scopeFilter}
 GROUP BY u."tokenId"`;

interface DimValue {
  kind: number;
  value: string;
}

/** The dictionary entries of the given numbers (one indexed lookup for all of them). */
async function resolveDims(read: SqlReader, ids: Set<number>): Promise<Map<number, DimValue>> {
  const out = new Map<number, DimValue>();
  if (ids.size === 0) return out;
  const rows = await read<Row>(`SELECT d."id", d."kind", d."value" FROM "evidence"."Dim" d WHERE d."id" = ANY($1::int[])`, [[...ids]]);
  for (const r of rows) out.set(num(r.id), { kind: num(r.kind), value: String(r.value) });
  return out;
}

/** Distinct values, sorted, the first `SEEN_CAP` (the database's collation is byte order, as JS sorts ASCII). */
function capped(values: Iterable<string | null>): string[] {
  const set = new Set<string>();
  for (const v of values) if (v !== null) set.add(v);
  return [...set].sort().slice(0, SEEN_CAP);
}

// A revoked token's requests after its revocation: every one of them is kept individually (a
// failure, or an ok request marked as the after_revocation anomaly).
// Accepted as the receipts say it: by the status the gateway answered (a refused bearer token still
// has the verdict bearer_unbound), by the verdict only when no status was logged.
const afterRevocationSql = (scopeFilter: string) => `
SELECT t.id::text AS "tokenId", count(*)::int AS "eventsAfterRevocation",
       ${ms('min(n."occurredAt")')} AS "firstSeenAfterRevocationAt",
       count(*) FILTER (WHERE ${ACCEPTED_SQL('n')})::int AS "acceptedAfterRevocation"
  FROM "Token" t JOIN "evidence"."Notable" n ON n."tokenId" = t.id AND n."occurredAt" > t."revokedAt" AND n."occurredAt" <= $1::timestamptz
 WHERE t."revokedAt" IS NOT NULL ${scopeFilter}
 GROUP BY t.id`;

// Lines of a token's bound_not_enforced requests that repeat a request already counted: the same
// request logged at another hop (another source, the same propagated id — correlation id, else the
// line's own request id — within HOP_REPEAT_WINDOW_MS after an earlier line). The rule of
// lib/risk/repeated-hop-lines.ts, over the notable requests (every bound_not_enforced request is one).
const notEnforcedRepeatsSql = (scopeFilter: string) => `
SELECT n."tokenId"::text AS "tokenId", count(*)::int AS repeats
  FROM "evidence"."Notable" n
 WHERE n."verdict" = ${verdictCode('bound_not_enforced')} AND n."tokenId" IS NOT NULL AND n."occurredAt" <= $1::timestamptz
   AND coalesce(n."correlationId", n."requestId") IS NOT NULL ${scopeFilter}
   AND EXISTS (
     SELECT 1 FROM "evidence"."Notable" m
      WHERE m."tokenId" = n."tokenId" AND m."verdict" = n."verdict" AND m."ns" <> n."ns"
        AND coalesce(m."correlationId", m."requestId") = coalesce(n."correlationId", n."requestId")
        AND m."occurredAt" >= n."occurredAt" - interval '${HOP_REPEAT_WINDOW_MS} milliseconds'
        AND (m."occurredAt", m."id") < (n."occurredAt", n."id"))
 GROUP BY n."tokenId"`;

// Gateways that saw sender-constrained tokens (or stripped context) in the last 7 days: the rows
// read once, on gateway numbers; the gateway's name resolved per gateway.
const ROUTES_SQL = `
WITH u AS MATERIALIZED (
  SELECT u."gateway", u."verdict", u."tokenId", u."count", u."firstAt", u."lastAt"
    FROM "evidence"."Usage" u LEFT JOIN "Token" t ON t.id = u."tokenId"
   WHERE u."gateway" IS NOT NULL AND u."lastAt" > $1::timestamptz - interval '7 days' AND u."firstAt" <= $1::timestamptz
     AND (t.binding IN ('mtls','dpop') OR u."verdict" = ${verdictCode('binding_context_stripped')})),
g AS (
  SELECT u."gateway", sum(u."count")::int AS "boundTokenEvents",
         count(DISTINCT u."tokenId")::int AS "distinctBoundTokens",
         count(DISTINCT u."tokenId") FILTER (WHERE u."verdict" = ${verdictCode('binding_context_stripped')})::int AS "strippedTokens",
         (array_agg(DISTINCT u."tokenId"::text) FILTER (WHERE u."tokenId" IS NOT NULL))[1:10] AS "sampleTokenIds",
         min(u."firstAt") AS "firstAt", max(u."lastAt") AS "lastAt"
    FROM u GROUP BY u."gateway"),
v AS (
  SELECT x."gateway", array_agg(x."verdict" ORDER BY x."verdict") AS codes, array_agg(x.n ORDER BY x."verdict") AS counts
    FROM (SELECT u."gateway", u."verdict", sum(u."count")::int AS n FROM u GROUP BY 1, 2) x GROUP BY x."gateway")
SELECT d."value" AS gateway, g."boundTokenEvents", g."distinctBoundTokens", g."strippedTokens", g."sampleTokenIds",
       ${ms('g."firstAt"')} AS "firstAt", ${ms('g."lastAt"')} AS "lastAt", v.codes, v.counts
  FROM g JOIN "evidence"."Dim" d ON d."id" = g."gateway" LEFT JOIN v ON v."gateway" = g."gateway"
 ORDER BY d."value"`;

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

// Only verified presentations (verdict ok) count as an identity using a credential. Grouped by
// dimension number (one number per certificate or key); only shared ones are resolved.
const CREDENTIAL_SQL = `
WITH u AS MATERIALIZED (
  SELECT u."identityId", u."cert", u."jkt", u."count", u."lastAt" FROM "evidence"."Usage" u
   WHERE u."verdict" = ${verdictCode('ok')} AND u."identityId" IS NOT NULL AND (u."cert" IS NOT NULL OR u."jkt" IS NOT NULL)
     AND u."lastAt" > $1::timestamptz - interval '30 days' AND u."firstAt" <= $1::timestamptz),
x AS (
  SELECT u."cert" AS dim, array_agg(DISTINCT u."identityId"::text) AS ids, sum(u."count")::int AS events, max(u."lastAt") AS "lastAt"
    FROM u WHERE u."cert" IS NOT NULL GROUP BY u."cert" HAVING count(DISTINCT u."identityId") > 1),
j AS (
  SELECT u."jkt" AS dim, array_agg(DISTINCT u."identityId"::text) AS ids, sum(u."count")::int AS events, max(u."lastAt") AS "lastAt"
    FROM u WHERE u."jkt" IS NOT NULL GROUP BY u."jkt" HAVING count(DISTINCT u."identityId") > 1)
SELECT 'x5t' AS kind, d."value" AS thumbprint, x.ids AS "identityIds", x.events, ${ms('x."lastAt"')} AS "lastAt"
  FROM x JOIN "evidence"."Dim" d ON d."id" = x.dim AND d."kind" = ${DIM.cert}
UNION ALL
SELECT 'jkt', d."value", j.ids, j.events, ${ms('j."lastAt"')}
  FROM j JOIN "evidence"."Dim" d ON d."id" = j.dim`;

// Hops that lost or replaced the client's certificate on the way to the backend (decided chains,
// evidence."HopUsage"), seen in the last 7 days, per leaking hop × the hop after it × route. A hop is
// named by its source (the Source's name, else the namespace) and its position on the path.
// Stripped: chains that lost the certificate (reason certificate_stripped), whatever verdict the path
// got (a stolen token through a stripping edge is binding_mismatch, lib/hops decideChain), except
// bearer tokens: nothing that binds was lost.
const nsName = (dim: string) => `coalesce((SELECT s.name FROM "Source" s WHERE s.id::text = ${dim}."value"), ${dim}."value")`;
const HOP_LEAKS_SQL = `
SELECT ${nsName('ld')} AS leak,
       CASE WHEN u."leakPos" = 0 THEN 'edge' WHEN u."leakPos" = u."hops" - 1 THEN 'backend' ELSE 'proxy' END AS role,
       ${nsName('od')} AS next, rt."value" AS route,
       coalesce(sum(u."count") FILTER (WHERE u."chainReason" = ${chainReasonCode('certificate_stripped')} AND u."chainVerdict" <> ${verdictCode('bearer_unbound')}), 0)::int AS stripped,
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

// Backends that believed a forwarded certificate header from a TCP peer outside their trusted
// proxies (reason forwarded_cert_untrusted_peer): every such request is a notable one (verdict
// spoofed_client_cert), read over the last 7 days through the verdict index. Per source, per peer
// (the peer where the log kept it apart from the client, else the client address), the owners of
// the certificates claimed (the certificate's identity, else the identity of tokens bound to it),
// and the latest requests as examples.
const UNTRUSTED_PEER_ROWS = `
  SELECT n."ns", n."gateway", coalesce(n."peerIp", n."clientIp") AS peer, n."httpStatus", n."occurredAt", n."id", n."x5tS256",
         n."method", n."url", coalesce(n."correlationId", n."requestId") AS rid
    FROM "evidence"."Notable" n
   WHERE n."verdict" = ${verdictCode('spoofed_client_cert')} AND n."reason" = $2
     AND n."occurredAt" > $1::timestamptz - interval '7 days' AND n."occurredAt" <= $1::timestamptz`;
const UNTRUSTED_PEER_SQL = `
WITH n AS MATERIALIZED (${UNTRUSTED_PEER_ROWS})
SELECT ${nsName('d')} AS source, n.peer, count(*)::int AS requests,
       count(*) FILTER (WHERE n."httpStatus" BETWEEN 200 AND 299)::int AS accepted,
       ${ms('min(n."occurredAt")')} AS "firstAt", ${ms('max(n."occurredAt")')} AS "lastAt",
       array_agg(DISTINCT n."gateway") FILTER (WHERE n."gateway" IS NOT NULL) AS gateways,
       array_agg(DISTINCT n."x5tS256") FILTER (WHERE n."x5tS256" IS NOT NULL) AS certs
  FROM n JOIN "evidence"."Dim" d ON d."id" = n."ns"
 GROUP BY d."value", n.peer
 ORDER BY 1, 2`;
const UNTRUSTED_PEER_CLAIMED_SQL = `
WITH n AS MATERIALIZED (SELECT DISTINCT r."ns", r.peer, r."x5tS256" FROM (${UNTRUSTED_PEER_ROWS}) r WHERE r."x5tS256" IS NOT NULL)
SELECT DISTINCT ${nsName('d')} AS source, n.peer, i.name AS identity
  FROM n JOIN "evidence"."Dim" d ON d."id" = n."ns"
  JOIN "Identity" i ON i.id IN (SELECT c."identityId" FROM "Certificate" c WHERE c."x5tS256" = n."x5tS256"
                                 UNION SELECT t."identityId" FROM "Token" t WHERE t."cnfX5tS256" = n."x5tS256")
 ORDER BY 1, 3, 2`;
const UNTRUSTED_PEER_EXAMPLES_SQL = `
SELECT ${nsName('d')} AS source, e.peer, e.method, e.url, e."httpStatus", e.rid, e."x5tS256", ${ms('e."occurredAt"')} AS "occurredAt"
  FROM (SELECT r.*, row_number() OVER (PARTITION BY r."ns" ORDER BY r."occurredAt" DESC, r."id" DESC) AS k FROM (${UNTRUSTED_PEER_ROWS}) r) e
  JOIN "evidence"."Dim" d ON d."id" = e."ns"
 WHERE e.k <= ${UNTRUSTED_PEER_EXAMPLES}
 ORDER BY 1, e."occurredAt" DESC, e."id" DESC`;

// Peers a source's trusted proxies exclude now whose forwarded certificates were believed before,
// the latest of them in the last 7 days (as the requests above): from the source's forwarders,
// filtered against its current trusted proxies in JS (readBelievedEarlier).
const BELIEVED_FORWARDERS_SQL = `
SELECT s.name AS source, s."trustedProxies", f.peer, f."believedLines"::float8 AS lines,
       ${ms('f."firstSeenAt"')} AS "firstAt", ${ms('f."lastBelievedAt"')} AS "lastAt"
  FROM "SourceForwarder" f JOIN "Source" s ON s.id = f."sourceId"
 WHERE cardinality(s."trustedProxies") > 0 AND f."believedLines" > 0
   AND f."lastBelievedAt" > $1::timestamptz - interval '7 days' AND f."firstSeenAt" <= $1::timestamptz
 ORDER BY 1, f."believedLines" DESC, f.peer`;
/** Believed peers kept per backend. */
const BELIEVED_PEERS = 20;

type Row = Record<string, unknown>;
/** Epoch milliseconds as ms() selects them (float8: a number on both drivers). */
type Ms = number | null;
interface IdentityRow { id: string; name: string; kind: IdentityKind; owner: string | null; ownerStatus: string; status: string; transport: Transport; spiffeId: string | null; decommissionedAt: Ms }
interface TokenRowIn {
  id: string; fingerprint: string; identityId: string; tokenType: string; jti: string | null; issuer: string | null;
  audience: string[] | null; scopes: string[] | null; issuedAt: Ms; expiresAt: Ms; ttlSeconds: number | null; binding: Binding;
  cnfX5tS256: string | null; cnfJkt: string | null; bindingAnomaly: boolean; status: string; exposure: string;
  certificateId: string | null; firstSeenAt: number; lastSeenAt: Ms; revokedAt: Ms;
}
interface CertificateRowIn { id: string; x5tS256: string; sha1Hex: string | null; subjectDn: string | null; notBefore: Ms; notAfter: Ms; status: string; identityId: string | null; revokedAt: Ms }
interface ExposureRowIn { tokenId: string; scanner: string; location: string | null; commit: string | null; foundAt: Date | string }
interface HopLeakRowIn { leak: string; role: string; next: string | null; route: string | null; stripped: number; clientSupplied: number; clientSuppliedAccepted: number; firstAt: Date | string; lastAt: Date | string; example: string | null }

/** The tokens a scoped snapshot is about (lib/risk/scope.ts). */
export interface SnapshotScope {
  tokenIds: readonly string[];
}

// A scoped snapshot's row filters, the token ids in parameter $n (statements that read the clock
// take it as $1 and the ids as $2; the others the ids as $1); the rows of scopeSnapshotToTokens.
const scopeWhere = (n: 1 | 2) => {
  const SCOPE_TOKENS = `SELECT unnest($${n}::uuid[])`;
  const SCOPE_IDENTITIES = `SELECT DISTINCT "identityId" FROM "Token" WHERE id IN (${SCOPE_TOKENS})`;
  return {
  tokens: `WHERE t.id IN (${SCOPE_TOKENS})`,
  certificates: `WHERE c."identityId" IN (${SCOPE_IDENTITIES})
      OR c.id IN (SELECT "certificateId" FROM "Token" WHERE id IN (${SCOPE_TOKENS}))
      OR c."x5tS256" IN (SELECT "cnfX5tS256" FROM "Token" WHERE id IN (${SCOPE_TOKENS}))`,
  exposures: `AND "tokenId" IN (${SCOPE_TOKENS})`,
  afterRevocation: `AND t.id IN (${SCOPE_TOKENS})`,
  notEnforcedRepeats: `AND n."tokenId" IN (${SCOPE_TOKENS})`,
  usage: `AND u."tokenId" IN (${SCOPE_TOKENS})`,
  // What the scoped identities hold through their tokens outside the scope.
  heldCredentials: `
SELECT h."identityId", h.kind, h.thumbprint FROM (
  SELECT t."identityId"::text AS "identityId", 'x5t' AS kind, t."cnfX5tS256" AS thumbprint FROM "Token" t
   WHERE t."identityId" IN (${SCOPE_IDENTITIES}) AND t.id NOT IN (${SCOPE_TOKENS}) AND t."cnfX5tS256" IS NOT NULL
  UNION
  SELECT t."identityId"::text, 'jkt', t."cnfJkt" FROM "Token" t
   WHERE t."identityId" IN (${SCOPE_IDENTITIES}) AND t.id NOT IN (${SCOPE_TOKENS}) AND t."cnfJkt" IS NOT NULL) h`,
  };
};

/**
 * Builds the risk engine's input at `now`: for the whole estate, or with `scope` for some tokens
 * only (what TOKEN_RULES need to decide those tokens; lib/risk/scope.ts defines it).
 */
export async function buildEstateSnapshot(read: SqlReader, now: Date, policy: Policy = DEFAULT_POLICY, scope?: SnapshotScope): Promise<EstateSnapshot> {
  const p: unknown[] = scope ? [now.toISOString(), [...scope.tokenIds]] : [now.toISOString()];
  // Statements without the clock: the ids alone, as $1.
  const ids = scope ? [[...scope.tokenIds]] : undefined;
  const only = (part: Exclude<keyof ReturnType<typeof scopeWhere>, 'heldCredentials'>) =>
    (scope ? scopeWhere(part === 'afterRevocation' || part === 'usage' || part === 'notEnforcedRepeats' ? 2 : 1)[part] : '');
  // Sequential on purpose: PGlite runs one statement at a time. Rows are ordered by id so the
  // evidence lists (token ids of an identity, …) come out the same on every run — physical row
  // order changes with every UPDATE, and a reordered list would count as changed evidence. The
  // uuid column's order (byte order) is the order of its text form, and needs no text sort.
  const tokens = (await read<TokenRowIn>(
    `SELECT t.id::text, fingerprint, "identityId"::text AS "identityId", "tokenType", jti, issuer, audience, scopes,
            ${ms('"issuedAt"')} AS "issuedAt", ${ms('"expiresAt"')} AS "expiresAt",
            "ttlSeconds", binding::text AS binding, "cnfX5tS256", "cnfJkt", "bindingAnomaly", status, exposure,
            "certificateId"::text AS "certificateId", ${ms('"firstSeenAt"')} AS "firstSeenAt", ${ms('"lastSeenAt"')} AS "lastSeenAt",
            ${ms('"revokedAt"')} AS "revokedAt"
       FROM "Token" t ${only('tokens')} ORDER BY t.id`,
    ids,
  )).map(
    (r): TokenFacts => ({
      id: r.id,
      fingerprint: r.fingerprint,
      identityId: r.identityId,
      tokenType: r.tokenType === 'refresh' ? 'refresh' : 'access',
      jti: r.jti,
      issuer: r.issuer,
      audience: strs(r.audience),
      scopes: strs(r.scopes),
      issuedAt: dateOrNull(r.issuedAt),
      expiresAt: dateOrNull(r.expiresAt),
      ttlSeconds: r.ttlSeconds == null ? null : num(r.ttlSeconds),
      binding: r.binding,
      cnfX5tS256: r.cnfX5tS256,
      cnfJkt: r.cnfJkt,
      bindingAnomaly: r.bindingAnomaly,
      status: r.status === 'revoked' ? 'revoked' : r.status === 'expired' ? 'expired' : 'active',
      exposure: r.exposure === 'exposed' ? 'exposed' : 'none',
      certificateId: r.certificateId,
      firstSeenAt: date(r.firstSeenAt),
      lastSeenAt: dateOrNull(r.lastSeenAt),
      revokedAt: dateOrNull(r.revokedAt),
    }),
  );
  const identities = (await read<IdentityRow>(
    `SELECT i.id::text, name, kind, owner, "ownerStatus", status, transport, "spiffeId", ${ms('"decommissionedAt"')} AS "decommissionedAt"
       FROM "Identity" i ${scope ? 'WHERE i.id = ANY($1::uuid[])' : ''} ORDER BY i.id`,
    // Scoped: the identities of the tokens just read (reading them through "Token" again costs a
    // second random read of every scoped token's row).
    scope ? [[...new Set(tokens.map((t) => t.identityId))]] : undefined,
  )).map(
    (r): IdentityFacts => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      owner: r.owner,
      ownerStatus: r.ownerStatus === 'departed' ? 'departed' : 'active',
      status: r.status === 'decommissioned' ? 'decommissioned' : 'active',
      transport: r.transport,
      spiffeId: r.spiffeId,
      decommissionedAt: dateOrNull(r.decommissionedAt),
    }),
  );
  const certificates = (await read<CertificateRowIn>(
    `SELECT c.id::text, "x5tS256", "sha1Hex", "subjectDn", ${ms('"notBefore"')} AS "notBefore", ${ms('"notAfter"')} AS "notAfter", status,
            "identityId"::text AS "identityId", ${ms('"revokedAt"')} AS "revokedAt" FROM "Certificate" c ${only('certificates')} ORDER BY c.id`,
    ids,
  )).map(
    (r): CertificateFacts => ({
      id: r.id,
      x5tS256: r.x5tS256,
      sha1Hex: r.sha1Hex,
      subjectDn: r.subjectDn,
      notBefore: dateOrNull(r.notBefore),
      notAfter: dateOrNull(r.notAfter),
      status: r.status === 'revoked' ? 'revoked' : r.status === 'expired' ? 'expired' : 'active',
      identityId: r.identityId,
      revokedAt: dateOrNull(r.revokedAt),
    }),
  );
  const exposures = (await read<ExposureRowIn>(
    `SELECT "tokenId"::text AS "tokenId", scanner, location, "commit", "foundAt" FROM "ExposureFinding" WHERE "tokenId" IS NOT NULL ${only('exposures')} ORDER BY id`,
    ids,
  )).map(
    (r): ExposureFacts => ({
      tokenId: r.tokenId,
      scanner: r.scanner,
      location: r.location,
      commit: r.commit,
      foundAt: date(r.foundAt),
    }),
  );

  const afterRevocation = new Map((await read<Row>(afterRevocationSql(only('afterRevocation')), p)).map((r) => [String(r.tokenId), r]));
  const usageRows = await read<Row>(tokenUsageSql(only('usage')), p);
  const repeats = new Map((await read<Row>(notEnforcedRepeatsSql(only('notEnforcedRepeats')), p)).map((r) => [String(r.tokenId), num(r.repeats)]));
  const dimIds = new Set<number>();
  const addIds = (v: unknown) => {
    for (const id of ints(v)) dimIds.add(id);
  };
  for (const r of usageRows) {
    for (const c of ['firstCert', 'firstJkt', 'firstNet'] as const) if (r[c] != null) dimIds.add(num(r[c]));
    addIds(r.certs);
    addIds(r.jkts);
    addIds(r.nets);
    addIds(r.gws);
    for (const pair of Array.isArray(r.auds) ? (r.auds as unknown[]) : []) addIds(pair);
  }
  const dims = await resolveDims(read, dimIds);
  const value = (id: unknown): string | null => (id == null ? null : (dims.get(num(id))?.value ?? null));
  // The certificate column also holds SHA-1 thumbprints (DIM.certSha1): only x5t#S256 counts.
  const x5t = (id: unknown): string | null => {
    const d = id == null ? undefined : dims.get(num(id));
    return d && d.kind === DIM.cert ? d.value : null;
  };
  // Service a request went to: the route's host, else the gateway name (as audienceOf).
  const audience = (pair: unknown): string | null => {
    const [route, gateway] = Array.isArray(pair) ? (pair as unknown[]) : [];
    const host = route == null ? null : (value(route)?.split(' ', 1)[0] ?? null);
    return host ? host : value(gateway);
  };
  const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
  const tokenUsage = usageRows.map((r): TokenUsage => {
    const after = afterRevocation.get(String(r.tokenId));
    const verdictCounts: Partial<Record<Verdict, number>> = {};
    for (const c of VERDICT_COLUMNS) {
      const n = r[`v${c}`];
      if (n != null) verdictCounts[verdictOfCode(c)] = num(n);
    }
    return {
      tokenId: String(r.tokenId),
      events: num(r.events),
      firstSeenAt: date(r.firstSeenAt),
      lastSeenAt: date(r.lastSeenAt),
      first: { x5tS256: x5t(r.firstCert), jkt: value(r.firstJkt), clientIp: value(r.firstNet) },
      x5tS256Seen: capped(ints(r.certs).map(x5t)),
      jktSeen: capped(ints(r.jkts).map(value)),
      clientIpsSeen: capped(ints(r.nets).map(value)),
      audiencesSeen: capped(asArray(r.auds).map(audience)),
      gatewaysSeen: capped(ints(r.gws).map(value)),
      verdictCounts,
      notEnforcedAt: capped(ints(r.ne).map(value)),
      notEnforcedRequests: (verdictCounts.bound_not_enforced ?? 0) - (repeats.get(String(r.tokenId)) ?? 0),
      eventsAfterRevocation: num(after?.eventsAfterRevocation),
      firstSeenAfterRevocationAt: dateOrNull(after?.firstSeenAfterRevocationAt),
      acceptedAfterRevocation: num(after?.acceptedAfterRevocation),
    };
  });

  if (scope) {
    const heldCredentials = sortHeldCredentials(
      (await read<{ identityId: string; kind: string; thumbprint: string }>(scopeWhere(1).heldCredentials, ids)).map((r) => ({
        identityId: r.identityId,
        kind: r.kind === 'jkt' ? ('jkt' as const) : ('x5t' as const),
        thumbprint: r.thumbprint,
      })),
    );
    return { identities, tokens, certificates, exposures, tokenUsage, routes: [], failureSeries: [], credentialUse: [], hopLeaks: [], untrustedPeerBackends: [], heldCredentials };
  }

  const routes = (await read<Row>(ROUTES_SQL, p)).map((r): RouteUsage => {
    const verdictCounts: Partial<Record<Verdict, number>> = {};
    const counts = asArray(r.counts);
    asArray(r.codes).forEach((c, i) => {
      verdictCounts[verdictOfCode(num(c))] = num(counts[i]);
    });
    return {
      gateway: String(r.gateway),
      route: null,
      boundTokenEvents: num(r.boundTokenEvents),
      verdictCounts,
      distinctBoundTokens: num(r.distinctBoundTokens),
      strippedTokens: num(r.strippedTokens),
      sampleTokenIds: strs(r.sampleTokenIds).sort().slice(0, 10),
      firstAt: date(r.firstAt),
      lastAt: date(r.lastAt),
    };
  });

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

  const hopLeaks = (await read<HopLeakRowIn>(HOP_LEAKS_SQL, p)).map(
    (r): HopLeak => ({
      hop: { source: r.leak, role: r.role === 'edge' ? 'edge' : r.role === 'backend' ? 'backend' : 'proxy' },
      next: r.next ?? '',
      route: r.route,
      stripped: num(r.stripped),
      clientSupplied: num(r.clientSupplied),
      clientSuppliedAccepted: num(r.clientSuppliedAccepted),
      firstAt: date(r.firstAt),
      lastAt: date(r.lastAt),
      example: r.example,
    }),
  );

  const untrustedPeerBackends = await readUntrustedPeerBackends(read, now, policy);

  return { identities, tokens, certificates, exposures, tokenUsage, routes, failureSeries, credentialUse, hopLeaks, untrustedPeerBackends };
}

/** Per source, the forwarders outside its trusted proxies now that were believed before (BELIEVED_FORWARDERS_SQL), most lines first. */
async function readBelievedEarlier(read: SqlReader, now: Date): Promise<Map<string, BelievedPeer[]>> {
  const rows = await read<{ source: string; trustedProxies: string[]; peer: string; lines: number; firstAt: Ms; lastAt: Ms }>(BELIEVED_FORWARDERS_SQL, [now.toISOString()]);
  const out = new Map<string, BelievedPeer[]>();
  for (const r of rows) {
    if (peerTrusted(storedTrustedProxies(r.trustedProxies), r.peer) !== false) continue;
    const list = out.get(r.source) ?? [];
    list.push({ peer: r.peer, lines: num(r.lines), firstAt: date(r.firstAt), lastAt: date(r.lastAt) });
    out.set(r.source, list);
  }
  return out;
}

/** The backends that believed forged certificate headers, by source (UNTRUSTED_PEER_SQL), and the peers believed before their trusted proxies excluded them. */
async function readUntrustedPeerBackends(read: SqlReader, now: Date, policy: Policy): Promise<UntrustedPeerBackend[]> {
  const p = [now.toISOString(), UNTRUSTED_PEER_REASON];
  // A peer the source trusts now was judged under an earlier list that left it out (an edge the
  // admin had not listed yet): its requests keep their verdict, but the finding is about the peers
  // that are not proxies, so they are left out of it.
  const trustedNow = new Map((await read<{ name: string; trustedProxies: string[] }>(`SELECT name, "trustedProxies" FROM "Source" WHERE cardinality("trustedProxies") > 0`, []))
    .map((r) => [r.name, storedTrustedProxies(r.trustedProxies)]));
  const notProxy = (source: unknown, peer: unknown) => peer == null || peerTrusted(trustedNow.get(String(source)) ?? [], String(peer)) !== true;
  const rows = (await read<Row>(UNTRUSTED_PEER_SQL, p)).filter((r) => notProxy(r.source, r.peer));
  const believed = await readBelievedEarlier(read, now);
  if (!rows.length && !believed.size) return [];
  const claimed = rows.length ? (await read<{ source: string; peer: string | null; identity: string }>(UNTRUSTED_PEER_CLAIMED_SQL, p)).filter((c) => notProxy(c.source, c.peer)) : [];
  const examples = rows.length ? (await read<Row>(UNTRUSTED_PEER_EXAMPLES_SQL, p)).filter((e) => notProxy(e.source, e.peer)) : [];
  const out = new Map<string, UntrustedPeerBackend & { certs: Set<string>; nets: Map<string, UntrustedPeerNetwork> }>();
  const backendOf = (source: string, firstAt: Date, lastAt: Date) => {
    let b = out.get(source);
    if (!b) {
      b = {
        source, gateways: [], requests: 0, accepted: 0, firstAt, lastAt, networks: [], claimedIdentities: [], claimedCertificates: 0, examples: [],
        believedEarlier: [], certs: new Set(), nets: new Map(),
      };
      out.set(source, b);
    }
    return b;
  };
  for (const r of rows) {
    const source = String(r.source);
    const b = backendOf(source, date(r.firstAt), date(r.lastAt));
    const requests = num(r.requests);
    const accepted = num(r.accepted);
    b.requests += requests;
    b.accepted += accepted;
    if (date(r.firstAt) < b.firstAt) b.firstAt = date(r.firstAt);
    if (date(r.lastAt) > b.lastAt) b.lastAt = date(r.lastAt);
    b.gateways = capped([...b.gateways, ...strs(r.gateways)]);
    for (const c of strs(r.certs)) b.certs.add(c);
    const peer = r.peer == null ? null : String(r.peer);
    const network = peer === null ? 'unknown' : networkOrigin(peer, policy.replay.ipv4PrefixBits, policy.replay.ipv6PrefixBits);
    let n = b.nets.get(network);
    if (!n) b.nets.set(network, (n = { network, peers: [], requests: 0, accepted: 0 }));
    n.requests += requests;
    n.accepted += accepted;
    if (peer !== null && n.peers.length < 10) n.peers.push(peer);
  }
  for (const c of claimed) {
    const b = out.get(c.source);
    // In identity order (the query's), once each though several peers claimed it.
    if (b && b.claimedIdentities.length < 20 && b.claimedIdentities.at(-1) !== c.identity) b.claimedIdentities.push(c.identity);
  }
  for (const e of examples) {
    out.get(String(e.source))?.examples.push({
      occurredAt: date(e.occurredAt), peer: e.peer == null ? null : String(e.peer), method: e.method == null ? null : String(e.method),
      url: e.url == null ? null : String(e.url), httpStatus: e.httpStatus == null ? null : num(e.httpStatus), requestId: e.rid == null ? null : String(e.rid),
      x5tS256: e.x5tS256 == null ? null : String(e.x5tS256),
    });
  }
  for (const [source, peers] of believed) {
    const b = backendOf(source, peers[0]!.firstAt, peers[0]!.lastAt);
    b.believedEarlier = peers.slice(0, BELIEVED_PEERS);
    for (const x of peers) {
      if (x.firstAt < b.firstAt) b.firstAt = x.firstAt;
      if (x.lastAt > b.lastAt) b.lastAt = x.lastAt;
    }
  }
  return [...out.values()].map(({ certs, nets, ...b }) => ({
    ...b,
    claimedCertificates: certs.size,
    // Most requests first, then by network.
    networks: [...nets.values()].sort((x, y) => y.requests - x.requests || x.network.localeCompare(y.network)),
  }));
}
