// Shared pieces of the list queries: the page parameters of every list's query schema (the views,
// the API and the CLI read the same names through the same schemas), keyset cursors, and a tiny
// SQL parameter builder.
import { z } from 'zod';
import { unsafeTextMessage, unsafeTextReason } from '../../domain/unsafe-text.ts';
import { HoldfastError } from '../../errors.ts';
import { isStorableInstant, WINDOW_INSTANT_MESSAGE, windowInstant } from '../../domain/instant.ts';
import { enumParam, intParam, parseParams, type Params } from '../../domain/query-params.ts';
import { isUuid } from '../../domain/uuid.ts';

export type { Params };

export function getParam(p: Params, name: string): string | undefined {
  const v = p instanceof URLSearchParams ? p.get(name) ?? undefined : p[name];
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s.trim() === '') return undefined;
  // Pages read their filters through here too, without apiRoute's check: a NUL would reach SQL.
  const unsafe = unsafeTextReason(s);
  if (unsafe) throw new HoldfastError('bad_request', `${name} ${unsafeTextMessage(unsafe)}`);
  return s.trim();
}

export function oneOf<T extends string>(p: Params, name: string, values: readonly T[]): T | undefined {
  const v = getParam(p, name);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw new HoldfastError('bad_request', `${name} must be one of ${values.join(', ')}`);
  return v as T;
}

export function textParam(p: Params, name: string, max = 300): string | undefined {
  const v = getParam(p, name);
  if (v !== undefined && v.length > max) throw new HoldfastError('bad_request', `${name} is longer than ${max} characters`);
  return v;
}

/** An instant from the URL: ISO 8601, or relative to `now` (`now-24h`, `now-7d`), so a shared link keeps its window moving. */
export function dateParam(p: Params, name: string, now: Date = new Date()): Date | undefined {
  const v = getParam(p, name);
  if (v === undefined) return undefined;
  const d = windowInstant(v, now);
  if (!d) throw new HoldfastError('bad_request', `${name} ${WINDOW_INSTANT_MESSAGE}`);
  return d;
}


export const MAX_LIMIT = 500;
export const EXPORT_FORMATS = ['csv', 'json'] as const;

/** The page parameters of a list's query: its size, where it continues, or a download of every row. */
export function pageParams(defaultLimit: number) {
  return {
    limit: intParam(1, MAX_LIMIT, defaultLimit).describe(`rows per page (default ${defaultLimit})`),
    after: z.string().optional().describe('keyset cursor: nextCursor of the previous page'),
    format: enumParam(EXPORT_FORMATS).describe('csv or json: download every row the filters match (CSV cells starting with = + - @ are quoted with a leading apostrophe)'),
  };
}

/** What a list's query holds besides its filters. */
export interface PageQuery {
  after?: string;
  format?: (typeof EXPORT_FORMATS)[number];
}

/** A list's filters without its page parameters (what parse*Filters answer). */
export function filtersOf<Q extends PageQuery>(q: Q): Omit<Q, keyof PageQuery> {
  const { after: _after, format: _format, ...filters } = q;
  return filters;
}

/** Filters of a view or the CLI through the list's schema: a refused value is a bad_request "<name> <why>" (the page shows it, the CLI exits 2 with it). */
export function parseFilters<Q>(schema: z.ZodType<Q>, p: Params): Q {
  return parseParams(schema, p, (first) => `${first.path} ${first.message}`);
}

/** A list's query schema for each set of defaults a caller asks for (a page may sort or size differently from the API), built once each. */
export function perDefaults<A extends unknown[], S>(make: (...a: A) => S): (...a: A) => S {
  const made = new Map<string, S>();
  return (...a) => {
    const key = JSON.stringify(a);
    let s = made.get(key);
    if (!s) made.set(key, (s = make(...a)));
    return s;
  };
}

/** Keyset cursor: the sort key of the last row, base64url JSON. Opaque to clients. */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * What a cursor position holds: 'string' and 'number' as typed; 'uuid' and 'instant' are strings
 * the list casts to ::uuid / ::timestamptz, checked here so a forged cursor is a 400, not a cast
 * error from PostgreSQL (a 500).
 */
export type CursorKind = 'string' | 'number' | 'uuid' | 'instant';

function cursorValueOk(x: unknown, kind: CursorKind): boolean {
  if (kind === 'number') return Number.isSafeInteger(x);
  if (typeof x !== 'string' || unsafeTextReason(x) !== null) return false;
  if (kind === 'uuid') return isUuid(x);
  if (kind === 'instant') return isStorableInstant(new Date(x));
  return true;
}

const CURSOR_MESSAGE = 'is not a cursor from this list (use nextCursor as given)';

