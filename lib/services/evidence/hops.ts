// Hops of one request seen by several sources (issue #16 item 5), as the ingest pipeline feeds
// them: every new request of a chunk is offered to the recorder (observe), which keeps what
// correlating hops needs — only for requests with an id another hop may carry: a correlation id, else
// their own request id (an edge that generates the X-Request-ID it sends on logs it only as its
// request id: HAProxy unique-id-header + %ID, NGINX $request_id) — and, once per batch
// before it commits (finish), joins each of the batch's requests with the other hops of its
// correlation id already stored (any source, from any earlier batch), decides the chain with
// lib/hops, stores each hop with its chain verdict in evidence."Hop" (updating earlier batches' rows
// too: edge and backend logs arrive in any order) and keeps decided chains per hour in
// evidence."HopUsage", which outlives the ledger window.
//
// The batch's own hops wait in a temporary table until finish: written once, already decided (an
// UPDATE would write every row twice), memory stays flat, and they are told apart from stored hops
// (whose decisions were counted in HopUsage before) without remembering keys.
//
// Single hops cost next to nothing (issue #15): most requests are seen by one hop only. A request whose
// correlation id is its own request id, or that logs none but has a request id (an edge logging the
// X-Request-ID it generates, as either) gets no row of
// its own: its hop facts go into a packed segment (lib/services/evidence/hop-segments.ts: one row of
// evidence."Hop" with "corr" = '\x00' per source, side, day and few minutes of a chunk, ~20 bytes a
// request). At finish, each of the batch's segments is matched against the segments of the other
// sources and sides around its time (hops of one source and side never form a chain with each other,
// lib/hops correlateHops): only requests whose correlation id was seen by another hop become full Hop
// rows and are decided as before. A single-edge estate reads no segment at all. A request whose
// correlation id is not its request id keeps its full row from the start (listEvents finds it by the
// id and shows the id), and is in a segment too, so the hops of other batches find it.
// A line without a correlation id is stored by its own request id like one whose correlation id is
// that id, so the store cannot apply lib/hops's caution that two lines claiming one id as their own
// join neither: it relies on ids an edge generates being unique (NGINX $request_id: 128 random bits;
// HAProxy's %ID: addresses, ports, time, counter and pid), and on the grouping window.
//
// Concurrency: an edge batch and a backend batch may commit at the same time, each unable to see the
// other's uncommitted rows: both would decide "one hop" and the chain would never be decided. So the
// decision runs under transaction-scoped advisory locks on the correlation ids' stripes (64), taken
// together and in ascending order at finish: the second batch waits for the first to commit and then
// sees its rows (READ COMMITTED: every statement sees what committed before it). Locks are taken only
// at finish, all at once and sorted, so two batches never hold one each and wait for the other; only
// holders of a stripe's lock update that stripe's stored hops. Chain usage deltas are merged in memory
// and upserted once, in key order, into the connection's stripe (as the usage writer does).
import { createHash, randomBytes } from 'node:crypto';
import { columnNames, sideExecutor, unnestParams, unnestSelect, type BulkColumn, type SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import type { NormalizedEvent } from '../../domain/types.ts';
import { verdictCode, verdictOfCode } from '../../domain/verdict-codes.ts';
import { commonName, correlateHops, decideChain, inferRole, normalizeSerial, propagatedId, type ChainDecision, type HopObservation } from '../../hops/index.ts';
import { ledgerDay } from '../../ingest/evidence/ledger-day.ts';
import { keyCarriesId, REQUEST_KEY_BYTES, requestIdOfKey, requestKeyOfId } from '../../ingest/evidence/request-key.ts';
import { routeOf } from '../../ingest/evidence/route.ts';
import { DIM, dimCache, type DimCache, type DimKind } from './dims.ts';
import { chainReasonCode, TLS_CODES, tlsViewOf, tlsViewOfCode, verifyOfTlsView } from './hop-codes.ts';
import { decodeSegment, encodeSegment, SEGMENT_MAX, SEGMENT_SPAN_MS, type DecodedSegment, type HopFacts } from './hop-segments.ts';
import { keptSpan, monthStart, partitionSet, type PartitionedTable, type RetentionConfig } from './partitions.ts';
import type { DecidedRequest } from './writer.ts';

export interface HopRecorderOptions {
  db: Database;
  /** The batch transaction. */
  exec: SqlExecutor;
  batchId: string;
  /** The batch's source id (null: none) and dedupe namespace. */
  sourceId: string | null;
  namespace: string;
  now: () => Date;
  /** The evidence retention: chain usage is counted only inside the hourly usage retention. */
  retention: RetentionConfig;
  /** How far back the evidence holds in force reach (holds.ts heldSinceMs): counted from then on too. */
  heldSinceMs?: number | null;
}

/** Advisory lock class of the correlation stripes (partitions use 727_002). */
const HOP_LOCK = 727_003;
/** Correlation stripes (by the key's last byte): few enough that a batch's locks fit PostgreSQL's lock table easily. */
const STRIPES = 64;
/** Stored hops looked at around a batch's own: twice the grouping window each side. */
const LOOK_MS = 60_000;
/** Correlation ids decided per lookup statement. */
const PAGE = 2000;
const HOUR_MS = 3_600_000;

/**
 * Serial and common names of a certificate view, when it has any: what lib/hops compares by when a
 * view has neither thumbprint (Caddy logs only the CN and serial). A TLS view with a thumbprint
 * skips them: the views it meets are forwarded certificates, read from DER or PEM, which carry the
 * same thumbprints (this saves ~40 bytes on every edge line); forwarded views always keep them.
 */
function namesOf(c: NonNullable<NormalizedEvent['cert']> | null | undefined, always: boolean): string | null {
  if (!c || (!c.serial && !c.subjectDn && !c.issuerDn)) return null;
  if (!always && (c.x5tS256 || c.sha1Hex)) return null;
  // A DN without a CN is kept as "-": it still names a certificate, and compares as unknown (lib/hops sameDnPart).
  const dn = (d: string | null) => (d ? (commonName(d) !== null ? `CN=${commonName(d)}` : '-') : null);
  return JSON.stringify([c.serial ? normalizeSerial(c.serial) : null, dn(c.subjectDn), dn(c.issuerDn)]);
}

function certOfStored(x5t: string | null, sha1: string | null, names: string | null, verify: string | null): NonNullable<NormalizedEvent['cert']> {
  const [serial, subjectDn, issuerDn] = names ? (JSON.parse(names) as [string | null, string | null, string | null]) : [null, null, null];
  return { x5tS256: x5t, sha1Hex: sha1, subjectDn, issuerDn, serial, notBefore: null, notAfter: null, verify };
}

/** A full Hop row: the facts, the segment's day and source, and the request's ledger key. */
interface HopRow extends HopFacts {
  day: number;
  ns: number;
  key: Buffer;
}

const hex = (b: Uint8Array) => `\\x${Buffer.from(b).toString('hex')}`;

const hopColumns: BulkColumn<HopRow>[] = [
  { name: 'occurredAt', type: 'timestamptz', get: (x) => new Date(x.at) },
  { name: 'day', type: 'int4', get: (x) => x.day },
  { name: 'corr', type: 'bytea', get: (x) => hex(x.corr) },
  { name: 'ns', type: 'int4', get: (x) => x.ns },
  { name: 'key', type: 'bytea', get: (x) => hex(x.key) },
  { name: 'route', type: 'int4', get: (x) => x.route },
  { name: 'httpStatus', type: 'int2', get: (x) => x.httpStatus },
  { name: 'verdict', type: 'int2', get: (x) => x.verdict },
  { name: 'tls', type: 'int2', get: (x) => x.tls },
  { name: 'cert', type: 'int4', get: (x) => x.cert },
  { name: 'certSha1', type: 'int4', get: (x) => x.certSha1 },
  { name: 'fwd', type: 'int2', get: (x) => x.fwd },
  { name: 'fwdCert', type: 'int4', get: (x) => x.fwdCert },
  { name: 'fwdSha1', type: 'int4', get: (x) => x.fwdSha1 },
  { name: 'certNames', type: 'text', get: (x) => x.certNames },
  { name: 'fwdNames', type: 'text', get: (x) => x.fwdNames },
  { name: 'corrText', type: 'text', get: (x) => x.corrText },
];

/** A packed segment row of evidence."Hop" (see the top of this file). */
interface SegmentRow {
  marker: Buffer;
  day: number;
  ns: number;
  role: number;
  lo: number;
  hi: number;
  packed: Buffer;
  texts: string | null;
}

const segmentColumns: BulkColumn<SegmentRow>[] = [
  { name: 'occurredAt', type: 'timestamptz', get: (x) => new Date(x.lo) },
  { name: 'until', type: 'timestamptz', get: (x) => new Date(x.hi) },
  { name: 'day', type: 'int4', get: (x) => x.day },
  { name: 'corr', type: 'bytea', get: () => SEGMENT_CORR },
  { name: 'ns', type: 'int4', get: (x) => x.ns },
  { name: 'role', type: 'int2', get: (x) => x.role },
  { name: 'key', type: 'bytea', get: (x) => hex(x.marker) },
  { name: 'verdict', type: 'int2', get: () => 0 },
  { name: 'packed', type: 'bytea', get: (x) => hex(x.packed) },
  { name: 'corrText', type: 'text', get: (x) => x.texts },
];

/** "corr" of segment rows: one byte, so no correlation key (17 bytes) is ever equal to it. */
const SEGMENT_CORR = '\\x00';
/** Sides of the edge as segment rows store them. */
const ROLE_CODE = { edge: 0, backend: 1, proxy: 2 } as const;

/**
 * Which hop a line is, for lib/hops: its source, and the side of the TLS-terminating edge the line
 * shows (lib/hops inferRole). A log shipper may send an edge's and a backend's lines as one source;
 * they are still two hops. Two lines of one source on the same side are one hop twice (a retry, a
 * fixed X-Request-ID), which lib/hops keeps apart.
 */
function hopSource(h: { ns: number; event: NormalizedEvent }): string {
  return `${h.ns}:${inferRole(h.event)}`;
}

/** One stored hop as lib/hops reads it, with its stored chain decision. */
interface StoredHop {
  /** Written by this batch (in its staging table), so never counted in the chain usage yet. */
  mine: boolean;
  key: string;
  ns: number;
  day: number;
  corr: string;
  occurredAt: Date;
  route: number | null;
  httpStatus: number | null;
  verdict: number;
  tls: number | null;
  chain: { verdict: number | null; reason: number | null; pos: number | null; leak: number | null };
  corrText: string | null;
  event: NormalizedEvent;
}

/** Stored hops of the given correlation ids, each within its span, from `table` (the store, or the batch's staging table). */
const storedSelect = (table: string) => `SELECT encode(h."key", 'hex') AS key, h."ns", h."day", encode(h."corr", 'hex') AS corr, h."occurredAt", h."route", h."httpStatus",
       h."verdict", h."tls", h."fwd", h."chainVerdict", h."chainReason", h."chainPos", h."chainLeak", h."corrText", h."certNames", h."fwdNames",
       c."value" AS "certX5t", cs."value" AS "certSha1", f."value" AS "fwdX5t", fs."value" AS "fwdSha1"
  FROM ${table} h
  JOIN unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS w(corr, lo, hi)
    ON h."corr" = decode(w.corr, 'hex') AND h."occurredAt" BETWEEN w.lo AND w.hi
  LEFT JOIN "evidence"."Dim" c ON c."id" = h."cert"
  LEFT JOIN "evidence"."Dim" cs ON cs."id" = h."certSha1"
  LEFT JOIN "evidence"."Dim" f ON f."id" = h."fwdCert"
  LEFT JOIN "evidence"."Dim" fs ON fs."id" = h."fwdSha1"`;

type Row = Record<string, unknown>;
/** A bytea value as either runtime returns it. */
const bytesOf = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.from(String(v).replace(/^\\x/, ''), 'hex'));

