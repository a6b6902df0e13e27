// List queries behind the views, /api/v1 lists, CSV/JSON exports and the CLI: one filter
// vocabulary (URL parameters), keyset pagination (`after` = nextCursor of the previous page),
// at most 500 rows a page. Set-based SQL; nothing is loaded beyond the page.
import type { Database } from '../../db/open.ts';
import { FINDING_RULES, VERDICTS } from '../../domain/types.ts';
import { BINDING_FAILURE_VERDICTS } from '../../risk/index.ts';
import { verdictCode, verdictCodeListSql, verdictNameSql, verdictOfCode } from '../../domain/verdict-codes.ts';
import { HoldfastError } from '../../errors.ts';
import { requestKeyOfId } from '../../ingest/evidence/request-key.ts';
import { DIM } from '../evidence/dims.ts';
import { UNBOUND_HIGH_RISK_SQL } from '../summary.ts';
import {
  dateParam,
  decodeCursor,
  encodeCursor,
  getParam,
  intParam,
  isUuid,
  iso,
  limitParam,
  oneOf,
  type Page,
  type Params,
  SEVERITY_RANK_SQL,
  Sql,
  textParam,
  uuidParam,
} from './query.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** `identity=` accepts an id or an exact name. */
function identityClause(q: Sql, col: string, v: string | undefined): void {
  if (v === undefined) return;
  if (isUuid(v)) q.and(`${col} = ${q.p(v.toLowerCase())}::uuid`);
  else q.and(`${col} IN (SELECT id FROM "Identity" WHERE name = ${q.p(v)})`);
}

// ───────────────────────────── tokens ─────────────────────────────

export const TOKEN_SORTS = ['risk', 'id', 'ttl', 'expires'] as const;
export const TOKEN_RISKS = ['high', 'flagged', 'critical'] as const;

export interface TokenFilters {
  binding?: 'bearer' | 'mtls' | 'dpop';
  risk?: (typeof TOKEN_RISKS)[number];
  exposure?: 'none' | 'exposed';
  status?: 'active' | 'expired' | 'revoked';
  ttlMin?: number;
  ttlMax?: number;
  noExpiry?: boolean;
  issuer?: string;
  audience?: string;
  scope?: string;
  identity?: string;
  /** One token by id (detail page; not a URL filter). */
  id?: string;
  sort: (typeof TOKEN_SORTS)[number];
  limit: number;
}

export function parseTokenFilters(p: Params, defaultLimit = 50): TokenFilters {
  const risk = oneOf(p, 'risk', TOKEN_RISKS);
  return {
    binding: oneOf(p, 'binding', ['bearer', 'mtls', 'dpop'] as const),
    risk,
    exposure: oneOf(p, 'exposure', ['none', 'exposed'] as const),
    status: oneOf(p, 'status', ['active', 'expired', 'revoked'] as const),
    ttlMin: intParam(p, 'ttlMin', 0, 2 ** 31 - 1),
    ttlMax: intParam(p, 'ttlMax', 0, 2 ** 31 - 1),
    noExpiry: oneOf(p, 'noExpiry', ['true', 'false'] as const) === 'true' || undefined,
    issuer: textParam(p, 'issuer'),
    audience: textParam(p, 'audience'),
    scope: textParam(p, 'scope'),
    identity: textParam(p, 'identity'),
    sort: oneOf(p, 'sort', TOKEN_SORTS) ?? (risk ? 'risk' : 'id'),
    limit: limitParam(p, defaultLimit),
  };
}

/** The filters as URL parameters (for links, the pager and export links). */
export function tokenFilterParams(f: Partial<TokenFilters>): Record<string, string | undefined> {
  return {
    binding: f.binding,
    risk: f.risk,
    exposure: f.exposure,
    status: f.status,
    ttlMin: f.ttlMin?.toString(),
    ttlMax: f.ttlMax?.toString(),
    noExpiry: f.noExpiry ? 'true' : undefined,
    issuer: f.issuer,
    audience: f.audience,
    scope: f.scope,
    identity: f.identity,
    sort: f.sort && f.sort !== (f.risk ? 'risk' : 'id') ? f.sort : undefined,
  };
}

export interface TokenRow {
  id: string;
  fingerprint: string;
  identityId: string;
  identity: string;
  identityKind: string;
  binding: 'bearer' | 'mtls' | 'dpop';
  tokenType: string;
  jti: string | null;
  issuer: string | null;
  audience: string[];
  scopes: string[];
  issuedAt: string | null;
  expiresAt: string | null;
  ttlSeconds: number | null;
  status: string;
  exposure: string;
  privileged: boolean;
  firstSeenAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
  /** Worst active finding's severity, count of active findings, sum of their blast radii. */
  riskSeverity: string | null;
  findings: number;
  blastRadius: number;
}

