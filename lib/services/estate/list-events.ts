// Requests list (the binding failures page, /api/v1/events, the CLI): filters through its query
// schema, newest first, keyset pages over the evidence store's two kinds of rows.
import { correlatedByOwnId } from './hops.ts';
import type { Database } from '../../db/open.ts';
import { VERDICTS, type Verdict } from '../../domain/types.ts';
import { BINDING_FAILURE_VERDICTS } from '../../risk/index.ts';
import { verdictCode, verdictCodeListSql, verdictNameSql, verdictOfCode } from '../../domain/verdict-codes.ts';
import { requestKeyOfId } from '../../ingest/evidence/request-key.ts';
import { DIM, DIM_VALUE_MAX } from '../evidence/dims.ts';
import { ledgerIdentitySql } from '../evidence/writer.ts';
import { routeRegex, urlRegex } from '../simulation/scope.ts';
import { isRoutePrefix, ROUTE_PREFIX_MESSAGE } from '../../simulate/policy-schema.ts';
import { z } from 'zod';
import { enumParam, filterObject, textParam, uuidParam, windowInstantParam } from '../../domain/query-params.ts';
import { type CursorKind, decodeCursor, encodeCursor, filtersOf, identityClause, iso, pageParams, parseFilters, perDefaults, refuseForeignCursor, type ListOptions, type Page, type PageQuery, type Params, Sql } from './query.ts';

// Requests as the evidence store keeps them (lib/services/evidence): every notable request (any
// verdict but plain ok, and ok anomalies) individually for its retention, with everything its log
// line said; every other request as its narrow ledger row while the dedupe window lasts (no
// method, URL or exact address: its client network instead). A list is the two merged, newest
// first.

export interface EventFilters {
  requestId?: string;
  /** A request whose own verdict, or whose chain verdict (its whole path's, as findings and pages show it), is this one. */
  verdict?: Verdict;
  /** `binding` = binding failures only (BINDING_FAILURE_VERDICTS), distinct from generic auth failures. */
  failures?: (typeof EVENT_FAILURES)[number];
  identity?: string;
  token?: string;
  gateway?: string;
  reason?: string;
  /** A certificate's x5t#S256 (or the SHA-1 hex NGINX logs): requests that presented it. */
  cert?: string;
  /** With `cert`: the same certificate's SHA-1 hex (lines of gateways that log only that). */
  certSha1?: string;
  /** Ingest source name: requests that came in through it. */
  source?: string;
  /** Client network as evidence keeps it and a simulation's network row shows it (`203.0.113.0`, no `/bits`). */
  network?: string;
  /** Route as a simulation's route row shows it: `host /prefix` (lib/ingest/evidence/route.ts). */
  route?: string;
  /** A policy's route prefix (`host/path`, `host` or `/path`): every route a simulation scoped to it counts. */
  routePrefix?: string;
  from?: Date;
  to?: Date;
  limit: number;
}

/** `binding`: binding failures; `any`: every verdict but ok; `all`: every verdict (the Binding failures page shows `binding` when none is named). */
export const EVENT_FAILURES = ['binding', 'any', 'all'] as const;

/** A page ends at a request: its time and its key (notable and ledger rows merged newest first). */
const EVENT_CURSOR: readonly CursorKind[] = ['instant', 'string'];

/** The requests list's query (the Binding failures page, GET /api/v1/events and `holdfast events` read the same names). */
export type EventQuery = EventFilters & PageQuery;

const eventQuery = perDefaults((defaultLimit: number) =>
  filterObject({
    requestId: textParam().describe('source request id (also accepted as request-id); also finds every hop that carried it as its correlation id (X-Request-ID)'),
    'request-id': textParam().describe('the same as requestId'),
    verdict: enumParam(VERDICTS).describe("one verdict: requests whose own verdict, or whose chain verdict (the whole path's, when its hops were joined), is this one"),
    failures: enumParam(EVENT_FAILURES).describe('binding = binding failures only; any = every verdict but ok; all = every verdict (the default here)'),
    identity: textParam().describe('identity id or exact name'),
    token: uuidParam().describe('token id'),
    gateway: textParam().describe('gateway name'),
    reason: textParam(100).describe('verdict reason'),
    cert: textParam(100).describe("a certificate's x5t#S256 (or the SHA-1 hex NGINX logs): requests that presented it"),
    source: textParam().describe('ingest source name: requests that came in through it'),
    network: networkParam().describe("client network as a simulation's network row shows it (the address at the stored prefix, no /bits: 203.0.113.0)"),
    route: routeParam().describe("route as a simulation's route row shows it: host, a space, then the path prefix (api.example.com /v1/orders)"),
    routePrefix: routePrefixParam().describe("a policy's route prefix (host/path, host or /path): the routes a simulation scoped to it counts"),
    from: windowInstantParam().describe('occurredAt ≥ (ISO 8601, or now-<n>m|h|d|w)'),
    to: windowInstantParam().describe('occurredAt < (ISO 8601, or now-<n>m|h|d|w)'),
    ...pageParams(defaultLimit),
  }).transform(({ 'request-id': requestIdAlias, ...q }, ctx): EventQuery => {
    refuseForeignCursor(ctx, q.after, EVENT_CURSOR);
    return { ...q, requestId: q.requestId ?? requestIdAlias };
  }),
);

