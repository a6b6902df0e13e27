// The hop view (issue #16 item 5): per route (the host and path prefix the client addressed), the
// path client → edge → … → backend as the correlated requests showed it — what the edge checked of
// the client's certificate, whether it forwarded that certificate intact, stripped it or passed a
// client-supplied one on, what the backend then decided — with counts, one example request per
// outcome (its correlation id, which `holdfast events --request-id` and the events API resolve to
// every hop's line) and the hop that leaked. Read from evidence."HopUsage" (decided chains per
// hour, kept for the usage retention), so it answers beyond the ledger window.
import { z } from 'zod';
import type { Database } from '../../db/open.ts';
import type { Verdict } from '../../domain/types.ts';
import { verdictOfCode } from '../../domain/verdict-codes.ts';
import type { ChainReason, HopRole } from '../../hops/index.ts';
import { DIM } from '../evidence/dims.ts';
import { chainReasonOfCode, tlsViewOfCode, type TlsView } from '../evidence/hop-codes.ts';
import { decodeSegment } from '../evidence/hop-segments.ts';
import { filterObject, textParam, windowInstantParam } from '../../domain/query-params.ts';
import { iso, parseFilters, Sql, type Params } from './query.ts';

export interface HopFilters {
  /** Exact route (`host /prefix`), or a path prefix it ends with. */
  route?: string;
  /** A source name: paths it is a hop of. */
  source?: string;
  from?: Date;
  to?: Date;
}

/** The hop view's query (the Hops page and GET /api/v1/hops read the same names); the OpenAPI document shows it. */
export const HopQuerySchema: z.ZodType<HopFilters> = filterObject({
  route: textParam().describe('exact route (`host /prefix`) or a path prefix it ends with'),
  source: textParam(200).describe("a hop's source name"),
  from: windowInstantParam().describe('chains seen at or after (ISO 8601, or now-<n>m|h|d|w)'),
  to: windowInstantParam().describe('chains seen before (ISO 8601, or now-<n>m|h|d|w)'),
});

/** The filters of the Hops page, refused as the API refuses them. */
export function parseHopFilters(p: Params): HopFilters {
  return parseFilters(HopQuerySchema, p);
}

/** A hop as the view names it: its source (the ingest source's name, else its namespace) and where it sits. */
export interface HopName {
  source: string;
  role: HopRole;
}

export interface HopOutcome {
  chainVerdict: Verdict;
  reason: ChainReason;
  /** The hop that lost or replaced the client's certificate on the way, when one did. */
  leakingHop: HopName | null;
  /** What the edge saw of the client's certificate check. */
  edgeTls: TlsView;
  /** The backend's own verdict and answer. */
  backendVerdict: Verdict | null;
  backendStatus: number | null;
  requests: number;
  firstAt: string;
  lastAt: string;
  /** A correlation id of one such request: every hop's line of it is `holdfast events --request-id <it>`. */
  example: string | null;
}

export interface HopPath {
  route: string | null;
  edge: HopName;
  backend: HopName;
  /** Hops on the path (2: edge and backend). */
  hops: number;
  requests: number;
  firstAt: string;
  lastAt: string;
  edgeChecks: { verified: number; noCertificate: number; failed: number; unlogged: number };
  forwarding: { intact: number; stripped: number; clientSupplied: number; notComparable: number; noCertificate: number };
  backendAnswers: { accepted: number; refused: number; unknown: number };
  /** Each hop that leaked, with what it did; empty when none did. */
  leaks: Array<{ hop: HopName; stripped: number; clientSupplied: number; clientSuppliedAccepted: number; example: string | null }>;
  outcomes: HopOutcome[];
}

const HopNameSchema = z.object({ source: z.string(), role: z.enum(['edge', 'proxy', 'backend']) });
export const HopPathSchema = z.object({
  route: z.string().nullable(),
  edge: HopNameSchema,
  backend: HopNameSchema,
  hops: z.number().int(),
  requests: z.number().int(),
  firstAt: z.string(),
  lastAt: z.string(),
  edgeChecks: z.object({ verified: z.number().int(), noCertificate: z.number().int(), failed: z.number().int(), unlogged: z.number().int() }),
  forwarding: z.object({ intact: z.number().int(), stripped: z.number().int(), clientSupplied: z.number().int(), notComparable: z.number().int(), noCertificate: z.number().int() }),
  backendAnswers: z.object({ accepted: z.number().int(), refused: z.number().int(), unknown: z.number().int() }),
  leaks: z.array(z.object({ hop: HopNameSchema, stripped: z.number().int(), clientSupplied: z.number().int(), clientSuppliedAccepted: z.number().int(), example: z.string().nullable() })),
  outcomes: z.array(z.object({
    chainVerdict: z.string(), reason: z.string(), leakingHop: HopNameSchema.nullable(), edgeTls: z.string(), backendVerdict: z.string().nullable(),
    backendStatus: z.number().int().nullable(), requests: z.number().int(), firstAt: z.string(), lastAt: z.string(), example: z.string().nullable(),
  })),
});
export const HopViewSchema = z.object({ paths: z.array(HopPathSchema) });