const SEV_NAMES = ['critical', 'high', 'medium', 'low', 'info'];

export async function listTokens(db: Database, f: TokenFilters, p: Params): Promise<Page<TokenRow>> {
  const q = new Sql();
  if (f.binding) q.and(`t.binding = ${q.p(f.binding)}::"Binding"`);
  if (f.status) q.and(`t.status = ${q.p(f.status)}`);
  if (f.exposure) q.and(`t.exposure = ${q.p(f.exposure)}`);
  if (f.risk === 'high') q.and(UNBOUND_HIGH_RISK_SQL);
  if (f.risk === 'flagged') q.and(`t."riskFindings" > 0`);
  if (f.risk === 'critical') q.and(`t."riskOrder" < 10000000`);
  if (f.ttlMin !== undefined) q.and(`t."ttlSeconds" >= ${q.p(f.ttlMin)}::int`);
  if (f.ttlMax !== undefined) q.and(`t."ttlSeconds" < ${q.p(f.ttlMax)}::int`);
  if (f.noExpiry) q.and(`t."expiresAt" IS NULL AND t."ttlSeconds" IS NULL`);
  if (f.issuer) q.and(`t.issuer = ${q.p(f.issuer)}`);
  if (f.audience) q.and(`${q.p(f.audience)}::text = ANY(t.audience)`);
  if (f.scope) q.and(`${q.p(f.scope)}::text = ANY(t.scopes)`);
  identityClause(q, 't."identityId"', f.identity);
  if (f.id) q.and(`t.id = ${q.p(f.id)}::uuid`);

  // Sort key as a tuple compared ascending (descending parts negated) so the cursor is one row comparison.
  // t.id stays a uuid in the sort key so the primary-key index serves `sort=id` (uuid order is
  // the lowercase hex text order, so cursors look the same).
  const key: Record<TokenFilters['sort'], { cols: string[]; kinds: ('string' | 'number')[]; casts: string[] }> = {
    // Token.riskOrder: worst severity, then biggest summed blast radius (kept by evaluateFindings).
    risk: { cols: ['t."riskOrder"', 't.id'], kinds: ['number', 'string'], casts: ['bigint', 'uuid'] },
    id: { cols: ['t.id'], kinds: ['string'], casts: ['uuid'] },
    ttl: { cols: [`-coalesce(t."ttlSeconds", 2147483647)`, 't.id'], kinds: ['number', 'string'], casts: ['bigint', 'uuid'] },
    expires: { cols: [`coalesce(extract(epoch FROM t."expiresAt")::bigint, 99999999999)`, 't.id'], kinds: ['number', 'string'], casts: ['bigint', 'uuid'] },
  };
  const k = key[f.sort];
  const after = decodeCursor(p, k.kinds);
  if (after && k.casts.includes('uuid') && !isUuid(String(after[after.length - 1]))) throw new HoldfastError('bad_request', 'after is not a cursor from this list (use nextCursor as given)');
  if (after) q.and(`(${k.cols.join(', ')}) > (${after.map((v, i) => `${q.p(v)}::${k.casts[i]}`).join(', ')})`);
  // Risk figures for the page's rows only (index on Finding.tokenId).
  const rows = await db.query<Record<string, unknown>>(
    `SELECT t.id::text, t.fingerprint, t."identityId"::text AS "identityId", i.name AS identity, i.kind AS "identityKind",
            t.binding::text AS binding, t."tokenType", t.jti, t.issuer, t.audience, t.scopes, t."issuedAt", t."expiresAt",
            t."ttlSeconds", t.status, t.exposure, t.privileged, t."firstSeenAt", t."lastSeenAt", t."revokedAt",
            r.sev, coalesce(r.n, 0)::int AS n, coalesce(r.radius, 0)::int AS radius,
            ${k.cols.map((c, i) => `${c} AS k${i}`).join(', ')}
       FROM "Token" t JOIN "Identity" i ON i.id = t."identityId"
       LEFT JOIN LATERAL (SELECT min(${SEVERITY_RANK_SQL('fx.severity')}) AS sev, sum(fx."blastRadius")::int AS radius, count(*)::int AS n
                            FROM "Finding" fx WHERE fx."tokenId" = t.id AND fx.status <> 'resolved') r ON true
      ${q.whereSql()}
      ORDER BY ${k.cols.join(', ')}
      LIMIT ${f.limit + 1}`,
    q.params,
  );
  const items = rows.slice(0, f.limit).map(
    (r): TokenRow => ({
      id: String(r.id),
      fingerprint: String(r.fingerprint),
      identityId: String(r.identityId),
      identity: String(r.identity),
      identityKind: String(r.identityKind),
      binding: r.binding as TokenRow['binding'],
      tokenType: String(r.tokenType),
      jti: (r.jti as string | null) ?? null,
      issuer: (r.issuer as string | null) ?? null,
      audience: (r.audience as string[] | null) ?? [],
      scopes: (r.scopes as string[] | null) ?? [],
      issuedAt: iso(r.issuedAt),
      expiresAt: iso(r.expiresAt),
      ttlSeconds: r.ttlSeconds == null ? null : Number(r.ttlSeconds),
      status: String(r.status),
      exposure: String(r.exposure),
      privileged: Boolean(r.privileged),
      firstSeenAt: iso(r.firstSeenAt)!,
      lastSeenAt: iso(r.lastSeenAt),
      revokedAt: iso(r.revokedAt),
      riskSeverity: r.sev == null ? null : SEV_NAMES[Number(r.sev)] ?? null,
      findings: Number(r.n),
      blastRadius: Number(r.radius),
    }),
  );
  const last = rows.length > f.limit ? rows[f.limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor(k.kinds.map((kind, i) => (kind === 'number' ? Number(last[`k${i}`]) : String(last[`k${i}`])))) : null };
}