/** GET /api/v1/events's query: the filters and page; the OpenAPI document shows it. */
export const EventQuerySchema: z.ZodType<EventQuery> = eventQuery(50);

/** The filters of a view or the CLI, refused as the API refuses them. */
export function parseEventFilters(p: Params, defaultLimit = 50): EventFilters {
  return filtersOf(parseFilters(eventQuery(defaultLimit), p));
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
  /** The client's network (/24, /48, without the bits) as a simulation's network row names it; null on rows kept before it was. */
  clientNetwork: string | null;
  /** `host /prefix` as a simulation's route row names it; null on rows kept before it was. */
  route: string | null;
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

/** A client network as stored: an address without `/bits`, no blanks. */
function networkParam() {
  return z.string().max(100, 'is longer than 100 characters').regex(/^[^\s/]+$/, 'must be a client network as a simulation shows it: an address such as 203.0.113.0, without /bits').optional();
}

/**
 * A stored route, `host /prefix`. Either part may be missing there (` /prefix`, `host `), and query
 * values arrive trimmed: `/prefix` alone is a route without a host, `host` alone one without a path.
 */
function routeParam() {
  return z
    .string()
    .max(DIM_VALUE_MAX, `is longer than ${DIM_VALUE_MAX} characters`)
    .regex(/^(?:[^\s/]+ \/\S*|\/\S*|[^\s/]+)$/, 'must be a route as a simulation shows it: host, a space, then the path prefix (api.example.com /v1/orders)')
    .transform((v) => (v.startsWith('/') ? ` ${v}` : v.includes(' ') ? v : `${v} `))
    .optional();
}

function routePrefixParam() {
  return z.string().max(300, 'is longer than 300 characters').refine((v) => isRoutePrefix(v), ROUTE_PREFIX_MESSAGE).optional();
}

/** Which verdicts the filters allow; null: any. */
function verdictsOf(f: EventFilters): readonly string[] | null {
  let vs: readonly string[] | null = null;
  if (f.failures === 'binding') vs = BINDING_FAILURE_VERDICTS;
  if (f.failures === 'any') vs = NOT_OK;
  // `all`: no restriction.
  if (f.verdict) vs = vs ? vs.filter((v) => v === f.verdict) : [f.verdict];
  return vs;
}

/**
 * Which chain verdicts the filters match besides the request's own verdict: with a verdict asked for,
 * a request whose path has that verdict is listed even when its own line says otherwise (a backend's
 * ok behind an edge that passed a forged certificate header is spoofed_client_cert). Null: none.
 */
function chainVerdictsOf(f: EventFilters): readonly string[] | null {
  if (!f.verdict) return null;
  const vs = verdictsOf(f);
  return vs?.length ? vs : null;
}

/**
 * The hop rows of requests whose chain verdict is one of `vs`, as (columns) of evidence."Hop": a
 * subquery read through its ("chainVerdict", "occurredAt") index, bounded by the list's range.
 */
function chainVerdictRows(q: Sql, columns: string, vs: readonly string[], f: EventFilters): string {
  const range = [
    f.from ? ` AND h."occurredAt" >= ${q.p(f.from.toISOString())}::timestamptz` : '',
    f.to ? ` AND h."occurredAt" < ${q.p(f.to.toISOString())}::timestamptz` : '',
  ].join('');
  return `(SELECT ${columns} FROM "evidence"."Hop" h WHERE h."chainVerdict" IN ${verdictCodeListSql(vs)}${range})`;
}

/** The evidence."Dim" number of a value (a subquery: none when the value was never stored). */
function dimIdSql(q: Sql, kind: number, value: string): string {
  return `(SELECT d.id FROM "evidence"."Dim" d WHERE d."kind" = ${kind} AND d."value" = ${q.p(value)})`;
}

/**
 * Source, client network and route, on either kind of row (both keep them as evidence."Dim" numbers,
 * the ones the usage rows a simulation reads keep): a route prefix resolves as the simulation's scope does.
 */
function placeClauses(q: Sql, a: 'n' | 'r', f: EventFilters): void {
  if (f.source) q.and(`${a}."ns" IN (SELECT d.id FROM "Source" so JOIN "evidence"."Dim" d ON d."kind" = ${DIM.ns} AND d."value" = so.id::text WHERE so.name = ${q.p(f.source)})`);
  if (f.network) q.and(`${a}."network" = ${dimIdSql(q, DIM.network, f.network)}`);
  if (f.route) q.and(`${a}."route" = ${dimIdSql(q, DIM.route, f.route)}`);
  if (f.routePrefix) {
    const routes = `${a}."route" IN (SELECT d.id FROM "evidence"."Dim" d WHERE d."kind" = ${DIM.route} AND d."value" ~ ${q.p(routeRegex(f.routePrefix))})`;
    // A notable row kept before it had its route: by its URL, as a rollout plan reads it (lib/services/plans/read-evidence.ts).
    q.and(a === 'n' ? `(${routes} OR (n."route" IS NULL AND n.url ~* ${q.p(urlRegex(f.routePrefix))}))` : routes);
  }
}

/** WHERE for notable requests (alias n). */
function notableWhere(q: Sql, f: EventFilters): void {
  const vs = verdictsOf(f);
  const chain = chainVerdictsOf(f);
  // A notable row's hop row is the one with its ns, key and time (withHops joins the same one).
  if (chain) q.and(`(n."verdict" IN ${verdictCodeListSql(chain)} OR (n."ns", n."key", n."occurredAt") IN ${chainVerdictRows(q, 'h."ns", h."key", h."occurredAt"', chain, f)})`);
  else if (vs) q.and(vs.length ? `n."verdict" IN ${verdictCodeListSql(vs)}` : 'false');
  // A request id also finds every hop of the request it names: the lines that carried it as their correlation id.
  if (f.requestId) q.and(`(n."requestId" = ${q.p(f.requestId)} OR n."correlationId" = ${q.p(f.requestId)})`);
  identityClause(q, 'n."identityId"', f.identity);
  if (f.token) q.and(`n."tokenId" = ${q.p(f.token)}::uuid`);
  if (f.gateway) q.and(`n.gateway = ${q.p(f.gateway)}`);
  if (f.reason) q.and(`n.reason = ${q.p(f.reason)}`);
  if (f.cert) q.and(`(n."x5tS256" = ${q.p(f.cert)} OR n."sha1Hex" = ${q.p((f.certSha1 ?? f.cert).toLowerCase())})`);
  placeClauses(q, 'n', f);
  if (f.from) q.and(`n."occurredAt" >= ${q.p(f.from.toISOString())}::timestamptz`);
  if (f.to) q.and(`n."occurredAt" < ${q.p(f.to.toISOString())}::timestamptz`);
}

/** WHERE for ledger rows that are not notable (alias r, token t); false when the filters only match notable ones. */
function ledgerWhere(q: Sql, f: EventFilters): boolean {
  const vs = verdictsOf(f);
  const chain = chainVerdictsOf(f);
  const ownOk = !vs || vs.includes('ok');
  if (!ownOk && !chain) return false;
  q.and(`r."verdict" = ${verdictCode('ok')}`);
  q.and(`NOT EXISTS (SELECT 1 FROM "evidence"."Notable" x WHERE x."ns" = r."ns" AND x."key" = r."key" AND x."occurredAt" = r."occurredAt")`);
  // An ok row asked for by another verdict: only by its chain's (its hop row: day, ns and key, as withHops joins it).
  if (!ownOk) q.and(`(r."day", r."ns", r."key") IN ${chainVerdictRows(q, 'h."day", h."ns", h."key"', chain!, f)}`);
  if (f.requestId) {
    // Keyed by the id itself, or a hop of the request that id correlates (hop rows key it the same way).
    const k = q.p(requestKeyOfId(f.requestId).toString('hex'));
    q.and(`(r."key" = decode(${k}, 'hex') OR (r."day", r."ns", r."key") IN (SELECT h."day", h."ns", h."key" FROM "evidence"."Hop" h WHERE h."corr" = decode(${k}, 'hex')))`);
  }
  identityClause(q, ledgerIdentitySql(), f.identity);
  if (f.token) q.and(`r."tokenId" = ${q.p(f.token)}::uuid`);
  if (f.gateway) q.and(`r."gateway" = ${dimIdSql(q, DIM.gateway, f.gateway)}`);
  if (f.reason) q.and(`r."reason" = ${dimIdSql(q, DIM.reason, f.reason)}`);
  if (f.cert) q.and(`r."cert" IN (${dimIdSql(q, DIM.cert, f.cert)}, ${dimIdSql(q, DIM.certSha1, (f.certSha1 ?? f.cert).toLowerCase())})`);
  placeClauses(q, 'r', f);
  if (f.from) q.and(`r."occurredAt" >= ${q.p(f.from.toISOString())}::timestamptz`);
  if (f.to) q.and(`r."occurredAt" < ${q.p(f.to.toISOString())}::timestamptz`);
  return true;
}

const NOTABLE_SELECT = `SELECT 'n' || lpad(n.id::text, 20, '0') AS sk, n."occurredAt", n."requestId", n."correlationId", s.name AS source, n.gateway, n.method, n.url,
       n."clientIp", nw."value" AS "clientNetwork", rt."value" AS route, n."httpStatus", n."authScheme", n."hasDpop", n."identityId"::text AS "identityId", i.name AS identity,
       n."tokenId"::text AS "tokenId", n."tokenFingerprint", n."x5tS256", n.jkt, n."verdict", n.reason, 'notable' AS kept,
       NULL::int AS "hopDay", n."ns" AS "hopNs", n."key" AS "hopKey"
  FROM "evidence"."Notable" n
  LEFT JOIN "Identity" i ON i.id = n."identityId"
  LEFT JOIN "evidence"."Dim" ns ON ns.id = n."ns"
  LEFT JOIN "Source" s ON s.id::text = ns."value"
  LEFT JOIN "evidence"."Dim" nw ON nw.id = n."network"
  LEFT JOIN "evidence"."Dim" rt ON rt.id = n."route"`;

// A key of kind 1 or 2 (lib/ingest/evidence/request-key.ts) is the gateway's request id itself.
const LEDGER_SELECT = `SELECT 'r' || r."day"::text || encode(r."key", 'hex') AS sk, r."occurredAt",
       CASE get_byte(r."key", 0) WHEN 1 THEN encode(substring(r."key" FROM 2), 'hex') WHEN 2 THEN encode(substring(r."key" FROM 2), 'hex')::uuid::text ELSE r."requestId" END AS "requestId",
       NULL::text AS "correlationId", s.name AS source, g."value" AS gateway, NULL::text AS method, NULL::text AS url, NULL::text AS "clientIp",
       nw."value" AS "clientNetwork", rt."value" AS route, r."httpStatus", NULL::text AS "authScheme", false AS "hasDpop",
       li.id::text AS "identityId", i.name AS identity, r."tokenId"::text AS "tokenId", t.fingerprint AS "tokenFingerprint",
       CASE WHEN c."kind" = ${DIM.cert} THEN c."value" END AS "x5tS256", j."value" AS jkt, r."verdict", rs."value" AS reason, 'ledger' AS kept,
       r."day" AS "hopDay", r."ns" AS "hopNs", r."key" AS "hopKey"
  FROM "evidence"."Request" r
  LEFT JOIN "Token" t ON t.id = r."tokenId"
  CROSS JOIN LATERAL (SELECT ${ledgerIdentitySql()} AS id) li
  LEFT JOIN "Identity" i ON i.id = li.id
  LEFT JOIN "evidence"."Dim" ns ON ns.id = r."ns"
  LEFT JOIN "Source" s ON s.id::text = ns."value"
  LEFT JOIN "evidence"."Dim" g ON g.id = r."gateway"
  LEFT JOIN "evidence"."Dim" nw ON nw.id = r."network"
  LEFT JOIN "evidence"."Dim" rt ON rt.id = r."route"
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
  const rows = await db.query<{ key: string | null; label: string | null; verdict: string | null; n: number; lastAt: Date | string }>(
    `SELECT ${cols}, count(*)::int AS n, max(n."occurredAt") AS "lastAt"
       FROM "evidence"."Notable" n LEFT JOIN "Identity" i ON i.id = n."identityId"
      ${q.whereSql()}
      GROUP BY ${group} ORDER BY n DESC, 2 LIMIT 50`,
    q.params,
  );
  return rows.map((r) => ({ key: r.key, label: r.label, verdict: r.verdict, n: Number(r.n), lastAt: iso(r.lastAt)! }));
}

const HOUR_MS = 3_600_000;

/** A listed request as NOTABLE_SELECT / LEDGER_SELECT and withHops return it. */
type EventSqlRow = {
  sk: string;
  occurredAt: Date | string;
  requestId: string | null;
  correlationId: string | null;
  hopCorrelationId: string | null;
  source: string | null;
  gateway: string | null;
  method: string | null;
  url: string | null;
  clientIp: string | null;
  clientNetwork: string | null;
  route: string | null;
  httpStatus: number | null;
  authScheme: string | null;
  hasDpop: boolean | null;
  identityId: string | null;
  identity: string | null;
  tokenId: string | null;
  tokenFingerprint: string | null;
  x5tS256: string | null;
  jkt: string | null;
  verdict: number;
  reason: string | null;
  chainVerdict: string | null;
  kept: string;
};

/**
 * Whether the filters can only match notable requests, or ok ledger rows only by their chain verdict
 * (no ok ledger row as such): then the list can be counted cheaply.
 */
export function notableOnly(f: EventFilters): boolean {
  const vs = verdictsOf(f);
  return vs !== null && !vs.includes('ok');
}

/**
 * With `count`, a list that can only hold notable requests (binding failures, any failure, a
 * verdict other than ok) also answers its total and the page's offset; a list that merges ledger
 * rows does not (counting a week of a fleet's ok requests is not worth a page view).
 */
export async function listEvents(db: Database, f: EventFilters, p: Params, opts: ListOptions = {}): Promise<Page<EventRow>> {
  const after = decodeCursor(p, EVENT_CURSOR);
  const page = f.limit + 1;
  // The time bound alone is what an index (or the ledger's BRIN) can seek to: without it each page
  // scanned every newer row again, and paging through a large estate grew quadratic.
  const cursor = (q: Sql, alias: string, sk: string) => {
    if (!after) return;
    const at = q.p(after[0]);
    q.and(`${alias}."occurredAt" <= ${at}::timestamptz AND (${alias}."occurredAt", ${sk}) < (${at}::timestamptz, ${q.p(after[1])})`);
  };

  const nq = new Sql();
  notableWhere(nq, f);
  cursor(nq, 'n', `'n' || lpad(n.id::text, 20, '0')`);
  const notableP = db.query<EventSqlRow>(
    withHops(`${NOTABLE_SELECT} ${nq.whereSql()} ORDER BY n."occurredAt" DESC, n.id DESC LIMIT ${page}`),
    nq.params,
  );
  const countP = opts.count && notableOnly(f) ? countListed(db, f, after) : undefined;
  const [notable, counted] = await Promise.all([notableP, countP]);

  // Ledger rows newest first. Without a selective filter the ledger may hold a week of a fleet's
  // requests: look back an hour, then a day, then the whole window or range, until the page is full
  // (its BRIN index on occurredAt keeps each look to the blocks of that span). A range's `from`
  // (the failures page always has one, a simulation's drill-down a month) only ends the looks early.
  let ledger: EventSqlRow[] = [];
  const selective = !!(f.requestId || f.token);
  const anchor = Math.min(f.to?.getTime() ?? Infinity, after ? Date.parse(String(after[0])) + 1 : Infinity, Date.now() + 2 * 86_400_000);
  for (const span of selective ? [Infinity] : [HOUR_MS, 24 * HOUR_MS, Infinity]) {
    const rq = new Sql();
    if (!ledgerWhere(rq, f)) break;
    cursor(rq, 'r', `'r' || r."day"::text || encode(r."key", 'hex')`);
    const since = anchor - span;
    // The whole range (or window) is read: this look is the last.
    const whole = !Number.isFinite(since) || since <= (f.from?.getTime() ?? -Infinity);
    if (!whole) rq.and(`r."occurredAt" >= ${rq.p(new Date(since).toISOString())}::timestamptz`);
    ledger = await db.query<EventSqlRow>(
      withHops(`${LEDGER_SELECT} ${rq.whereSql()} ORDER BY r."occurredAt" DESC, 1 DESC LIMIT ${page}`),
      rq.params,
    );
    if (ledger.length >= page || whole) break;
  }

  const merged = [...notable, ...ledger].sort((a, b) => {
    const ta = new Date(a.occurredAt).getTime();
    const tb = new Date(b.occurredAt).getTime();
    return tb - ta || (String(b.sk) < String(a.sk) ? -1 : String(b.sk) > String(a.sk) ? 1 : 0);
  });
  const shown = merged.slice(0, f.limit);
  // A single-hop request whose correlation id is its own request id keeps no Hop row of its own
  // (its hop facts are packed in a segment): lib/services/estate/hops.ts finds which they are.
  const hexOf = (k: Buffer | Uint8Array | string) => (typeof k === 'string' ? k.replace(/^\\x/, '') : Buffer.from(k).toString('hex'));
  const hopRow = (r: EventSqlRow) => r as EventSqlRow & { hopDay: number | null; hopNs: number; hopKey: Buffer | Uint8Array | string };
  const lacking = shown.map(hopRow).filter((r) => !r.correlationId && !r.hopCorrelationId && r.requestId && r.hopDay !== null && r.hopKey);
  const ownIds = lacking.length ? await correlatedByOwnId(db, lacking.map((r) => ({ day: r.hopDay, ns: r.hopNs, key: r.hopKey, occurredAt: r.occurredAt }))) : new Set<string>();
  const items = shown.map(
    (r): EventRow => ({
      id: r.sk,
      requestId: r.requestId,
      correlationId: r.correlationId ?? r.hopCorrelationId ?? (r.requestId && ownIds.has(hexOf(hopRow(r).hopKey)) ? r.requestId : null),
      source: r.source,
      occurredAt: iso(r.occurredAt)!,
      gateway: r.gateway,
      method: r.method,
      url: r.url,
      clientIp: r.clientIp,
      clientNetwork: r.clientNetwork,
      route: r.route,
      httpStatus: r.httpStatus == null ? null : Number(r.httpStatus),
      authScheme: r.authScheme,
      hasDpop: Boolean(r.hasDpop),
      identityId: r.identityId,
      identity: r.identity,
      tokenId: r.tokenId,
      tokenFingerprint: r.tokenFingerprint,
      x5tS256: r.x5tS256,
      jkt: r.jkt,
      verdict: verdictOfCode(Number(r.verdict)),
      reason: r.reason,
      chainVerdict: r.chainVerdict,
      kept: r.kept === 'ledger' ? 'ledger' : 'notable',
    }),
  );
  const last = merged.length > f.limit ? merged[f.limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor([iso(last.occurredAt)!, String(last.sk)]) : null, ...counted };
}

/**
 * Total of the filtered requests, and how many are newer than the cursor: the notable ones, plus the
 * ok ledger rows a chain verdict matches (found through the hop rows' index, so cheap to count too).
 */
async function countListed(db: Database, f: EventFilters, after: (string | number)[] | undefined): Promise<{ total: number; offset: number }> {
  const count = async (from: string, where: (q: Sql) => boolean, sk: string, at: string) => {
    const q = new Sql();
    if (!where(q)) return { total: 0, offset: 0 };
    const offset = after ? `count(*) FILTER (WHERE (${at}, ${sk}) >= (${q.p(after[0])}::timestamptz, ${q.p(after[1])}))::int` : '0';
    const [r] = await db.query<{ total: number; offset: number }>(`SELECT count(*)::int AS total, ${offset} AS "offset" FROM ${from} ${q.whereSql()}`, q.params);
    return { total: Number(r?.total ?? 0), offset: Number(r?.offset ?? 0) };
  };
  const [notable, ledger] = await Promise.all([
    count('"evidence"."Notable" n', (q) => (notableWhere(q, f), true), `'n' || lpad(n.id::text, 20, '0')`, 'n."occurredAt"'),
    chainVerdictsOf(f)
      ? count('"evidence"."Request" r LEFT JOIN "Token" t ON t.id = r."tokenId"', (q) => ledgerWhere(q, f), `'r' || r."day"::text || encode(r."key", 'hex')`, 'r."occurredAt"')
      : { total: 0, offset: 0 },
  ]);
  return { total: notable.total + ledger.total, offset: notable.offset + ledger.offset };
}

