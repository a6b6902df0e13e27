// Findings list: filters through its query schema, keyset pages worst first (severity, blast radius,
// latest), an acknowledgement past its expiry counted as open again.
import type { z } from 'zod';
import type { Database } from '../../db/open.ts';
import { enumParam, filterObject, textParam, uuidParam } from '../../domain/query-params.ts';
import { FINDING_RULES, SEVERITY_ORDER, type FindingRule, type Severity } from '../../domain/types.ts';
import { countPage, decodeCursor, filtersOf, identityClause, iso, keysetClause, nextCursorOf, pageParams, parseFilters, perDefaults, refuseForeignCursor, type ListOptions, type Page, type PageQuery, type Params, SEVERITY_RANK_SQL, type SortKey, Sql } from './query.ts';

const SEVERITIES = Object.keys(SEVERITY_ORDER) as Severity[];
export const FINDING_STATUSES = ['open', 'acknowledged', 'active', 'resolved', 'all'] as const;

export interface FindingFilters {
  rule?: FindingRule;
  severity?: Severity;
  /** open (default; includes acknowledgements that have expired) | acknowledged | active (open or
   *  acknowledged, what the summary counts) | resolved | all */
  status: (typeof FINDING_STATUSES)[number];
  identity?: string;
  token?: string;
  limit: number;
}

/** The findings list's query (the Findings page, GET /api/v1/findings and `holdfast findings` read the same names). */
export type FindingQuery = FindingFilters & PageQuery;

const findingQuery = perDefaults((defaultLimit: number) =>
  filterObject({
    rule: enumParam(FINDING_RULES).describe('rule id'),
    severity: enumParam(SEVERITIES).describe('severity'),
    status: enumParam(FINDING_STATUSES).describe('open (default; includes expired acknowledgements), acknowledged, active (open or acknowledged: what the summary counts), resolved, all'),
    identity: textParam().describe('identity id or exact name'),
    token: uuidParam().describe('token id'),
    ...pageParams(defaultLimit),
  }).transform((q, ctx): FindingQuery => {
    refuseForeignCursor(ctx, q.after, FINDING_KEY.kinds);
    return { ...q, status: q.status ?? 'open' };
  }),
);

/** GET /api/v1/findings's query: the filters and page; the OpenAPI document shows it. */
export const FindingQuerySchema: z.ZodType<FindingQuery> = findingQuery(50);

/** The filters of a view or the CLI, refused as the API refuses them. */
export function parseFindingFilters(p: Params, defaultLimit = 50): FindingFilters {
  return filtersOf(parseFilters(findingQuery(defaultLimit), p));
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

/** A Finding row as the queries select it (a type alias, so other queries' plain records fit too). */
/** A Finding row as the list and detail queries select it (the list adds its sort keys k0…). */
export type FindingSqlRow = {
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
  firstSeenAt: Date | string;
  lastSeenAt: Date | string;
  resolvedAt: Date | string | null;
  ackReason: string | null;
  ackUntil: Date | string | null;
  ackBy: string | null;
  [k: `k${number}`]: unknown;
};

/**
 * A Finding row from SQL (joined with the identity name) as the API shows it. An acknowledgement
 * past its expiry counts as open again: the next evaluation records it, the views must not wait.
 */
export function toFindingRow(r: FindingSqlRow, now: Date): FindingRow {
  const ackExpired = r.status === 'acknowledged' && r.ackUntil != null && new Date(r.ackUntil).getTime() <= now.getTime();
  return {
    id: r.id,
    dedupeKey: r.dedupeKey,
    rule: r.rule,
    severity: r.severity,
    status: ackExpired ? 'open' : r.status,
    identityId: r.identityId,
    identity: r.identity,
    tokenId: r.tokenId,
    certificateId: r.certificateId,
    title: r.title,
    explanation: r.explanation,
    recommendation: r.recommendation,
    blastRadius: Number(r.blastRadius),
    firstSeenAt: iso(r.firstSeenAt)!,
    lastSeenAt: iso(r.lastSeenAt)!,
    resolvedAt: iso(r.resolvedAt),
    ackReason: r.ackReason,
    ackUntil: iso(r.ackUntil),
    ackBy: r.ackBy,
  };
}


const FINDING_KEY: SortKey = {
  cols: [SEVERITY_RANK_SQL('f.severity'), '-f."blastRadius"', `-(extract(epoch FROM f."lastSeenAt") * 1000)::bigint`, 'f."dedupeKey"'],
  kinds: ['number', 'number', 'number', 'string'],
  casts: ['bigint', 'bigint', 'bigint', 'text'],
};
const FINDING_FROM = `FROM "Finding" f LEFT JOIN "Identity" i ON i.id = f."identityId"`;

export async function listFindings(db: Database, f: FindingFilters, p: Params, now = new Date(), opts: ListOptions = {}): Promise<Page<FindingRow>> {
  const filters = new Sql();
  if (f.rule) filters.and(`f.rule = ${filters.p(f.rule)}`);
  if (f.severity) filters.and(`f.severity = ${filters.p(f.severity)}`);
  const nowP = filters.p(now.toISOString());
  if (f.status === 'open') filters.and(`(f.status = 'open' OR (f.status = 'acknowledged' AND f."ackUntil" <= ${nowP}::timestamptz))`);
  if (f.status === 'acknowledged') filters.and(`f.status = 'acknowledged' AND (f."ackUntil" IS NULL OR f."ackUntil" > ${nowP}::timestamptz)`);
  if (f.status === 'resolved') filters.and(`f.status = 'resolved' AND ${nowP}::timestamptz IS NOT NULL`);
  if (f.status === 'active') filters.and(`f.status <> 'resolved' AND ${nowP}::timestamptz IS NOT NULL`);
  if (f.status === 'all') filters.and(`${nowP}::timestamptz IS NOT NULL`);
  identityClause(filters, 'f."identityId"', f.identity);
  if (f.token) filters.and(`f."tokenId" = ${filters.p(f.token)}::uuid`);
  const k = FINDING_KEY;
  const after = decodeCursor(p, k.kinds);
  const q = filters.clone();
  if (after) q.and(keysetClause(q, k, after, '>'));
  const rowsP = db.query<FindingSqlRow>(
    `SELECT f.id::text, f."dedupeKey", f.rule, f.severity, f.status, f."identityId"::text AS "identityId", i.name AS identity,
            f."tokenId"::text AS "tokenId", f."certificateId"::text AS "certificateId", f.title, f.explanation, f.recommendation,
            f."blastRadius", f."firstSeenAt", f."lastSeenAt", f."resolvedAt", f."ackReason", f."ackUntil", f."ackBy",
            ${k.cols.map((c, i) => `${c} AS k${i}`).join(', ')}
       ${FINDING_FROM}
      ${q.whereSql()}
      ORDER BY ${k.cols.join(', ')} LIMIT ${f.limit + 1}`,
    q.params,
  );
  const countP = opts.count ? countPage(db, FINDING_FROM, filters, k, after) : undefined;
  const [rows, counted] = await Promise.all([rowsP, countP]);
  return { items: rows.slice(0, f.limit).map((r) => toFindingRow(r, now)), nextCursor: nextCursorOf(rows, f.limit, k.kinds), ...counted };
}