// ───────────────────────────── identities ─────────────────────────────

export const IDENTITY_KINDS = ['service', 'pipeline', 'agent', 'partner', 'workload'] as const;

export interface IdentityFilters {
  kind?: (typeof IDENTITY_KINDS)[number];
  status?: 'active' | 'decommissioned';
  ownerStatus?: 'active' | 'departed';
  q?: string;
  sort: 'risk' | 'name';
  limit: number;
}

export function parseIdentityFilters(p: Params, defaultLimit = 50): IdentityFilters {
  return {
    kind: oneOf(p, 'kind', IDENTITY_KINDS),
    status: oneOf(p, 'status', ['active', 'decommissioned'] as const),
    ownerStatus: oneOf(p, 'ownerStatus', ['active', 'departed'] as const),
    q: textParam(p, 'q', 200),
    sort: oneOf(p, 'sort', ['risk', 'name'] as const) ?? 'risk',
    limit: limitParam(p, defaultLimit),
  };
}

export interface IdentityRow {
  id: string;
  name: string;
  kind: string;
  owner: string | null;
  ownerStatus: string;
  status: string;
  environment: string | null;
  transport: string;
  lastSeenAt: string | null;
  riskScore: number;
  openFindings: number;
  tokens: number;
  liveBearerTokens: number;
}

/** Risk score in SQL, same formula as lib/risk riskScore: 100·(1 − Π(1 − wᵢ/100)) over open findings. */
export const IDENTITY_SCORE_SQL = `SELECT "identityId",
    round(100 * (1 - exp(sum(ln(1 - (CASE severity WHEN 'critical' THEN 60 WHEN 'high' THEN 30 WHEN 'medium' THEN 10 WHEN 'low' THEN 3 ELSE 0 END) / 100.0)))))::int AS score,
    count(*)::int AS n
  FROM "Finding" WHERE status = 'open' AND "identityId" IS NOT NULL GROUP BY "identityId"`;