/** Hop i of a segment as a full row (its ledger key is its correlation key: it had no full row). */
function rowOf(seg: DecodedSegment, i: number, day: number, ns: number): HopRow {
  const f = seg.facts(i);
  return { ...f, day, ns, key: f.corr };
}
const intOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** A stored hop row back into the event fields lib/hops looks at (certificate views, time, correlation). */
function storedHop(r: Row, mine: boolean): StoredHop {
  const tls = intOrNull(r.tls);
  const fwd = intOrNull(r.fwd);
  const view = tlsViewOfCode(tls);
  const event: NormalizedEvent = {
    format: 'stored', occurredAt: new Date(r.occurredAt as string), requestId: null, gateway: null, method: null, url: null, clientIp: null,
    httpStatus: intOrNull(r.httpStatus), authScheme: null, hasDpop: false, dpopProof: null, tokenFingerprint: null, tokenClaims: null, identityHint: null,
    cert: view === 'absent' ? null : certOfStored(strOrNull(r.certX5t), strOrNull(r.certSha1), strOrNull(r.certNames), verifyOfTlsView(view)),
    failureDetail: null, sourceVerdict: null, redactedRaw: '', correlationId: String(r.corr),
  };
  if (fwd !== null) event.forwardedCert = fwd === 0 ? null : { ...certOfStored(strOrNull(r.fwdX5t), strOrNull(r.fwdSha1), strOrNull(r.fwdNames), null), header: '' };
  return {
    mine, key: String(r.key), ns: Number(r.ns), day: Number(r.day), corr: String(r.corr), occurredAt: event.occurredAt, route: intOrNull(r.route),
    httpStatus: event.httpStatus, verdict: Number(r.verdict), tls,
    chain: { verdict: intOrNull(r.chainVerdict), reason: intOrNull(r.chainReason), pos: intOrNull(r.chainPos), leak: intOrNull(r.chainLeak) },
    corrText: strOrNull(r.corrText), event,
  };
}

