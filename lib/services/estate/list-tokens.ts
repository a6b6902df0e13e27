// Tokens list: filters through its query schema, keyset pages in one of several sort orders, the
// page's risk figures (worst open finding, count, summed blast radius) joined for its rows only.
import type { z } from 'zod';
import type { Database } from '../../db/open.ts';
import { enumParam, filterObject, intParam, textParam } from '../../domain/query-params.ts';
import { BINDINGS, SEVERITY_ORDER, type Binding, type Severity } from '../../domain/types.ts';
import { UNBOUND_HIGH_RISK_SQL } from '../summary.ts';
import {
  countPage,
  decodeCursor,
  filtersOf,
  identityClause,
  iso,
  keysetClause,
  nextCursorOf,
  pageParams,
  parseFilters,
  perDefaults,
  refuseForeignCursor,
  type ListOptions,
  type Page,
  type PageQuery,
  type Params,
  SEVERITY_RANK_SQL,
  type SortKey,
  Sql,
} from './query.ts';

/** risk: worst severity then biggest blast radius first; ttl: longest lifetime first; expires: soonest first. */
export const TOKEN_SORTS = ['risk', 'id', 'ttl', 'expires', 'identity', 'lastSeen'] as const;
export type TokenSort = (typeof TOKEN_SORTS)[number];
export const TOKEN_RISKS = ['high', 'flagged', 'critical'] as const;
export const TOKEN_STATUSES = ['active', 'expired', 'revoked'] as const;
export const TOKEN_EXPOSURES = ['none', 'exposed'] as const;

export interface TokenFilters {
  binding?: Binding;
  risk?: (typeof TOKEN_RISKS)[number];
  exposure?: (typeof TOKEN_EXPOSURES)[number];
  status?: (typeof TOKEN_STATUSES)[number];
  ttlMin?: number;
  ttlMax?: number;
  noExpiry?: boolean;
  issuer?: string;
  audience?: string;
  scope?: string;
  identity?: string;
  /** One token by id (detail page; not a URL filter). */
  id?: string;
  sort: TokenSort;
  limit: number;
}

/**
 * The order when the URL names none. The API and CLI keep theirs (id, or risk with a risk
 * filter); the Tokens page passes `risk`: riskiest first.
 */
export function defaultTokenSort(risk: TokenFilters['risk'], pageDefault?: TokenSort): TokenSort {
  return pageDefault ?? (risk ? 'risk' : 'id');
}

/** The tokens list's query (the Tokens page, GET /api/v1/tokens and `holdfast tokens` read the same names). */
export type TokenQuery = TokenFilters & PageQuery;

const TTL_SECONDS = 2 ** 31 - 1;

const tokenQuery = perDefaults((defaultLimit: number, defaultSort: TokenSort | undefined) =>
  filterObject({
    binding: enumParam(BINDINGS).describe('bearer, mtls or dpop'),
    risk: enumParam(TOKEN_RISKS).describe('high = open unbound_high_risk finding (the Overview KPI); flagged = any active finding; critical = an active critical finding'),
    exposure: enumParam(TOKEN_EXPOSURES).describe('exposed = found by a secret scanner'),
    status: enumParam(TOKEN_STATUSES).describe('token status'),
    ttlMin: intParam(0, TTL_SECONDS).describe('lifetime ≥ seconds'),
    ttlMax: intParam(0, TTL_SECONDS).describe('lifetime < seconds'),
    noExpiry: enumParam(['true', 'false']).describe('true: tokens without expiry'),
    issuer: textParam().describe('exact issuer'),
    audience: textParam().describe('one audience the token carries'),
    scope: textParam().describe('one scope the token carries'),
    identity: textParam().describe('identity id or exact name'),
    sort: enumParam(TOKEN_SORTS).describe('risk (worst finding, then blast radius; default with risk=), id (default), ttl (longest lifetime first), expires (soonest first), identity (by identity name), lastSeen (most recently seen first)'),
    ...pageParams(defaultLimit),
  }).transform((q, ctx): TokenQuery => {
    const sort = q.sort ?? defaultTokenSort(q.risk, defaultSort);
    refuseForeignCursor(ctx, q.after, TOKEN_KEYS[sort].kinds);
    return { ...q, noExpiry: q.noExpiry === 'true' || undefined, sort };
  }),
);

/** GET /api/v1/tokens's query: the filters, sort and page; the OpenAPI document shows it. */
export const TokenQuerySchema: z.ZodType<TokenQuery> = tokenQuery(50, undefined);

/** The filters of a view or the CLI (a page may pass its own default size and order), refused as the API refuses them. */
export function parseTokenFilters(p: Params, defaultLimit = 50, defaultSort?: TokenSort): TokenFilters {
  return filtersOf(parseFilters(tokenQuery(defaultLimit, defaultSort), p));
}

/** The filters as URL parameters (for links, the pager and export links); the default sort is left out. */
export function tokenFilterParams(f: Partial<TokenFilters>, defaultSort?: TokenSort): Record<string, string | undefined> {
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
    sort: f.sort && f.sort !== defaultTokenSort(f.risk, defaultSort) ? f.sort : undefined,
  };
}

export interface TokenRow {
  id: string;
  fingerprint: string;
  identityId: string;
  identity: string;
  identityKind: string;
  binding: Binding;
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
  riskSeverity: Severity | null;
  findings: number;
  blastRadius: number;
}