export async function listIdentities(db: Database, f: IdentityFilters, p: Params): Promise<Page<IdentityRow>> {
  const q = new Sql();
  if (f.kind) q.and(`i.kind = ${q.p(f.kind)}`);
  if (f.status) q.and(`i.status = ${q.p(f.status)}`);
  if (f.ownerStatus) q.and(`i."ownerStatus" = ${q.p(f.ownerStatus)}`);
  if (f.q) q.and(`(i.name ILIKE ${q.p(`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)} OR i.owner ILIKE $${q.params.length})`);
  const k = f.sort === 'risk'
    ? { cols: ['-coalesce(s.score, 0)', 'i.name'], kinds: ['number', 'string'] as ('string' | 'number')[] }
    : { cols: ['i.name'], kinds: ['string'] as ('string' | 'number')[] };
  const after = decodeCursor(p, k.kinds);
  if (after) q.and(`(${k.cols.join(', ')}) > (${after.map((v, i) => `${q.p(v)}::${k.kinds[i] === 'number' ? 'bigint' : 'text'}`).join(', ')})`);
  const rows = await db.query<Record<string, unknown>>(
    `WITH s AS (${IDENTITY_SCORE_SQL}),
          page AS (
            SELECT i.*, coalesce(s.score, 0)::int AS score, coalesce(s.n, 0)::int AS n, ${k.cols.map((c, i) => `${c} AS k${i}`).join(', ')}
              FROM "Identity" i LEFT JOIN s ON s."identityId" = i.id
             ${q.whereSql()}
             ORDER BY ${k.cols.join(', ')} LIMIT ${f.limit + 1})
     SELECT page.id::text, page.name, page.kind, page.owner, page."ownerStatus", page.status, page.environment, page.transport, page."lastSeenAt",
            page.score, page.n, page.k0, ${k.cols.length > 1 ? 'page.k1' : 'NULL AS k1'},
            (SELECT count(*)::int FROM "Token" t WHERE t."identityId" = page.id) AS tokens,
            (SELECT count(*)::int FROM "Token" t WHERE t."identityId" = page.id AND t.binding = 'bearer' AND t.status = 'active') AS bearer
       FROM page ORDER BY ${k.cols.map((_, i) => `page.k${i}`).join(', ')}`,
    q.params,
  );
  const items = rows.slice(0, f.limit).map(
    (r): IdentityRow => ({
      id: String(r.id),
      name: String(r.name),
      kind: String(r.kind),
      owner: (r.owner as string | null) ?? null,
      ownerStatus: String(r.ownerStatus),
      status: String(r.status),
      environment: (r.environment as string | null) ?? null,
      transport: String(r.transport),
      lastSeenAt: iso(r.lastSeenAt),
      riskScore: Number(r.score),
      openFindings: Number(r.n),
      tokens: Number(r.tokens),
      liveBearerTokens: Number(r.bearer),
    }),
  );
  const last = rows.length > f.limit ? rows[f.limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor(k.kinds.map((kind, i) => (kind === 'number' ? Number(last[`k${i}`]) : String(last[`k${i}`])))) : null };
}

// ───────────────────────────── findings ─────────────────────────────

export interface FindingFilters {
  rule?: (typeof FINDING_RULES)[number];
  severity?: (typeof SEVERITIES)[number];
  /** open (default; includes acknowledgements that have expired) | acknowledged | active (open or
   *  acknowledged, what the summary counts) | resolved | all */
  status: 'open' | 'acknowledged' | 'active' | 'resolved' | 'all';
  identity?: string;
  token?: string;
  limit: number;
}

export function parseFindingFilters(p: Params, defaultLimit = 50): FindingFilters {
  return {
    rule: oneOf(p, 'rule', FINDING_RULES),
    severity: oneOf(p, 'severity', SEVERITIES),
    status: oneOf(p, 'status', ['open', 'acknowledged', 'active', 'resolved', 'all'] as const) ?? 'open',
    identity: textParam(p, 'identity'),
    token: uuidParam(p, 'token'),
    limit: limitParam(p, defaultLimit),
  };
}

export interface FindingRow {
  id: string;
  dedupeKey: string;
  rule: string;
  severity: string;
  status: string;
  identityId: string | null;
  identity: string | null;
  tokenId: string | null;
  certificateId: string | null;
  title: string;
  explanation: string;
  recommendation: string;
  blastRadius: number;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  ackReason: string | null;
  ackUntil: string | null;
  ackBy: string | null;
}

/**
 * A Finding row from SQL (joined with the identity name) as the API shows it. An acknowledgement
 * past its expiry counts as open again: the next evaluation records it, the views must not wait.
 */
export function toFindingRow(r: Record<string, unknown>, now: Date): FindingRow {
  return {
    id: String(r.id),
    dedupeKey: String(r.dedupeKey),
    rule: String(r.rule),
    severity: String(r.severity),
    status: r.status === 'acknowledged' && r.ackUntil != null && new Date(r.ackUntil as string).getTime() <= now.getTime() ? 'open' : String(r.status),
    identityId: (r.identityId as string | null) ?? null,
    identity: (r.identity as string | null) ?? null,
    tokenId: (r.tokenId as string | null) ?? null,
    certificateId: (r.certificateId as string | null) ?? null,
    title: String(r.title),
    explanation: String(r.explanation),
    recommendation: String(r.recommendation),
    blastRadius: Number(r.blastRadius),
    firstSeenAt: iso(r.firstSeenAt)!,
    lastSeenAt: iso(r.lastSeenAt)!,
    resolvedAt: iso(r.resolvedAt),
    ackReason: (r.ackReason as string | null) ?? null,
    ackUntil: iso(r.ackUntil),
    ackBy: (r.ackBy as string | null) ?? null,
  };
}

export async function listFindings(db: Database, f: FindingFilters, p: Params, now = new Date()): Promise<Page<FindingRow>> {
  const q = new Sql();
  if (f.rule) q.and(`f.rule = ${q.p(f.rule)}`);
  if (f.severity) q.and(`f.severity = ${q.p(f.severity)}`);
  const nowP = q.p(now.toISOString());
  if (f.status === 'open') q.and(`(f.status = 'open' OR (f.status = 'acknowledged' AND f."ackUntil" <= ${nowP}::timestamptz))`);
  if (f.status === 'acknowledged') q.and(`f.status = 'acknowledged' AND (f."ackUntil" IS NULL OR f."ackUntil" > ${nowP}::timestamptz)`);
  if (f.status === 'resolved') q.and(`f.status = 'resolved'`);
  if (f.status === 'active') q.and(`f.status <> 'resolved' AND ${nowP}::timestamptz IS NOT NULL`);
  if (f.status === 'all') q.and(`${nowP}::timestamptz IS NOT NULL`);
  identityClause(q, 'f."identityId"', f.identity);
  if (f.token) q.and(`f."tokenId" = ${q.p(f.token)}::uuid`);
  const cols = [SEVERITY_RANK_SQL('f.severity'), '-f."blastRadius"', `-(extract(epoch FROM f."lastSeenAt") * 1000)::bigint`, 'f."dedupeKey"'];
  const kinds: ('string' | 'number')[] = ['number', 'number', 'number', 'string'];
  const after = decodeCursor(p, kinds);
  if (after) q.and(`(${cols.join(', ')}) > (${after.map((v, i) => `${q.p(v)}::${kinds[i] === 'number' ? 'bigint' : 'text'}`).join(', ')})`);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT f.id::text, f."dedupeKey", f.rule, f.severity, f.status, f."identityId"::text AS "identityId", i.name AS identity,
            f."tokenId"::text AS "tokenId", f."certificateId"::text AS "certificateId", f.title, f.explanation, f.recommendation,
            f."blastRadius", f."firstSeenAt", f."lastSeenAt", f."resolvedAt", f."ackReason", f."ackUntil", f."ackBy",
            ${cols.map((c, i) => `${c} AS k${i}`).join(', ')}
       FROM "Finding" f LEFT JOIN "Identity" i ON i.id = f."identityId"
      ${q.whereSql()}
      ORDER BY ${cols.join(', ')} LIMIT ${f.limit + 1}`,
    q.params,
  );
  const items = rows.slice(0, f.limit).map((r) => toFindingRow(r, now));
  const last = rows.length > f.limit ? rows[f.limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor(kinds.map((kind, i) => (kind === 'number' ? Number(last[`k${i}`]) : String(last[`k${i}`])))) : null };
}