// A namespace's display name: its source's name, else the namespace itself (`format:<name>`).
const nsName = (dim: string) => `coalesce((SELECT s.name FROM "Source" s WHERE s.id::text = ${dim}."value"), ${dim}."value")`;

const HOP_USAGE_SQL = (where: string) => `
SELECT rt."value" AS route, ${nsName('ed')} AS edge, ${nsName('bd')} AS backend, u."hops", ${nsName('ld')} AS leak, u."leakPos",
       u."edgeTls", u."chainVerdict", u."chainReason", u."backendVerdict", u."backendStatus",
       sum(u."count")::int AS n, min(u."firstAt") AS "firstAt", max(u."lastAt") AS "lastAt", min(u."exemplar") AS example
  FROM "evidence"."HopUsage" u
  LEFT JOIN "evidence"."Dim" rt ON rt."id" = u."route" AND rt."kind" = ${DIM.route}
  LEFT JOIN "evidence"."Dim" ed ON ed."id" = u."edgeNs"
  LEFT JOIN "evidence"."Dim" bd ON bd."id" = u."backendNs"
  LEFT JOIN "evidence"."Dim" ld ON ld."id" = u."leakNs"
 ${where}
 GROUP BY rt."value", ed."value", bd."value", u."hops", ld."value", u."leakPos", u."edgeTls", u."chainVerdict", u."chainReason", u."backendVerdict", u."backendStatus"
HAVING sum(u."count") > 0`;

/** The role of the hop at `pos` on a path of `hops` hops. */
export function roleAt(pos: number, hops: number): HopRole {
  return pos === 0 ? 'edge' : pos === hops - 1 ? 'backend' : 'proxy';
}

const SPOOFED: ReadonlySet<ChainReason> = new Set(['certificate_replaced', 'certificate_injected']);

/** Every route's hop paths in the range, most requests first. */
export async function listHopPaths(db: Database, f: HopFilters): Promise<HopPath[]> {
  const q = new Sql();
  if (f.from) q.and(`u."lastAt" >= ${q.p(f.from.toISOString())}::timestamptz`);
  if (f.to) q.and(`u."firstAt" < ${q.p(f.to.toISOString())}::timestamptz`);
  if (f.route) {
    const r = q.p(f.route);
    q.and(`(rt."value" = ${r} OR right(rt."value", length(${r}) + 1) = ' ' || ${r})`);
  }
  // Small integers (SMALLINT columns, count::int) are numbers on both drivers.
  const rows = await db.query<{
    route: string | null; edge: string; backend: string; hops: number; leak: string | null; leakPos: number | null;
    edgeTls: number | null; chainVerdict: number; chainReason: number; backendVerdict: number | null; backendStatus: number | null;
    n: number; firstAt: Date | string; lastAt: Date | string; example: string | null;
  }>(HOP_USAGE_SQL(q.whereSql()), q.params);
  const paths = new Map<string, HopPath>();
  for (const r of rows) {
    const hops = r.hops;
    const edge: HopName = { source: r.edge, role: 'edge' };
    const backend: HopName = { source: r.backend, role: 'backend' };
    if (f.source && edge.source !== f.source && backend.source !== f.source && r.leak !== f.source) continue;
    const route = r.route;
    const k = JSON.stringify([route, edge.source, backend.source, hops]);
    const n = r.n;
    const firstAt = iso(r.firstAt)!;
    const lastAt = iso(r.lastAt)!;
    let p = paths.get(k);
    if (!p) {
      p = {
        route, edge, backend, hops, requests: 0, firstAt, lastAt,
        edgeChecks: { verified: 0, noCertificate: 0, failed: 0, unlogged: 0 },
        forwarding: { intact: 0, stripped: 0, clientSupplied: 0, notComparable: 0, noCertificate: 0 },
        backendAnswers: { accepted: 0, refused: 0, unknown: 0 },
        leaks: [], outcomes: [],
      };
      paths.set(k, p);
    }
    p.requests += n;
    if (firstAt < p.firstAt) p.firstAt = firstAt;
    if (lastAt > p.lastAt) p.lastAt = lastAt;
    const tls = tlsViewOfCode(r.edgeTls);
    if (tls === 'success') p.edgeChecks.verified += n;
    else if (tls === 'none') p.edgeChecks.noCertificate += n;
    else if (tls === 'failed') p.edgeChecks.failed += n;
    else p.edgeChecks.unlogged += n;
    const reason = chainReasonOfCode(r.chainReason);
    if (reason === 'forwarded_intact') p.forwarding.intact += n;
    else if (reason === 'certificate_stripped') p.forwarding.stripped += n;
    else if (SPOOFED.has(reason)) p.forwarding.clientSupplied += n;
    else if (reason === 'not_comparable') p.forwarding.notComparable += n;
    else p.forwarding.noCertificate += n;
    const status = r.backendStatus;
    if (status === null) p.backendAnswers.unknown += n;
    else if (status >= 200 && status < 300) p.backendAnswers.accepted += n;
    else p.backendAnswers.refused += n;
    const leakingHop: HopName | null = r.leakPos == null || r.leak == null ? null : { source: r.leak, role: roleAt(r.leakPos, hops) };
    const example = r.example;
    if (leakingHop) {
      let l = p.leaks.find((x) => x.hop.source === leakingHop.source && x.hop.role === leakingHop.role);
      if (!l) p.leaks.push((l = { hop: leakingHop, stripped: 0, clientSupplied: 0, clientSuppliedAccepted: 0, example: null }));
      if (SPOOFED.has(reason)) {
        l.clientSupplied += n;
        if (status !== null && status >= 200 && status < 300) l.clientSuppliedAccepted += n;
        // The worst outcome is the example worth opening.
        l.example = example ?? l.example;
      } else {
        l.stripped += n;
        l.example ??= example;
      }
    }
    p.outcomes.push({
      chainVerdict: verdictOfCode(Number(r.chainVerdict)), reason, leakingHop, edgeTls: tls,
      backendVerdict: r.backendVerdict == null ? null : verdictOfCode(Number(r.backendVerdict)), backendStatus: status,
      requests: n, firstAt, lastAt, example,
    });
  }
  const list = [...paths.values()];
  for (const p of list) p.outcomes.sort((a, b) => b.requests - a.requests || (a.chainVerdict < b.chainVerdict ? -1 : 1));
  // Leaking paths first (a client-supplied certificate first of all), then by volume.
  const weight = (p: HopPath) => (p.forwarding.clientSupplied > 0 ? 2 : p.forwarding.stripped > 0 ? 1 : 0);
  return list.sort((a, b) => weight(b) - weight(a) || b.requests - a.requests || String(a.route).localeCompare(String(b.route)));
}