/** The values of a cursor whose positions hold `kinds`, or null when it is not one. */
export function cursorValues(v: string, kinds: readonly CursorKind[]): (string | number)[] | null {
  try {
    if (v.length > 1000) return null;
    const a = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as unknown;
    // A forged cursor is a path to SQL too: strings must be storable, numbers whole and within
    // what the bigint sort keys hold (1e308 would fail the ::bigint cast).
    if (!Array.isArray(a) || a.length !== kinds.length || a.some((x, i) => !cursorValueOk(x, kinds[i]!))) return null;
    return a as (string | number)[];
  } catch {
    return null;
  }
}

export function decodeCursor(p: Params, kinds: readonly CursorKind[]): (string | number)[] | undefined {
  const v = getParam(p, 'after');
  if (v === undefined) return undefined;
  const values = cursorValues(v, kinds);
  if (!values) throw new HoldfastError('bad_request', `after ${CURSOR_MESSAGE}`);
  return values;
}

/** In a list's query schema: a cursor another list or sort order wrote (or a forged one) is refused as `after`. */
export function refuseForeignCursor(ctx: z.RefinementCtx, after: string | undefined, kinds: readonly CursorKind[]): void {
  if (after !== undefined && !cursorValues(after, kinds)) ctx.addIssue({ code: 'custom', path: ['after'], message: CURSOR_MESSAGE, input: after });
}

/** Collects $n parameters while a WHERE clause is assembled. */
export class Sql {
  readonly params: unknown[] = [];
  readonly where: string[] = [];
  p(v: unknown): string {
    this.params.push(v);
    return `$${this.params.length}`;
  }
  and(clause: string): void {
    this.where.push(clause);
  }
  whereSql(): string {
    return this.where.length ? `WHERE ${this.where.join(' AND ')}` : '';
  }
  /** A copy to grow separately (the count query takes the filters, not the cursor). */
  clone(): Sql {
    const c = new Sql();
    c.params.push(...this.params);
    c.where.push(...this.where);
    return c;
  }
}

/** `identity=` accepts an id or an exact name. */
export function identityClause(q: Sql, col: string, v: string | undefined): void {
  if (v === undefined) return;
  if (isUuid(v)) q.and(`${col} = ${q.p(v.toLowerCase())}::uuid`);
  else q.and(`${col} IN (SELECT id FROM "Identity" WHERE name = ${q.p(v)})`);
}

/**
 * A keyset sort: the columns compared ascending as one row (descending parts negated), what each
 * cursor position holds and the SQL type it is cast to.
 */
export interface SortKey {
  cols: string[];
  kinds: CursorKind[];
  casts: string[];
}

/** The row comparison `(cols) op (cursor)`, its values added as parameters. */
export function keysetClause(q: Sql, k: SortKey, after: readonly (string | number)[], op: '>' | '<=' | '<' | '>='): string {
  return `(${k.cols.join(', ')}) ${op} (${after.map((v, i) => `${q.p(v)}::${k.casts[i]}`).join(', ')})`;
}

/** Rows fetched as k0..kn carry the sort key; the cursor is the last shown row's. */
export function nextCursorOf(rows: readonly Record<string, unknown>[], limit: number, kinds: readonly CursorKind[]): string | null {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return last ? encodeCursor(kinds.map((kind, i) => (kind === 'number' ? Number(last[`k${i}`]) : String(last[`k${i}`])))) : null;
}

/**
 * Total of the filtered rows and how many come before the cursor (the page's offset), in one
 * count: the views show "page 3 of 12 · 560 tokens" while paging stays keyset. `filters` holds
 * the WHERE of the list without its cursor; `from` is the FROM (and joins) the filters read, `with` a WITH clause they need.
 */
export async function countPage(
  db: { query<T>(sql: string, params?: unknown[]): Promise<T[]> },
  from: string,
  filters: Sql,
  k: SortKey,
  after: readonly (string | number)[] | undefined,
  opts: { before?: '<=' | '>='; with?: string } = {},
): Promise<{ total: number; offset: number }> {
  const q = filters.clone();
  const where = q.whereSql();
  const offset = after ? `count(*) FILTER (WHERE ${keysetClause(q, k, after, opts.before ?? '<=')})::int` : '0';
  const [r] = await db.query<{ total: number; offset: number }>(`${opts.with ?? ''} SELECT count(*)::int AS total, ${offset} AS "offset" ${from} ${where}`, q.params);
  return { total: Number(r?.total ?? 0), offset: Number(r?.offset ?? 0) };
}

export const SEVERITY_RANK_SQL = (col: string) =>
  `CASE ${col} WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`;

export const iso = (v: unknown): string | null => (v == null ? null : (v instanceof Date ? v : new Date(String(v))).toISOString());

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  /** With `count: true`: rows matching the filters, and how many precede this page. */
  total?: number;
  offset?: number;
}

/** Options of a list call: `count` asks for the total and the page's offset (one more query). */
export interface ListOptions {
  count?: boolean;
}