// ───────────────────────────── events ─────────────────────────────
// Requests as the evidence store keeps them (lib/services/evidence): every notable request (any
// verdict but plain ok, and ok anomalies) individually for its retention, with everything its log
// line said; every other request as its narrow ledger row while the dedupe window lasts (no
// method, URL or exact address: its client network instead). A list is the two merged, newest
// first.

export interface EventFilters {
  requestId?: string;
  verdict?: (typeof VERDICTS)[number];
  /** `binding` = binding failures only (BINDING_FAILURE_VERDICTS), distinct from generic auth failures. */
  failures?: 'binding' | 'any';
  identity?: string;
  token?: string;
  gateway?: string;
  reason?: string;
  /** A certificate's x5t#S256 (or the SHA-1 hex NGINX logs): requests that presented it. */
  cert?: string;
  /** With `cert`: the same certificate's SHA-1 hex (lines of gateways that log only that). */
  certSha1?: string;
  from?: Date;
  to?: Date;
  limit: number;
}

export function parseEventFilters(p: Params, defaultLimit = 50): EventFilters {
  return {
    requestId: textParam(p, 'requestId') ?? textParam(p, 'request-id'),
    verdict: oneOf(p, 'verdict', VERDICTS),
    failures: oneOf(p, 'failures', ['binding', 'any'] as const),
    identity: textParam(p, 'identity'),
    token: uuidParam(p, 'token'),
    gateway: textParam(p, 'gateway'),
    reason: textParam(p, 'reason', 100),
    cert: textParam(p, 'cert', 100),
    from: dateParam(p, 'from'),
    to: dateParam(p, 'to'),
    limit: limitParam(p, defaultLimit),
  };
}

export interface EventRow {
  id: string;
  requestId: string | null;
  /** The request id propagated between hops (X-Request-ID), when the line carried one. */
  correlationId: string | null;
  /** Named source the request came in through. */
  source: string | null;
  occurredAt: string;
  gateway: string | null;
  method: string | null;
  url: string | null;
  clientIp: string | null;
  /** The client's network (/24, /48): what the ledger keeps of an ok request's address. */
  clientNetwork: string | null;
  httpStatus: number | null;
  authScheme: string | null;
  hasDpop: boolean;
  identityId: string | null;
  identity: string | null;
  tokenId: string | null;
  tokenFingerprint: string | null;
  x5tS256: string | null;
  jkt: string | null;
  verdict: string;
  reason: string | null;
  /** The verdict for the request's whole path when its hops were correlated (issue #16); null otherwise. */
  chainVerdict: string | null;
  /** `notable`: kept in full for its retention; `ledger`: the narrow row kept for the dedupe window. */
  kept: 'notable' | 'ledger';
}