/** What a decided chain adds to the hourly chain usage. */
interface ChainAgg {
  hour: number;
  at: number;
  route: number | null;
  edgeNs: number;
  backendNs: number;
  hops: number;
  leakNs: number | null;
  /** Position of the leaking hop on the path (0: the edge). */
  leakPos: number | null;
  observedNs: number | null;
  edgeTls: number | null;
  chainVerdict: number;
  chainReason: number;
  backendVerdict: number;
  backendStatus: number | null;
  exemplar: string;
}

/** The chain usage a chain of stored hops, in path order, with its decision, stands for. */
function chainAgg(path: StoredHop[], d: { verdict: number; reason: number; leak: number | null }): ChainAgg {
  const edge = path[0]!;
  const backend = path[path.length - 1]!;
  const at = edge.occurredAt.getTime();
  return {
    hour: Math.floor(at / HOUR_MS) * HOUR_MS, at,
    route: edge.route ?? backend.route, edgeNs: edge.ns, backendNs: backend.ns, hops: path.length,
    leakNs: d.leak === null ? null : path[d.leak]?.ns ?? null, leakPos: d.leak, observedNs: d.leak === null ? null : path[d.leak + 1]?.ns ?? null,
    edgeTls: edge.tls, chainVerdict: d.verdict, chainReason: d.reason, backendVerdict: backend.verdict, backendStatus: backend.httpStatus,
    exemplar: edge.corrText ?? requestIdOfKey(Buffer.from(edge.corr, 'hex')) ?? edge.corr,
  };
}