/**
 * Which of these listed ledger requests carried a correlation id equal to their own request id. While
 * no other hop of such a request is seen it has no evidence."Hop" row (its hop facts are packed in
 * segments, lib/services/evidence/hops.ts), so a list that joins Hop rows for the correlation id
 * finds none: its correlation id is its request id. Answers the keys (hex) found, reading only the
 * segments of the rows' sources and days around their times (for a page: a few segments).
 */
export async function correlatedByOwnId(
  db: Database,
  rows: ReadonlyArray<{ day: number | null; ns: number; key: Buffer | Uint8Array | string; occurredAt: Date | string }>,
): Promise<Set<string>> {
  const out = new Set<string>();
  const wanted = rows.filter((r) => r.day !== null).map((r) => ({ ...r, hex: typeof r.key === 'string' ? r.key.replace(/^\\x/, '') : Buffer.from(r.key).toString('hex'), at: new Date(r.occurredAt).getTime() }));
  if (!wanted.length) return out;
  const segs = await db.query<{ packed: unknown; texts: string | null; ns: number; day: number }>(
    `SELECT h."packed", h."corrText" AS texts, h."ns", h."day" FROM "evidence"."Hop" h
       JOIN unnest($1::int[], $2::int[], $3::timestamptz[]) AS w(ns, day, at)
         ON h."corr" = '\\x00' AND h."ns" = w.ns AND h."day" = w.day AND h."occurredAt" <= w.at AND h."until" >= w.at`,
    [wanted.map((w) => w.ns), wanted.map((w) => w.day), wanted.map((w) => new Date(w.at).toISOString())],
  );
  const byKey = new Map(wanted.map((w) => [`${w.ns}|${w.day}|${w.hex}`, w]));
  const seen = new Set<unknown>();
  for (const s of segs) {
    if (seen.has(s.packed)) continue;
    seen.add(s.packed);
    const packed = Buffer.isBuffer(s.packed) ? s.packed : s.packed instanceof Uint8Array ? Buffer.from(s.packed) : Buffer.from(String(s.packed).replace(/^\\x/, ''), 'hex');
    const seg = decodeSegment(packed, s.texts);
    for (let i = 0; i < seg.n; i++) {
      if (seg.full[i] === 1) continue;
      const hex = Buffer.from(seg.corrKey(i), 'latin1').toString('hex');
      if (byKey.has(`${s.ns}|${s.day}|${hex}`)) out.add(hex);
    }
  }
  return out;
}