const NOT_OK = VERDICTS.filter((v) => v !== 'ok');

/** Which verdicts the filters allow; null: any. */
function verdictsOf(f: EventFilters): readonly string[] | null {
  let vs: readonly string[] | null = null;
  if (f.failures === 'binding') vs = BINDING_FAILURE_VERDICTS;
  if (f.failures === 'any') vs = NOT_OK;
  if (f.verdict) vs = vs ? vs.filter((v) => v === f.verdict) : [f.verdict];
  return vs;
}

/** WHERE for notable requests (alias n). */
function notableWhere(q: Sql, f: EventFilters): void {
  const vs = verdictsOf(f);
  if (vs) q.and(vs.length ? `n."verdict" IN ${verdictCodeListSql(vs)}` : 'false');
  // A request id also finds every hop of the request it names: the lines that carried it as their correlation id.
  if (f.requestId) q.and(`(n."requestId" = ${q.p(f.requestId)} OR n."correlationId" = ${q.p(f.requestId)})`);
  identityClause(q, 'n."identityId"', f.identity);
  if (f.token) q.and(`n."tokenId" = ${q.p(f.token)}::uuid`);
  if (f.gateway) q.and(`n.gateway = ${q.p(f.gateway)}`);
  if (f.reason) q.and(`n.reason = ${q.p(f.reason)}`);
  if (f.cert) q.and(`(n."x5tS256" = ${q.p(f.cert)} OR n."sha1Hex" = ${q.p((f.certSha1 ?? f.cert).toLowerCase())})`);
  if (f.from) q.and(`n."occurredAt" >= ${q.p(f.from.toISOString())}::timestamptz`);
  if (f.to) q.and(`n."occurredAt" < ${q.p(f.to.toISOString())}::timestamptz`);
}

/** WHERE for ledger rows that are not notable (alias r, token t); false when the filters only match notable ones. */
function ledgerWhere(q: Sql, f: EventFilters): boolean {
  const vs = verdictsOf(f);
  if (vs && !vs.includes('ok')) return false;
  q.and(`r."verdict" = ${verdictCode('ok')}`);
  q.and(`NOT EXISTS (SELECT 1 FROM "evidence"."Notable" x WHERE x."ns" = r."ns" AND x."key" = r."key" AND x."occurredAt" = r."occurredAt")`);
  if (f.requestId) {
    // Keyed by the id itself, or a hop of the request that id correlates (hop rows key it the same way).
    const k = q.p(requestKeyOfId(f.requestId).toString('hex'));
    q.and(`(r."key" = decode(${k}, 'hex') OR (r."day", r."ns", r."key") IN (SELECT h."day", h."ns", h."key" FROM "evidence"."Hop" h WHERE h."corr" = decode(${k}, 'hex')))`);
  }
  identityClause(q, 'coalesce(r."identityId", t."identityId")', f.identity);
  if (f.token) q.and(`r."tokenId" = ${q.p(f.token)}::uuid`);
  const dim = (kind: number, value: string) => `(SELECT d.id FROM "evidence"."Dim" d WHERE d."kind" = ${kind} AND d."value" = ${q.p(value)})`;
  if (f.gateway) q.and(`r."gateway" = ${dim(DIM.gateway, f.gateway)}`);
  if (f.reason) q.and(`r."reason" = ${dim(DIM.reason, f.reason)}`);
  if (f.cert) q.and(`r."cert" IN (${dim(DIM.cert, f.cert)}, ${dim(DIM.certSha1, (f.certSha1 ?? f.cert).toLowerCase())})`);
  if (f.from) q.and(`r."occurredAt" >= ${q.p(f.from.toISOString())}::timestamptz`);
  if (f.to) q.and(`r."occurredAt" < ${q.p(f.to.toISOString())}::timestamptz`);
  return true;
}