function aggDims(a: ChainAgg): string {
  return [a.route, a.edgeNs, a.backendNs, a.hops, a.leakNs, a.leakPos, a.observedNs, a.edgeTls, a.chainVerdict, a.chainReason, a.backendVerdict, a.backendStatus].map((v) => v ?? '').join('|');
}

interface UsageDelta {
  agg: ChainAgg;
  aggKey: Buffer;
  count: number;
  firstAt: number;
  lastAt: number;
}

const hopUsageColumns: BulkColumn<UsageDelta>[] = [
  { name: 'hour', type: 'timestamptz', get: (u) => new Date(u.agg.hour) },
  { name: 'firstAt', type: 'timestamptz', get: (u) => new Date(u.firstAt) },
  { name: 'lastAt', type: 'timestamptz', get: (u) => new Date(u.lastAt) },
  { name: 'count', type: 'int8', get: (u) => u.count },
  { name: 'route', type: 'int4', get: (u) => u.agg.route },
  { name: 'edgeNs', type: 'int4', get: (u) => u.agg.edgeNs },
  { name: 'backendNs', type: 'int4', get: (u) => u.agg.backendNs },
  { name: 'hops', type: 'int2', get: (u) => u.agg.hops },
  { name: 'leakNs', type: 'int4', get: (u) => u.agg.leakNs },
  { name: 'leakPos', type: 'int2', get: (u) => u.agg.leakPos },
  { name: 'observedNs', type: 'int4', get: (u) => u.agg.observedNs },
  { name: 'edgeTls', type: 'int2', get: (u) => u.agg.edgeTls },
  { name: 'chainVerdict', type: 'int2', get: (u) => u.agg.chainVerdict },
  { name: 'chainReason', type: 'int2', get: (u) => u.agg.chainReason },
  { name: 'backendVerdict', type: 'int2', get: (u) => u.agg.backendVerdict },
  { name: 'backendStatus', type: 'int2', get: (u) => u.agg.backendStatus },
  { name: 'aggKey', type: 'bytea', get: (u) => hex(u.aggKey) },
  { name: 'exemplar', type: 'text', get: (u) => u.agg.exemplar.slice(0, 200) },
];

/** A stored hop's new chain decision (null verdict etc. when it is on no decided chain). */
interface ChainUpdate {
  hop: StoredHop;
  verdict: number | null;
  reason: number | null;
  pos: number | null;
  leak: number | null;
}

const updateColumns: BulkColumn<ChainUpdate>[] = [
  { name: 'day', type: 'int4', get: (u) => u.hop.day },
  { name: 'ns', type: 'int4', get: (u) => u.hop.ns },
  { name: 'key', type: 'bytea', get: (u) => `\\x${u.hop.key}` },
  { name: 'v', type: 'int2', get: (u) => u.verdict },
  { name: 'r', type: 'int2', get: (u) => u.reason },
  { name: 'p', type: 'int2', get: (u) => u.pos },
  { name: 'l', type: 'int2', get: (u) => u.leak },
];

/** The batch's hops until finish (a temporary table of the batch's connection, gone at commit). */
const STAGE = 'hf_hop_stage';

export class HopRecorder {
  private readonly dims: DimCache;
  private ns: number | null = null;
  /** Whether this batch's staging table exists (it is created with the batch's first full row). */
  private staged = false;
  /** This batch's segments (a few per chunk). */
  private segments: Array<{ marker: Buffer; ns: number; role: number; lo: number; hi: number }> = [];
  /** Lock stripes of this batch's correlation ids. */
  private readonly stripes = new Set<number>();

  constructor(protected readonly o: HopRecorderOptions) {
    this.dims = dimCache(o.db);
  }