/** A row as the query below returns it (timestamps as the driver gives them, bigint keys as text or number). */
type TokenSqlRow = {
  id: string;
  fingerprint: string;
  identityId: string;
  identity: string;
  identityKind: string;
  binding: Binding;
  tokenType: string;
  jti: string | null;
  issuer: string | null;
  audience: string[] | null;
  scopes: string[] | null;
  issuedAt: Date | string | null;
  expiresAt: Date | string | null;
  ttlSeconds: number | null;
  status: string;
  exposure: string;
  privileged: boolean;
  firstSeenAt: Date | string;
  lastSeenAt: Date | string | null;
  revokedAt: Date | string | null;
  sev: number | null;
  n: number;
  radius: number;
  [k: `k${number}`]: unknown;
};

const SEVERITY_BY_RANK = (Object.keys(SEVERITY_ORDER) as Severity[]).sort((a, b) => SEVERITY_ORDER[a] - SEVERITY_ORDER[b]);

// t.id stays a uuid in the sort key so the primary-key index serves `sort=id` (uuid order is
// the lowercase hex text order, so cursors look the same).
const TOKEN_KEYS: Record<TokenSort, SortKey> = {
  // Token.riskOrder: worst severity, then biggest summed blast radius (kept by evaluateFindings).
  risk: { cols: ['t."riskOrder"', 't.id'], kinds: ['number', 'uuid'], casts: ['bigint', 'uuid'] },
  id: { cols: ['t.id'], kinds: ['uuid'], casts: ['uuid'] },
  ttl: { cols: [`-coalesce(t."ttlSeconds", 2147483647)`, 't.id'], kinds: ['number', 'uuid'], casts: ['bigint', 'uuid'] },
  expires: { cols: [`coalesce(extract(epoch FROM t."expiresAt")::bigint, 99999999999)`, 't.id'], kinds: ['number', 'uuid'], casts: ['bigint', 'uuid'] },
  identity: { cols: ['i.name', 't.id'], kinds: ['string', 'uuid'], casts: ['text', 'uuid'] },
  lastSeen: { cols: [`-coalesce((extract(epoch FROM t."lastSeenAt") * 1000)::bigint, 0)`, 't.id'], kinds: ['number', 'uuid'], casts: ['bigint', 'uuid'] },
};

const TOKEN_FROM = `FROM "Token" t JOIN "Identity" i ON i.id = t."identityId"`;

function tokenWhere(f: TokenFilters): Sql {
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
  return q;
}

export async function listTokens(db: Database, f: TokenFilters, p: Params, opts: ListOptions = {}): Promise<Page<TokenRow>> {
  const filters = tokenWhere(f);
  const k = TOKEN_KEYS[f.sort];
  const after = decodeCursor(p, k.kinds);
  const q = filters.clone();
  if (after) q.and(keysetClause(q, k, after, '>'));
  // Risk figures for the page's rows only (index on Finding.tokenId).
  const rowsP = db.query<TokenSqlRow>(
    `SELECT t.id::text, t.fingerprint, t."identityId"::text AS "identityId", i.name AS identity, i.kind AS "identityKind",
            t.binding::text AS binding, t."tokenType", t.jti, t.issuer, t.audience, t.scopes, t."issuedAt", t."expiresAt",
            t."ttlSeconds", t.status, t.exposure, t.privileged, t."firstSeenAt", t."lastSeenAt", t."revokedAt",
            r.sev, coalesce(r.n, 0)::int AS n, coalesce(r.radius, 0)::int AS radius,
            ${k.cols.map((c, i) => `${c} AS k${i}`).join(', ')}
       ${TOKEN_FROM}
       LEFT JOIN LATERAL (SELECT min(${SEVERITY_RANK_SQL('fx.severity')}) AS sev, sum(fx."blastRadius")::int AS radius, count(*)::int AS n
                            FROM "Finding" fx WHERE fx."tokenId" = t.id AND fx.status <> 'resolved') r ON true
      ${q.whereSql()}
      ORDER BY ${k.cols.join(', ')}
      LIMIT ${f.limit + 1}`,
    q.params,
  );
  const countP = opts.count ? countPage(db, TOKEN_FROM, filters, k, after) : undefined;
  const [rows, counted] = await Promise.all([rowsP, countP]);
  const items = rows.slice(0, f.limit).map(
    (r): TokenRow => ({
      id: r.id,
      fingerprint: r.fingerprint,
      identityId: r.identityId,
      identity: r.identity,
      identityKind: r.identityKind,
      binding: r.binding,
      tokenType: r.tokenType,
      jti: r.jti,
      issuer: r.issuer,
      audience: r.audience ?? [],
      scopes: r.scopes ?? [],
      issuedAt: iso(r.issuedAt),
      expiresAt: iso(r.expiresAt),
      ttlSeconds: r.ttlSeconds == null ? null : Number(r.ttlSeconds),
      status: r.status,
      exposure: r.exposure,
      privileged: r.privileged,
      firstSeenAt: iso(r.firstSeenAt)!,
      lastSeenAt: iso(r.lastSeenAt),
      revokedAt: iso(r.revokedAt),
      riskSeverity: r.sev == null ? null : SEVERITY_BY_RANK[Number(r.sev)] ?? null,
      findings: Number(r.n),
      blastRadius: Number(r.radius),
    }),
  );
  return { items, nextCursor: nextCursorOf(rows, f.limit, k.kinds), ...counted };
}