const NOTABLE_SELECT = `SELECT 'n' || lpad(n.id::text, 20, '0') AS sk, n."occurredAt", n."requestId", n."correlationId", s.name AS source, n.gateway, n.method, n.url,
       n."clientIp", NULL::text AS "clientNetwork", n."httpStatus", n."authScheme", n."hasDpop", n."identityId"::text AS "identityId", i.name AS identity,
       n."tokenId"::text AS "tokenId", n."tokenFingerprint", n."x5tS256", n.jkt, n."verdict", n.reason, 'notable' AS kept,
       NULL::int AS "hopDay", n."ns" AS "hopNs", n."key" AS "hopKey"
  FROM "evidence"."Notable" n
  LEFT JOIN "Identity" i ON i.id = n."identityId"
  LEFT JOIN "evidence"."Dim" ns ON ns.id = n."ns"
  LEFT JOIN "Source" s ON s.id::text = ns."value"`;

// A key of kind 1 or 2 (lib/ingest/evidence/request-key.ts) is the gateway's request id itself.
const LEDGER_SELECT = `SELECT 'r' || r."day"::text || encode(r."key", 'hex') AS sk, r."occurredAt",
       CASE get_byte(r."key", 0) WHEN 1 THEN encode(substring(r."key" FROM 2), 'hex') WHEN 2 THEN encode(substring(r."key" FROM 2), 'hex')::uuid::text ELSE r."requestId" END AS "requestId",
       NULL::text AS "correlationId", s.name AS source, g."value" AS gateway, NULL::text AS method, NULL::text AS url, NULL::text AS "clientIp",
       nw."value" AS "clientNetwork", r."httpStatus", NULL::text AS "authScheme", false AS "hasDpop",
       coalesce(r."identityId", t."identityId")::text AS "identityId", i.name AS identity, r."tokenId"::text AS "tokenId", t.fingerprint AS "tokenFingerprint",
       CASE WHEN c."kind" = ${DIM.cert} THEN c."value" END AS "x5tS256", j."value" AS jkt, r."verdict", rs."value" AS reason, 'ledger' AS kept,
       r."day" AS "hopDay", r."ns" AS "hopNs", r."key" AS "hopKey"
  FROM "evidence"."Request" r
  LEFT JOIN "Token" t ON t.id = r."tokenId"
  LEFT JOIN "Identity" i ON i.id = coalesce(r."identityId", t."identityId")
  LEFT JOIN "evidence"."Dim" ns ON ns.id = r."ns"
  LEFT JOIN "Source" s ON s.id::text = ns."value"
  LEFT JOIN "evidence"."Dim" g ON g.id = r."gateway"
  LEFT JOIN "evidence"."Dim" nw ON nw.id = r."network"
  LEFT JOIN "evidence"."Dim" c ON c.id = r."cert"
  LEFT JOIN "evidence"."Dim" j ON j.id = r."jkt"
  LEFT JOIN "evidence"."Dim" rs ON rs.id = r."reason"`;

/**
 * A page of listed requests with their hop row (evidence."Hop"): the correlation id the request
 * carried and the chain verdict of its path, when its hops were correlated. Joined after the page
 * is cut, so it costs one index lookup per listed row (ledger rows by day + ns + key, notable rows
 * by ns + key + time).
 */
function withHops(pageSql: string): string {
  return `SELECT x.*, CASE get_byte(h."corr", 0) WHEN 1 THEN encode(substring(h."corr" FROM 2), 'hex')
                   WHEN 2 THEN encode(substring(h."corr" FROM 2), 'hex')::uuid::text ELSE h."corrText" END AS "hopCorrelationId",
                 ${verdictNameSql('h."chainVerdict"')} AS "chainVerdict"
    FROM (${pageSql}) x
    LEFT JOIN "evidence"."Hop" h ON h."ns" = x."hopNs" AND h."key" = x."hopKey"
     AND (h."day" = x."hopDay" OR (x."hopDay" IS NULL AND h."occurredAt" = x."occurredAt"))`;
}

export const EVENT_GROUPS = ['reason', 'gateway', 'identity'] as const;

/**
 * Counts of the filtered notable requests grouped by verdict + reason, gateway, or identity (top
 * 50): the binding failures page (failures are kept individually for their whole retention).
 */