  /** Where dimension values and partitions are created: outside the batch on PostgreSQL, inside it on PGlite (as the writer does). */
  private get sideExec(): SqlExecutor {
    return sideExecutor(this.o.db, this.o.exec);
  }

  private async ensure(parts: Array<{ table: PartitionedTable; key: number }>): Promise<void> {
    await partitionSet(this.o.db).ensure(this.o.db, parts, this.o.db.kind === 'postgres' ? undefined : this.o.exec);
  }

  /**
   * The requests of a chunk the ledger accepted as new: those with an id another hop may carry
   * (lib/hops propagatedId: the correlation id, else the request's own id, which an edge that
   * generates the X-Request-ID logs only as its request id) are recorded.
   */
  async observe(requests: readonly DecidedRequest[], routeNumbers?: ReadonlyArray<number | null>): Promise<void> {
    const hops: DecidedRequest[] = [];
    // Route numbers the evidence writer gave these requests already (ChunkResult.freshRoutes): not worked out twice.
    const known: Array<number | null> | null = routeNumbers ? [] : null;
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i]!;
      if (!propagatedId(r.ev)) continue;
      hops.push(r);
      known?.push(routeNumbers![i] ?? null);
    }
    if (!hops.length) return;
    // Only values the dimension cache does not know yet are looked up (most lines repeat a few routes and certificates).
    const missing: Array<readonly [DimKind, string]> = [];
    const need = (kind: DimKind, v: string | null | undefined) => {
      if (v && this.dims.get(kind, v) === undefined) missing.push([kind, v]);
    };
    need(DIM.ns, this.o.namespace);
    const routes = hops.map((r) => {
      const route = known ? null : routeOf(r.ev);
      need(DIM.route, route);
      need(DIM.cert, r.ev.cert?.x5tS256);
      need(DIM.certSha1, r.ev.cert?.sha1Hex);
      need(DIM.cert, r.ev.forwardedCert?.x5tS256);
      need(DIM.certSha1, r.ev.forwardedCert?.sha1Hex);
      return route;
    });
    if (missing.length) await this.dims.resolve(this.sideExec, missing);
    const ns = (this.ns ??= this.dims.idOf(DIM.ns, this.o.namespace)!);
    const nowMs = this.o.now().getTime();
    const full: HopRow[] = [];
    // Segments of this chunk by side of the edge and ledger day.
    const groups = new Map<number, { role: number; day: number; hops: HopFacts[] }>();
    hops.forEach((r, i) => {
      const ev = r.ev;
      const tls = tlsViewOf(ev.cert);
      const fwd = ev.forwardedCert;
      // An edge that logs its own request id as the correlation id (or no correlation id at all): the ledger key is the correlation key.
      const id = propagatedId(ev)!;
      const corr = id === ev.requestId ? r.key : requestKeyOfId(id);
      this.stripes.add(corr[REQUEST_KEY_BYTES - 1]! % STRIPES);
      const status = ev.httpStatus;
      const facts: HopFacts = {
        at: ev.occurredAt.getTime(), corr, full: corr !== r.key && !corr.equals(r.key),
        route: known ? (known[i] ?? null) : this.dims.idOf(DIM.route, routes[i]),
        httpStatus: status !== null && Number.isInteger(status) && status >= 0 && status < 1000 ? status : null,
        // The verdict the batch writer decided: a forwarded certificate already stands in for a TLS
        // one there (lib/hops backendView), and the trust anchors' CRLs have had their say.
        verdict: verdictCode(r.verdict),
        tls: tls === 'absent' ? null : TLS_CODES[tls],
        cert: this.dims.idOf(DIM.cert, ev.cert?.x5tS256), certSha1: this.dims.idOf(DIM.certSha1, ev.cert?.sha1Hex),
        fwd: fwd === undefined ? null : fwd === null ? 0 : 1,
        fwdCert: this.dims.idOf(DIM.cert, fwd?.x5tS256), fwdSha1: this.dims.idOf(DIM.certSha1, fwd?.sha1Hex),
        certNames: namesOf(ev.cert, false), fwdNames: namesOf(fwd, true),
        // The id itself only when the key cannot carry it (not 32 hex digits or a UUID).
        corrText: keyCarriesId(corr) ? null : id.slice(0, 200),
      };
      const day = ledgerDay(facts.at, nowMs);
      if (facts.full) full.push({ ...facts, day, ns, key: r.key });
      const role = ROLE_CODE[inferRole(ev)];
      const g = role * 1_000_000 + day;
      const list = groups.get(g);
      if (list) list.hops.push(facts);
      else groups.set(g, { role, day, hops: [facts] });
    });
    const segments: SegmentRow[] = [];
    for (const { role, day, hops: list } of groups.values()) {
      list.sort((x, y) => x.at - y.at);
      for (let i = 0; i < list.length;) {
        let j = i + 1;
        while (j < list.length && j - i < SEGMENT_MAX && list[j]!.at - list[i]!.at <= SEGMENT_SPAN_MS) j++;
        const seg = encodeSegment(list.slice(i, j));
        const marker = Buffer.concat([Buffer.from([0]), randomBytes(16)]);
        segments.push({ marker, day, ns, role, ...seg });
        this.segments.push({ marker, ns, role, lo: seg.lo, hi: seg.hi });
        i = j;
      }
    }
    await this.ensure([...new Set(segments.map((x) => x.day))].map((key) => ({ table: 'Hop' as const, key })));
    await this.o.exec(`INSERT INTO "evidence"."Hop" (${columnNames(segmentColumns)}) ${unnestSelect(segmentColumns)}`, unnestParams(segmentColumns, segments));
    if (full.length) await this.stage(full);
  }

  /** Adds full rows to this batch's staging table (created with the first). */
  private async stage(rows: HopRow[]): Promise<void> {
    if (!this.staged) {
      await this.o.exec(`CREATE TEMP TABLE IF NOT EXISTS "${STAGE}" (LIKE "evidence"."Hop") ON COMMIT DROP`, []);
      // A table left by an earlier batch on this connection would be gone (ON COMMIT DROP), but be sure.
      await this.o.exec(`TRUNCATE "${STAGE}"`, []);
      this.staged = true;
    }
    for (let i = 0; i < rows.length; i += 10_000) {
      const part = rows.slice(i, i + 10_000);
      await this.o.exec(`INSERT INTO "${STAGE}" (${columnNames(hopColumns)}) ${unnestSelect(hopColumns)}`, unnestParams(hopColumns, part));
    }
  }

  /**
   * The correlation ids of this batch seen by another hop (another source, or the other side of the
   * edge in this source) within LOOK_MS of one of its requests, found by reading the segments of the
   * other sources and sides around each of the batch's segments. Those hops become full rows: the
   * batch's own in its staging table, other batches' in the store (unless they are already there).
   */
  private async findChains(): Promise<Set<string>> {
    const found = new Set<string>();
    const ownMarkers = new Set(this.segments.map((s) => s.marker.toString('hex')));
    const slack = LOOK_MS + 1000;
    for (const seg of this.segments) {
      const { rows } = await this.o.exec(
        `SELECT encode("key", 'hex') AS marker, "ns", "role", "day", "packed", "corrText" AS texts FROM "evidence"."Hop"
          WHERE "corr" = '\\x00' AND "occurredAt" BETWEEN $1::timestamptz AND $2::timestamptz AND "until" >= $3::timestamptz
            AND NOT ("ns" = $4 AND "role" = $5)`,
        [new Date(seg.lo - slack - SEGMENT_SPAN_MS).toISOString(), new Date(seg.hi + slack).toISOString(), new Date(seg.lo - slack).toISOString(), seg.ns, seg.role],
      );
      if (!rows.length) continue;
      const [mine] = (await this.o.exec(`SELECT "day", "packed", "corrText" AS texts FROM "evidence"."Hop" WHERE "corr" = '\\x00' AND "ns" = $1 AND "key" = decode($2, 'hex')`, [seg.ns, seg.marker.toString('hex')])).rows as Row[];
      const own = decodeSegment(bytesOf(mine!.packed), strOrNull(mine!.texts));
      const times = new Map<string, number[]>();
      for (let i = 0; i < own.n; i++) {
        const k = own.corrKey(i);
        const t = times.get(k);
        if (t) t.push(i);
        else times.set(k, [i]);
      }
      const matchedOwn = new Set<number>();
      const theirs: HopRow[] = [];
      for (const r of rows as Row[]) {
        const other = decodeSegment(bytesOf(r.packed), strOrNull(r.texts));
        const otherIsMine = ownMarkers.has(String(r.marker));
        for (let j = 0; j < other.n; j++) {
          const idx = times.get(other.corrKey(j));
          if (!idx) continue;
          const at = other.at[j]!;
          let hit = false;
          for (const i of idx) {
            if (Math.abs(own.at[i]! - at) <= slack) {
              matchedOwn.add(i);
              hit = true;
            }
          }
          if (!hit) continue;
          found.add(other.corrKey(j));
          // The batch's own other segments are staged when their turn comes; others' hops that have no full row get one.
          if (!otherIsMine && other.full[j] === 0) theirs.push(rowOf(other, j, Number(r.day), Number(r.ns)));
        }
      }
      if (!matchedOwn.size) continue;
      const staged: HopRow[] = [];
      for (const i of matchedOwn) {
        found.add(own.corrKey(i));
        if (own.full[i] === 0) staged.push(rowOf(own, i, Number(mine!.day), seg.ns));
      }
      if (staged.length) await this.stage(staged);
      for (let i = 0; i < theirs.length; i += 10_000) {
        await this.o.exec(
          `INSERT INTO "evidence"."Hop" (${columnNames(hopColumns)}) SELECT * FROM (${unnestSelect(hopColumns)}) x
            WHERE NOT EXISTS (SELECT 1 FROM "evidence"."Hop" h WHERE h."ns" = x."ns" AND h."key" = x."key" AND h."day" = x."day")`,
          unnestParams(hopColumns, theirs.slice(i, i + 10_000)),
        );
      }
    }
    return found;
  }

  /** End of the batch, before it commits: decide every chain the batch's requests are on, then store its hops. */
  async finish(): Promise<void> {
    if (!this.segments.length) return;
    await this.o.exec(
      `SELECT count(pg_advisory_xact_lock(${HOP_LOCK}, s)) FROM unnest($1::int[]) AS s`,
      [[...this.stripes].sort((a, b) => a - b)],
    );
    const chains = await this.findChains();
    this.segments = [];
    this.stripes.clear();
    if (!this.staged) return;
    this.staged = false;
    await this.o.exec(`CREATE INDEX ON "${STAGE}" ("corr")`, []);
    const deltas = new Map<string, UsageDelta>();
    // The batch's correlation ids another hop saw, in pages, with the span of their requests' times.
    const ids = [...chains].map((k) => Buffer.from(k, 'latin1').toString('hex')).sort();
    for (let i = 0; i < ids.length; i += PAGE) {
      const { rows } = await this.o.exec(
        `SELECT encode("corr", 'hex') AS corr, min("occurredAt") AS lo, max("occurredAt") AS hi FROM "${STAGE}"
          WHERE "corr" IN (SELECT decode(c, 'hex') FROM unnest($1::text[]) AS c) GROUP BY "corr" ORDER BY "corr"`,
        [ids.slice(i, i + PAGE)],
      );
      const page = (rows as Row[]).map((r) => [String(r.corr), { lo: new Date(r.lo as string).getTime(), hi: new Date(r.hi as string).getTime() }] as const);
      if (page.length) await this.decidePage(page, deltas);
    }
    await this.o.exec(`INSERT INTO "evidence"."Hop" SELECT * FROM "${STAGE}"`, []);
    await this.o.exec(`DROP TABLE "${STAGE}"`, []);
    // As hourly usage (EvidenceWriter.writeChunk): an hour whose chains all fall before the usage
    // retention is not counted into a month the next maintenance drops (and audits as a drop).
    const { usageFromMs } = keptSpan(this.o.now().getTime(), this.o.retention, this.o.heldSinceMs ?? null);
    await this.writeUsage([...deltas.values()].filter((d) => d.count !== 0 && d.lastAt >= usageFromMs));
  }

  /**
   * Loads the hops of these correlation ids around the batch's requests — stored ones and the
   * batch's own — decides their chains, and writes the decisions that changed: stored hops in
   * place, the batch's own in its staging table (stored with them). The chains stored hops were
   * counted in before come out of the chain usage, the chains decided now go in.
   */
  private async decidePage(page: ReadonlyArray<readonly [string, { lo: number; hi: number }]>, deltas: Map<string, UsageDelta>): Promise<void> {
    const params = [
      page.map(([k]) => k),
      page.map(([, s]) => new Date(s.lo - LOOK_MS).toISOString()),
      page.map(([, s]) => new Date(s.hi + 1000 + LOOK_MS).toISOString()),
    ];
    const stored = (await this.o.exec(storedSelect('"evidence"."Hop"'), params)).rows as Row[];
    const mine = (await this.o.exec(storedSelect(`"${STAGE}"`), params)).rows as Row[];
    const byCorr = new Map<string, StoredHop[]>();
    for (const h of [...stored.map((r) => storedHop(r, false)), ...mine.map((r) => storedHop(r, true))]) {
      const list = byCorr.get(h.corr);
      if (list) list.push(h);
      else byCorr.set(h.corr, [h]);
    }
    const updates: ChainUpdate[] = [];
    for (const hops of byCorr.values()) {
      if (hops.length < 2) continue;
      for (const [agg, n] of previousChains(hops.filter((h) => !h.mine))) addDelta(deltas, agg, -n);
      const obs: HopObservation[] = hops.map((h) => ({ source: hopSource(h), event: h.event, verdict: { verdict: verdictOfCode(h.verdict), reason: null } }));
      // decideChain places copies of the observations, with the same event objects.
      const ofEvent = new Map(hops.map((h) => [h.event, h]));
      for (const group of correlateHops(obs)) {
        const d = group.length >= 2 ? decideChain(group) : null;
        const path = (d ? d.hops : group).map((p) => ofEvent.get(p.event)!);
        const next = d ? decisionOf(d) : null;
        if (d && next && next.verdict !== null) addDelta(deltas, chainAgg(path, { verdict: next.verdict, reason: next.reason, leak: next.leak }), 1);
        path.forEach((hop, pos) => {
          const want = next ? { verdict: next.verdict, reason: next.reason, pos, leak: next.leak } : { verdict: null, reason: null, pos: null, leak: null };
          const c = hop.chain;
          if (c.verdict !== want.verdict || c.reason !== want.reason || c.pos !== want.pos || c.leak !== want.leak) updates.push({ hop, ...want });
        });
      }
    }
    await this.writeUpdates('"evidence"."Hop"', updates.filter((u) => !u.hop.mine));
    await this.writeUpdates(`"${STAGE}"`, updates.filter((u) => u.hop.mine));
  }

  /** Writes changed chain decisions into `table`, in key order (stored hops: all under this batch's stripe locks). */
  private async writeUpdates(table: string, updates: ChainUpdate[]): Promise<void> {
    if (!updates.length) return;
    updates.sort((a, b) => a.hop.ns - b.hop.ns || (a.hop.key < b.hop.key ? -1 : a.hop.key > b.hop.key ? 1 : 0));
    for (let i = 0; i < updates.length; i += 10_000) {
      const part = updates.slice(i, i + 10_000);
      await this.o.exec(
        `UPDATE ${table} h SET "chainVerdict" = u."v", "chainReason" = u."r", "chainPos" = u."p", "chainLeak" = u."l"
           FROM (${unnestSelect(updateColumns)}) u
          WHERE h."day" = u."day" AND h."ns" = u."ns" AND h."key" = u."key"`,
        unnestParams(updateColumns, part),
      );
    }
  }

  /** Adds the chain usage deltas into this connection's stripe, in key order (as the usage writer does). */
  private async writeUsage(list: UsageDelta[]): Promise<void> {
    if (!list.length) return;
    await this.ensure([...new Set(list.map((d) => monthStart(d.agg.hour)))].map((key) => ({ table: 'HopUsage' as const, key })));
    list.sort((a, b) => a.agg.hour - b.agg.hour || a.agg.edgeNs - b.agg.edgeNs || Buffer.compare(a.aggKey, b.aggKey));
    await this.o.exec(
      `INSERT INTO "evidence"."HopUsage" AS u (${columnNames(hopUsageColumns)}, "stripe")
       SELECT s.*, (pg_backend_pid() % 8)::int2 FROM (${unnestSelect(hopUsageColumns)}) s
       ON CONFLICT ("hour", "edgeNs", "aggKey", "stripe") DO UPDATE SET "count" = u."count" + excluded."count",
         "firstAt" = LEAST(u."firstAt", excluded."firstAt"), "lastAt" = GREATEST(u."lastAt", excluded."lastAt"),
         "exemplar" = COALESCE(u."exemplar", excluded."exemplar")`,
      unnestParams(hopUsageColumns, list),
    );
  }
}