export async function groupEvents(db: Database, f: EventFilters, by: (typeof EVENT_GROUPS)[number]): Promise<{ key: string | null; label: string | null; verdict: string | null; n: number; lastAt: string }[]> {
  const q = new Sql();
  notableWhere(q, f);
  const cols = by === 'reason' ? `${verdictNameSql('n."verdict"')} AS verdict, n.reason AS key, n.reason AS label` : by === 'gateway' ? `NULL::text AS verdict, n.gateway AS key, n.gateway AS label` : `NULL::text AS verdict, n."identityId"::text AS key, min(i.name) AS label`;
  const group = by === 'reason' ? 'n."verdict", n.reason' : by === 'gateway' ? 'n.gateway' : 'n."identityId"';
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${cols}, count(*)::int AS n, max(n."occurredAt") AS "lastAt"
       FROM "evidence"."Notable" n LEFT JOIN "Identity" i ON i.id = n."identityId"
      ${q.whereSql()}
      GROUP BY ${group} ORDER BY n DESC, 2 LIMIT 50`,
    q.params,
  );
  return rows.map((r) => ({ key: (r.key as string | null) ?? null, label: (r.label as string | null) ?? null, verdict: (r.verdict as string | null) ?? null, n: Number(r.n), lastAt: iso(r.lastAt)! }));
}

const HOUR_MS = 3_600_000;

export async function listEvents(db: Database, f: EventFilters, p: Params): Promise<Page<EventRow>> {
  const after = decodeCursor(p, ['string', 'string']);
  const page = f.limit + 1;
  const cursor = (q: Sql, alias: string, sk: string) =>
    after ? q.and(`(${alias}."occurredAt", ${sk}) < (${q.p(after[0])}::timestamptz, ${q.p(after[1])})`) : undefined;

  const nq = new Sql();
  notableWhere(nq, f);
  cursor(nq, 'n', `'n' || lpad(n.id::text, 20, '0')`);
  const notable = await db.query<Record<string, unknown>>(
    withHops(`${NOTABLE_SELECT} ${nq.whereSql()} ORDER BY n."occurredAt" DESC, n.id DESC LIMIT ${page}`),
    nq.params,
  );

  // Ledger rows newest first. Without a selective filter the ledger may hold a week of a fleet's
  // requests: look back an hour, then a day, then the whole window, until the page is full (its
  // BRIN index on occurredAt keeps each look to the blocks of that span).
  let ledger: Record<string, unknown>[] = [];
  const selective = !!(f.requestId || f.token);
  const anchor = Math.min(f.to?.getTime() ?? Infinity, after ? Date.parse(String(after[0])) + 1 : Infinity, Date.now() + 2 * 86_400_000);
  for (const span of selective || f.from ? [Infinity] : [HOUR_MS, 24 * HOUR_MS, Infinity]) {
    const rq = new Sql();
    if (!ledgerWhere(rq, f)) break;
    cursor(rq, 'r', `'r' || r."day"::text || encode(r."key", 'hex')`);
    if (Number.isFinite(span) && Number.isFinite(anchor)) rq.and(`r."occurredAt" >= ${rq.p(new Date(anchor - span).toISOString())}::timestamptz`);
    ledger = await db.query<Record<string, unknown>>(
      withHops(`${LEDGER_SELECT} ${rq.whereSql()} ORDER BY r."occurredAt" DESC, 1 DESC LIMIT ${page}`),
      rq.params,
    );
    if (ledger.length >= page || !Number.isFinite(anchor)) break;
  }

  const merged = [...notable, ...ledger].sort((a, b) => {
    const ta = new Date(a.occurredAt as string).getTime();
    const tb = new Date(b.occurredAt as string).getTime();
    return tb - ta || (String(b.sk) < String(a.sk) ? -1 : String(b.sk) > String(a.sk) ? 1 : 0);
  });
  const items = merged.slice(0, f.limit).map(
    (r): EventRow => ({
      id: String(r.sk),
      requestId: (r.requestId as string | null) ?? null,
      correlationId: (r.correlationId as string | null) ?? (r.hopCorrelationId as string | null) ?? null,
      source: (r.source as string | null) ?? null,
      occurredAt: iso(r.occurredAt)!,
      gateway: (r.gateway as string | null) ?? null,
      method: (r.method as string | null) ?? null,
      url: (r.url as string | null) ?? null,
      clientIp: (r.clientIp as string | null) ?? null,
      clientNetwork: (r.clientNetwork as string | null) ?? null,
      httpStatus: r.httpStatus == null ? null : Number(r.httpStatus),
      authScheme: (r.authScheme as string | null) ?? null,
      hasDpop: Boolean(r.hasDpop),
      identityId: (r.identityId as string | null) ?? null,
      identity: (r.identity as string | null) ?? null,
      tokenId: (r.tokenId as string | null) ?? null,
      tokenFingerprint: (r.tokenFingerprint as string | null) ?? null,
      x5tS256: (r.x5tS256 as string | null) ?? null,
      jkt: (r.jkt as string | null) ?? null,
      verdict: verdictOfCode(Number(r.verdict)),
      reason: (r.reason as string | null) ?? null,
      chainVerdict: (r.chainVerdict as string | null) ?? null,
      kept: r.kept === 'ledger' ? 'ledger' : 'notable',
    }),
  );
  const last = merged.length > f.limit ? merged[f.limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor([iso(last.occurredAt)!, String(last.sk)]) : null };
}

export { getParam };