/** The stored form of a chain decision; null when there is no chain (one hop). */
function decisionOf(d: ChainDecision): { verdict: number | null; reason: number; leak: number | null } | null {
  if (d.reason === 'single_hop') return null;
  return { verdict: d.chainVerdict === null ? null : verdictCode(d.chainVerdict), reason: chainReasonCode(d.reason), leak: d.leakingHop?.index ?? null };
}

/**
 * The chains these stored hops were counted as before this batch: hops with a stored verdict, grouped
 * as lib/hops grouped them, placed by their stored position. Counted from what was stored (not decided
 * again), so what is taken out of the chain usage is exactly what was put in.
 */
function previousChains(hops: StoredHop[]): Array<[ChainAgg, number]> {
  const decided = hops.filter((h) => h.chain.verdict !== null && h.chain.reason !== null && h.chain.pos !== null);
  if (decided.length < 2) return [];
  const obs: HopObservation[] = decided.map((h) => ({ source: hopSource(h), event: h.event }));
  const out: Array<[ChainAgg, number]> = [];
  for (const group of correlateHops(obs)) {
    const path = group.map((o) => decided[obs.indexOf(o)]!).sort((a, b) => a.chain.pos! - b.chain.pos!);
    if (path.length < 2) continue;
    const c = path[0]!.chain;
    out.push([chainAgg(path, { verdict: c.verdict!, reason: c.reason!, leak: c.leak }), 1]);
  }
  return out;
}

function addDelta(deltas: Map<string, UsageDelta>, agg: ChainAgg, n: number): void {
  const dims = aggDims(agg);
  const k = `${agg.hour}|${dims}`;
  const d = deltas.get(k);
  if (d) {
    d.count += n;
    if (agg.at < d.firstAt) d.firstAt = agg.at;
    if (agg.at > d.lastAt) d.lastAt = agg.at;
  } else {
    deltas.set(k, { agg, aggKey: createHash('sha256').update(dims).digest().subarray(0, 16), count: n, firstAt: agg.at, lastAt: agg.at });
  }
}
