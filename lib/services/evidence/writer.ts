// The evidence writer: decided requests in, evidence out — inside the caller's batch transaction,
// so a batch's evidence commits whole or not at all.
//  - the ledger ("Request"): one narrow row per request, unique per (day, ns, key), which is what
//    makes a re-sent request a duplicate;
//  - "Notable": every request that is not plain ok (a failure, an anomaly, a refusal), kept in full (redacted, compacted);
//  - "Usage": hourly aggregates, merged in memory and upserted once per key per flush;
//  - the hourly verdict and binding rollups the summary and the Overview read.
// Only requests the ledger accepted as new reach the aggregates, so re-sends never count twice.
import { hash } from 'node:crypto';
import { binaryCopyPayload, binaryCopySql, columnNames, sideExecutor, unnestParams, unnestSelect, type BinaryColumn, type BinaryType, type BulkColumn, type SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import type { Binding, NormalizedEvent, Verdict } from '../../domain/types.ts';
import { isRefusalStatus } from '../../domain/refusal-status.ts';
import { verdictCode } from '../../domain/verdict-codes.ts';
import { dayNumber, ledgerDay, placedByReceipt } from '../../ingest/evidence/ledger-day.ts';
import { compactRawLine } from '../../ingest/evidence/raw-line.ts';
import { keyCarriesId } from '../../ingest/evidence/request-key.ts';
import { routeOf } from '../../ingest/evidence/route.ts';
import { networkOrigin } from '../../risk/network-origin.ts';
import { DIM, dimCache, type DimCache, type DimKind } from './dims.ts';
import { keptSpan, monthStart, partitionSet, type PartitionedTable, type RetentionConfig } from './partitions.ts';
import { UsageAccumulators, type UsageAcc } from './usage-accumulators.ts';

/** A request after its verdict: everything evidence keeps of it. */
export interface DecidedRequest {
  /** Line it came from (for per-line errors). */
  lineNo: number;
  ev: NormalizedEvent;
  /** lib/ingest/evidence/request-key.ts */
  key: Buffer;
  tokenId: string | null;
  identityId: string | null;
  /** Identity of the request's token: the ledger leaves identityId empty when it is this one (derivable). */
  tokenIdentityId: string | null;
  /**
   * Identity the request's certificate (by its x5t#S256) is stored with: without a token, the ledger
   * leaves identityId empty when it is this one (derivable; 16 of a ledger row's ~100 bytes).
   */
  certIdentityId?: string | null;
  /** DPoP key thumbprint the request presented (or its token is bound to). */
  jkt: string | null;
  verdict: Verdict;
  reason: string | null;
  /** The token's binding as known when the verdict was decided. */
  binding: Binding | null;
  /** Why an otherwise ok request is notable, e.g. `after_revocation`. */
  anomaly: string | null;
}

/** COPY … FROM STDIN on the batch's connection (PGlite: from a Blob), resolving to the rows copied. */
export type CopyIn = (sql: string, payload: Buffer | string) => Promise<number>;

export interface EvidenceWriterOptions {
  db: Database;
  /** The batch transaction. */
  exec: SqlExecutor;
  /** Binary COPY on the batch transaction (PostgreSQL); null: multi-row INSERTs (PGlite). */
  copy: CopyIn | null;
  batchId: string;
  /** Dedupe namespace: the source id, or `format:<name>`. */
  namespace: string;
  now: () => Date;
  retention: RetentionConfig;
  /** How far back the evidence holds in force reach (holds.ts heldSinceMs): kept from then on even past retention. */
  heldSinceMs?: number | null;
  /** Prefix lengths client addresses are stored at (the risk policy's defaults). */
  networkBits?: { v4: number; v6: number };
  /** Keep the hourly verdict / binding rollups (default true; false when the requests are counted there already). */
  rollups?: boolean;
  /** Requests that occurred before this (ms) skip the ledger: they are past its window (the legacy fold). */
  ledgerSince?: number;
}

export interface ChunkResult {
  inserted: number;
  /** The requests that were new (the ledger accepted them), in chunk order. */
  fresh: DecidedRequest[];
  /** The route number (evidence."Dim") of each fresh request, for the hop recorder. */
  freshRoutes: Array<number | null>;
  duplicates: number;
  /** Requests refused (their occurrence time is outside what evidence keeps). */
  rejected: Array<{ lineNo: number; reason: string; message: string }>;
}

interface LedgerRow {
  r: DecidedRequest;
  day: number;
  ns: number;
  gateway: number | null;
  network: number | null;
  route: number | null;
  cert: number | null;
  jkt: number | null;
  reason: number | null;
  verdict: number;
}

const ledgerBinary: BinaryColumn<LedgerRow>[] = [
  { name: 'occurredAt', type: 'timestamptz', get: (x) => x.r.ev.occurredAt.getTime() },
  { name: 'day', type: 'int4', get: (x) => x.day },
  { name: 'ns', type: 'int4', get: (x) => x.ns },
  { name: 'gateway', type: 'int4', get: (x) => x.gateway },
  { name: 'network', type: 'int4', get: (x) => x.network },
  { name: 'cert', type: 'int4', get: (x) => x.cert },
  { name: 'jkt', type: 'int4', get: (x) => x.jkt },
  { name: 'reason', type: 'int4', get: (x) => x.reason },
  { name: 'verdict', type: 'int2', get: (x) => x.verdict },
  { name: 'httpStatus', type: 'int2', get: (x) => httpStatusOf(x.r.ev.httpStatus) },
  { name: 'tokenId', type: 'uuid', get: (x) => x.r.tokenId },
  { name: 'identityId', type: 'uuid', get: (x) => ledgerIdentity(x.r) },
  { name: 'key', type: 'bytea', get: (x) => x.r.key },
  { name: 'requestId', type: 'text', get: (x) => ledgerRequestId(x.r) },
  { name: 'route', type: 'int4', get: (x) => x.route },
];

const hex = (b: Uint8Array) => `\\x${Buffer.from(b).toString('hex')}`;

const ledgerColumns: BulkColumn<LedgerRow>[] = ledgerBinary.map((c) => ({
  name: c.name,
  type: { int2: 'int2', int4: 'int4', int8: 'int8', bool: 'bool', timestamptz: 'timestamptz', uuid: 'uuid', bytea: 'bytea', text: 'text' }[c.type],
  get: (x: LedgerRow) => {
    const v = c.get(x);
    if (v instanceof Uint8Array) return hex(v);
    if (c.type === 'timestamptz' && typeof v === 'number') return new Date(v);
    return v as string | number | boolean | null;
  },
}));

const notableColumnsFor = (batchId: string): BulkColumn<LedgerRow>[] => [
  { name: 'occurredAt', type: 'timestamptz', get: (x) => x.r.ev.occurredAt },
  { name: 'ns', type: 'int4', get: (x) => x.ns },
  { name: 'verdict', type: 'int2', get: (x) => x.verdict },
  { name: 'httpStatus', type: 'int2', get: (x) => httpStatusOf(x.r.ev.httpStatus) },
  { name: 'hasDpop', type: 'bool', get: (x) => x.r.ev.hasDpop },
  { name: 'batchId', type: 'uuid', get: () => batchId },
  { name: 'tokenId', type: 'uuid', get: (x) => x.r.tokenId },
  { name: 'identityId', type: 'uuid', get: (x) => x.r.identityId },
  { name: 'key', type: 'bytea', get: (x) => hex(x.r.key) },
  { name: 'requestId', type: 'text', get: (x) => cap(x.r.ev.requestId, 200) },
  { name: 'correlationId', type: 'text', get: (x) => cap(x.r.ev.correlationId ?? null, 200) },
  { name: 'gateway', type: 'text', get: (x) => cap(x.r.ev.gateway, 300) },
  { name: 'method', type: 'text', get: (x) => cap(x.r.ev.method, 20) },
  { name: 'url', type: 'text', get: (x) => cap(x.r.ev.url, 1000) },
  { name: 'clientIp', type: 'text', get: (x) => cap(x.r.ev.clientIp, 100) },
  // The TCP peer where logged apart from the client (a forged certificate header is told by it).
  { name: 'peerIp', type: 'text', get: (x) => cap(x.r.ev.peerIp ?? null, 100) },
  { name: 'authScheme', type: 'text', get: (x) => cap(x.r.ev.authScheme, 40) },
  { name: 'tokenFingerprint', type: 'text', get: (x) => x.r.ev.tokenFingerprint },
  { name: 'x5tS256', type: 'text', get: (x) => x.r.ev.cert?.x5tS256 ?? null },
  { name: 'sha1Hex', type: 'text', get: (x) => x.r.ev.cert?.sha1Hex ?? null },
  { name: 'jkt', type: 'text', get: (x) => x.r.jkt },
  { name: 'reason', type: 'text', get: (x) => cap(x.r.reason, 200) },
  { name: 'binding', type: 'text', get: (x) => x.r.binding },
  { name: 'anomaly', type: 'text', get: (x) => x.r.anomaly },
  { name: 'redactedRaw', type: 'text', get: (x) => compactRawLine(x.r.ev.redactedRaw) },
  // The usage row's numbers: a list by client network or route (lib/services/estate/list-events.ts) matches them.
  { name: 'network', type: 'int4', get: (x) => x.network },
  { name: 'route', type: 'int4', get: (x) => x.route },
];

/** The notable columns as binary COPY columns (same values as notableColumnsFor). */
const notableBinaryFor = (batchId: string): BinaryColumn<LedgerRow>[] =>
  notableColumnsFor(batchId).map((c) => {
    const type = ({ timestamptz: 'timestamptz', int4: 'int4', int2: 'int2', bool: 'bool', uuid: 'uuid', bytea: 'bytea', text: 'text' } as const)[c.type as 'text'];
    if (c.name === 'key') return { name: 'key', type: 'bytea', get: (x: LedgerRow) => x.r.key };
    return { name: c.name, type, get: (x: LedgerRow) => c.get(x) as string | number | boolean | Date | null };
  });

function cap(s: string | null | undefined, n: number): string | null {
  if (s === null || s === undefined) return null;
  return s.length > n ? s.slice(0, n) : s;
}

function httpStatusOf(s: number | null): number | null {
  return s !== null && Number.isInteger(s) && s >= 0 && s < 1000 ? s : null;
}

function ledgerIdentity(r: DecidedRequest): string | null {
  if (r.tokenId) return r.identityId === r.tokenIdentityId ? null : r.identityId;
  return r.ev.cert?.x5tS256 && r.certIdentityId && r.identityId === r.certIdentityId ? null : r.identityId;
}

/**
 * The identity of ledger row `r` whose token is joined as `t`: what ledgerIdentity left out is its
 * token's identity, or (no token) its certificate's. COALESCE stops at the first value, so the
 * certificate is looked up only for rows that need it.
 */
export function ledgerIdentitySql(r = 'r', t = 't'): string {
  return `coalesce(${r}."identityId", ${t}."identityId", CASE WHEN ${r}."tokenId" IS NULL AND ${r}."cert" IS NOT NULL THEN
    (SELECT ci."identityId" FROM "evidence"."Dim" cd JOIN "Certificate" ci ON ci."x5tS256" = cd."value" WHERE cd.id = ${r}."cert" AND cd."kind" = ${DIM.cert}) END)`;
}

function ledgerRequestId(r: DecidedRequest): string | null {
  return r.ev.requestId && !keyCarriesId(r.key) ? cap(r.ev.requestId, 200) : null;
}

/**
 * Where the last octet starts, less one (the last dot), of a dotted-quad IPv4 address written
 * canonically (0–255, no leading zeros: networkOrigin reads `010` as 10); -1 for anything else.
 * Scanned by hand: it runs once per request.
 */
export function canonicalV4LastDot(ip: string): number {
  let parts = 0;
  let digits = 0;
  let value = 0;
  let lastDot = -1;
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 46; /* . ends the last octet */
    if (c >= 48 && c <= 57) {
      // A leading zero only as the whole octet.
      if (digits === 1 && value === 0) return -1;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++parts > 4) return -1;
      if (i < ip.length) lastDot = i;
      digits = 0;
      value = 0;
    } else return -1;
  }
  return parts === 4 ? lastDot : -1;
}

/** Stored form of a client address: its network at the policy's default prefix, without `/bits`. */
export function networkValue(ip: string | null, bits: { v4: number; v6: number }): string | null {
  if (!ip) return null;
  // The common case, once per request (a fleet's addresses outnumber any cache): its /24 by slicing.
  const lastDot = bits.v4 === 24 ? canonicalV4LastDot(ip) : -1;
  if (lastDot > 0) return `${ip.slice(0, lastDot)}.0`;
  const n = networkOrigin(ip.trim(), bits.v4, bits.v6);
  const slash = n.lastIndexOf('/');
  return (slash > 0 && n !== ip ? n.slice(0, slash) : n).slice(0, 100);
}

/**
 * networkValue with its answers kept: a /24 per distinct first three octets (a fleet's addresses
 * outnumber any cache, their networks do not), anything else per address. The same network is
 * the same string object each time, so the dimension lookup that follows hashes it once.
 */
export class NetworkValues {
  private readonly v4 = new Map<string, string>();
  private readonly other = new Map<string, string | null>();

  constructor(private readonly bits: { v4: number; v6: number }) {}

  of(ip: string | null): string | null {
    if (!ip) return null;
    const lastDot = this.bits.v4 === 24 ? canonicalV4LastDot(ip) : -1;
    if (lastDot > 0) {
      const prefix = ip.slice(0, lastDot);
      let n = this.v4.get(prefix);
      if (n === undefined) {
        if (this.v4.size >= 100_000) this.v4.clear();
        this.v4.set(prefix, (n = `${prefix}.0`));
      }
      return n;
    }
    let n = this.other.get(ip);
    if (n === undefined) {
      if (this.other.size >= 100_000) this.other.clear();
      this.other.set(ip, (n = networkValue(ip, this.bits)));
    }
    return n;
  }
}

/**
 * Whether a decided request is kept individually beyond the ledger window: every failure, every
 * anomaly, and every request the gateway refused (401, 403, 495–497) whatever its verdict. Usage
 * rows keep no status, so only a notable row can tell a simulation that an `ok` request (a binding
 * Holdfast could not judge, a bearer token an enforcing route refused) was refused already.
 */
export function isNotable(r: Pick<DecidedRequest, 'verdict' | 'anomaly'> & { ev: Pick<NormalizedEvent, 'httpStatus'> }): boolean {
  return r.verdict !== 'ok' || r.anomaly !== null || isRefusalStatus(r.ev.httpStatus);
}

const usageColumns: BulkColumn<UsageAcc>[] = [
  { name: 'hour', type: 'timestamptz', get: (u) => new Date(u.hour) },
  { name: 'firstAt', type: 'timestamptz', get: (u) => new Date(u.firstAt) },
  { name: 'lastAt', type: 'timestamptz', get: (u) => new Date(u.lastAt) },
  { name: 'count', type: 'int8', get: (u) => u.count },
  { name: 'ns', type: 'int4', get: (u) => u.d.ns },
  { name: 'gateway', type: 'int4', get: (u) => u.d.gateway },
  { name: 'route', type: 'int4', get: (u) => u.d.route },
  { name: 'network', type: 'int4', get: (u) => u.d.network },
  { name: 'cert', type: 'int4', get: (u) => u.d.cert },
  { name: 'jkt', type: 'int4', get: (u) => u.d.jkt },
  { name: 'reason', type: 'int4', get: (u) => u.d.reason },
  { name: 'verdict', type: 'int2', get: (u) => u.d.verdict },
  { name: 'tokenId', type: 'uuid', get: (u) => u.d.tokenId },
  { name: 'identityId', type: 'uuid', get: (u) => u.d.identityId },
  { name: 'aggKey', type: 'bytea', get: (u) => hex(u.aggKey) },
  { name: 'exemplar', type: 'bytea', get: (u) => hex(u.exemplar) },
];

const usageBinary: BinaryColumn<UsageAcc>[] = usageColumns.map((c) => ({
  name: c.name,
  type: c.type as BinaryType,
  get: (u: UsageAcc) => (c.name === 'aggKey' ? u.aggKey : c.name === 'exemplar' ? u.exemplar : (c.get(u) as number | Date | string | null)),
}));

const HOUR_MS = 3_600_000;
/** Dimension numbers a ledger row takes from its request (writeChunk). */
const DIMS_PER_REQUEST = 6;

/**
 * A new usage row's accumulator: its dimensions copied out of its first request's ledger row (an
 * accumulator may live until the batch ends, and a ledger row holds its request's event, which
 * holds its line: a view of a whole chunk of input, lib/ingest/event.ts newJsonLineEvent).
 */
function newUsageAcc(hour: number, row: LedgerRow, tokenId: string | null, identityId: string | null): UsageAcc {
  const t = row.r.ev.occurredAt.getTime();
  const dims = `${row.ns}|${tokenId ?? ''}|${identityId ?? ''}|${row.gateway ?? ''}|${row.route ?? ''}|${row.network ?? ''}|${row.cert ?? ''}|${row.jkt ?? ''}|${row.reason ?? ''}|${row.verdict}`;
  return {
    hour, firstAt: t, lastAt: t, count: 0,
    d: { ns: row.ns, gateway: row.gateway, route: row.route, network: row.network, cert: row.cert, jkt: row.jkt, reason: row.reason, verdict: row.verdict, tokenId, identityId },
    aggKey: hash('sha256', dims, 'buffer').subarray(0, 16),
    exemplar: row.r.key,
  };
}

/** Counts per hour, then per value (a verdict or a binding). */
type Rollup = Map<number, Map<string, number>>;

function countRollup(m: Rollup, hour: number, value: string): void {
  let byValue = m.get(hour);
  if (!byValue) m.set(hour, (byValue = new Map()));
  byValue.set(value, (byValue.get(value) ?? 0) + 1);
}

function rollupList(m: Rollup): Array<{ hour: number; value: string; n: number }> {
  const out: Array<{ hour: number; value: string; n: number }> = [];
  for (const [hour, byValue] of m) for (const [value, n] of byValue) out.push({ hour, value, n });
  return out;
}
/** Usage keys held in memory before a flush (memory stays flat on any batch size). */
const USAGE_FLUSH_AT = 50_000;

export class EvidenceWriter {
  private readonly dims: DimCache;
  /** Client addresses' stored networks. */
  private readonly networks: NetworkValues;
  private readonly notableColumns: BulkColumn<LedgerRow>[];
  private readonly notableBinary: BinaryColumn<LedgerRow>[];
  private usageStageReady = false;
  /** The oldest times the usage and notable stores keep, as of the chunk being written (writeChunk). */
  private usageFromMs = -Infinity;
  private notableFromMs = -Infinity;
  private ns: number | null = null;
  private usage = new UsageAccumulators<LedgerRow>(newUsageAcc);
  /** Hours this writer has upserted usage rows of: the caller stamps them before COMMIT (usage-versions.ts). */
  readonly usageHours = new Set<number>();
  /** Requests kept only because an evidence hold reaches back to them (past the configured retention). */
  keptUnderHold = 0;
  /**
   * Where the batch's kept span began at its first chunk, for plain ok requests (hourly usage) and
   * for notable ones: the clock only moves on, so every later chunk refused what came before too.
   */
  keptFrom: { plainMs: number; notableMs: number } | null = null;
  /** The oldest plain and notable requests kept. */
  readonly oldestKept = { plainMs: Infinity, notableMs: Infinity };
  /** Requests per hour and verdict, and per hour and binding (the rollups), by hour first: no key string per request. */
  private rollups: Rollup = new Map();
  private bindingRollups: Rollup = new Map();

  constructor(private readonly o: EvidenceWriterOptions) {
    this.dims = dimCache(o.db);
    this.networks = new NetworkValues(o.networkBits ?? { v4: 24, v6: 48 });
    this.notableColumns = notableColumnsFor(o.batchId);
    this.notableBinary = notableBinaryFor(o.batchId);
  }

  /** Where dimension values and partitions are created: outside the batch on PostgreSQL, inside it on PGlite. */
  private get sideExec(): SqlExecutor {
    return sideExecutor(this.o.db, this.o.exec);
  }

  /** Forget cached dimension numbers and partitions: call when the batch rolled back on PGlite (they were in it). */
  static rolledBack(db: Database): void {
    if (db.kind === 'postgres') return;
    dimCache(db).clear();
    partitionSet(db).forget();
  }

  async writeChunk(reqs: readonly DecidedRequest[]): Promise<ChunkResult> {
    const out: ChunkResult = { inserted: 0, fresh: [], freshRoutes: [], duplicates: 0, rejected: [] };
    if (!reqs.length) return out;
    const nowMs = this.o.now().getTime();
    const heldSinceMs = this.o.heldSinceMs ?? null;
    const span = keptSpan(nowMs, this.o.retention, heldSinceMs);
    // What the configured retention alone keeps, to count what only a hold keeps.
    const configured = heldSinceMs === null ? span : keptSpan(nowMs, this.o.retention);
    const { usageRetentionDays: usageDays, notableRetentionDays: notableDays } = this.o.retention;
    // Each store keeps a request only inside its own retention: a request no store would keep is
    // refused, not counted into a partition the next maintenance drops.
    ({ usageFromMs: this.usageFromMs, notableFromMs: this.notableFromMs } = span);
    this.keptFrom ??= { plainMs: span.usageFromMs, notableMs: Math.min(span.usageFromMs, span.notableFromMs) };

    const kept: DecidedRequest[] = [];
    for (const r of reqs) {
      const t = r.ev.occurredAt.getTime();
      if (t < this.usageFromMs && !(t >= this.notableFromMs && isNotable(r))) {
        const why = t >= span.fromMs
          ? `before the hourly usage retention (${usageDays} days); only failures and anomalies are kept longer (${notableDays} days)`
          : `before the evidence retention (${Math.max(usageDays, notableDays)} days)`;
        const held = heldSinceMs === null ? '' : `; the evidence holds in force keep lines from ${new Date(heldSinceMs).toISOString()} on`;
        out.rejected.push({ lineNo: r.lineNo, reason: 'beyond_retention', message: `occurred ${r.ev.occurredAt.toISOString()}, ${why}${held}` });
      } else if (t > span.toMs) {
        out.rejected.push({ lineNo: r.lineNo, reason: 'invalid_timestamp', message: `dated ${r.ev.occurredAt.toISOString()}, more than 2 days ahead of the server's clock` });
      } else {
        kept.push(r);
        // Per kept line: classify only a line older than what is known (rarely, on a time-ordered log).
        const oldest = this.oldestKept;
        if (t < oldest.plainMs || t < oldest.notableMs) {
          if (isNotable(r)) oldest.notableMs = Math.min(oldest.notableMs, t);
          else oldest.plainMs = Math.min(oldest.plainMs, t);
        }
        if (t < configured.usageFromMs && !(t >= configured.notableFromMs && isNotable(r))) this.keptUnderHold++;
      }
    }
    if (!kept.length) return out;

    // Dimension numbers for everything the chunk mentions, each looked up once per request: values
    // the cache knows are numbered here, the others go to the database together and are numbered
    // after it (DIMS_PER_REQUEST slots per request: gateway, network, route, certificate, jkt, reason).
    const dims = this.dims;
    const wanted: Array<readonly [DimKind, string]> = [];
    const ids: Array<number | null> = new Array(kept.length * DIMS_PER_REQUEST);
    const misses: Array<{ slot: number; kind: DimKind; value: string }> = [];
    const number = (slot: number, kind: DimKind, v: string | null | undefined) => {
      if (!v) {
        ids[slot] = null;
        return;
      }
      const id = dims.get(kind, v);
      if (id !== undefined) ids[slot] = id;
      else {
        wanted.push([kind, v]);
        misses.push({ slot, kind, value: v });
      }
    };
    if (this.ns === null) wanted.push([DIM.ns, this.o.namespace]);
    for (let i = 0, slot = 0; i < kept.length; i++, slot += DIMS_PER_REQUEST) {
      const r = kept[i]!;
      const ev = r.ev;
      number(slot, DIM.gateway, ev.gateway);
      number(slot + 1, DIM.network, this.networks.of(ev.clientIp));
      number(slot + 2, DIM.route, routeOf(ev));
      if (ev.cert?.x5tS256) number(slot + 3, DIM.cert, ev.cert.x5tS256);
      else number(slot + 3, DIM.certSha1, ev.cert?.sha1Hex);
      number(slot + 4, DIM.jkt, r.jkt);
      number(slot + 5, DIM.reason, r.reason);
    }
    if (wanted.length) await dims.resolve(this.sideExec, wanted);
    for (const m of misses) ids[m.slot] = dims.idOf(m.kind, m.value);
    const ns = (this.ns ??= dims.idOf(DIM.ns, this.o.namespace)!);

    // Ledger rows, deduplicated inside the chunk (first wins).
    const rows: LedgerRow[] = [];
    const seen = new Map<number, Set<string>>();
    const late: LedgerRow[] = [];
    const parts = new Map<string, { table: PartitionedTable; key: number }>();
    let lastMonth = NaN;
    for (let i = 0, slot = 0; i < kept.length; i++, slot += DIMS_PER_REQUEST) {
      const r = kept[i]!;
      const ev = r.ev;
      const t = ev.occurredAt.getTime();
      const day = ledgerDay(t, nowMs);
      let keys = seen.get(day);
      if (!keys) seen.set(day, (keys = new Set()));
      const k = r.key.toString('latin1');
      if (keys.has(k)) {
        out.duplicates++;
        continue;
      }
      keys.add(k);
      const row: LedgerRow = {
        r,
        day,
        ns,
        gateway: ids[slot] ?? null,
        network: ids[slot + 1] ?? null,
        route: ids[slot + 2] ?? null,
        cert: ids[slot + 3] ?? null,
        jkt: ids[slot + 4] ?? null,
        reason: ids[slot + 5] ?? null,
        verdict: verdictCode(r.verdict),
      };
      rows.push(row);
      if (placedByReceipt(t, nowMs)) late.push(row);
      if (keys.size === 1) parts.set(`R${day}`, { table: 'Request', key: day });
      const m = monthStart(t);
      if (m !== lastMonth && t >= this.usageFromMs) {
        lastMonth = m;
        parts.set(`U${m}`, { table: 'Usage', key: m });
      }
      if (this.keepsNotable(row)) parts.set(`N${m}`, { table: 'Notable', key: m });
    }
    await partitionSet(this.o.db).ensure(this.o.db, [...parts.values()], this.o.db.kind === 'postgres' ? undefined : this.o.exec);

    // Late lines sit in the partition of the day they were received: a re-send of them on another
    // day would not meet its original's unique key, so their keys are looked up in every partition.
    // Today's partition is left out by two ranges, not `"day" <> today`: PostgreSQL prunes partitions
    // by a range but not by `<>`, and today's partition (where late lines go, so the one that grows
    // under a late stream) was scanned whole for every chunk. The keys travel as one bytea[] value:
    // a constant list is matched by hash, where a list built inside the query was compared key by key.
    let fresh = rows;
    if (late.length) {
      const keysSql = `SELECT encode("key", 'hex') AS k FROM "evidence"."Request" WHERE "ns" = $1 AND "key" = ANY($2::bytea[])`;
      const { rows: found } = await this.o.exec(
        `${keysSql} AND "day" < $3 UNION ALL ${keysSql} AND "day" > $3`,
        [ns, late.map((x) => x.r.key), dayNumber(nowMs)],
      );
      if (found.length) {
        const known = new Set((found as Array<{ k: string }>).map((f) => f.k));
        fresh = rows.filter((x) => !(late.includes(x) && known.has(x.r.key.toString('hex'))));
        out.duplicates += rows.length - fresh.length;
      }
    }

    // Requests already past the ledger's window (only the one-time legacy fold has those) go to usage and notable rows only.
    const since = this.o.ledgerSince;
    const old = since === undefined ? [] : fresh.filter((x) => x.r.ev.occurredAt.getTime() < since);
    if (old.length) fresh = fresh.filter((x) => x.r.ev.occurredAt.getTime() >= since!);
    const inserted = [...(await this.insertNotable(old, old.filter((x) => this.keepsNotable(x)))), ...(await this.insert(fresh))];
    out.duplicates += fresh.length - inserted.length;
    out.inserted += inserted.length;
    for (const row of inserted) {
      this.add(row);
      out.fresh.push(row.r);
      out.freshRoutes.push(row.route);
    }
    if (this.usage.size >= USAGE_FLUSH_AT) await this.flushUsage();
    return out;
  }

  /**
   * Writes ledger and notable rows; returns the rows that were new. One binary COPY straight into
   * the ledger (the common case: nothing of the chunk stored yet), under a savepoint; if a key is
   * there already (a re-send, a concurrent batch) the COPY fails on the unique key, is rolled back,
   * and the chunk goes through INSERT … ON CONFLICT DO NOTHING instead. Without a COPY (the legacy
   * fold), that INSERT always.
   */
  private async insert(rows: LedgerRow[]): Promise<LedgerRow[]> {
    if (!rows.length) return [];
    const { exec, copy } = this.o;
    let fresh: LedgerRow[] | null = null;
    if (copy) {
      // Nothing of the chunk stored yet (the common case): the ledger rows and the notable ones each
      // in one binary COPY. A key stored already fails the COPY on its unique index (a re-send, a
      // concurrent batch, a notable request re-sent after the window); then the slow path below.
      const notable = rows.filter((x) => this.keepsNotable(x));
      await exec('SAVEPOINT hf_evidence', []);
      try {
        await copy(binaryCopySql('"evidence"."Request"', ledgerBinary), binaryCopyPayload(ledgerBinary, rows));
        if (notable.length) await copy(binaryCopySql('"evidence"."Notable"', this.notableBinary), binaryCopyPayload(this.notableBinary, notable));
        fresh = rows;
      } catch (e) {
        if ((e as { code?: string }).code !== '23505') throw e;
        await exec('ROLLBACK TO SAVEPOINT hf_evidence', []);
      }
      if (fresh) {
        await exec('RELEASE SAVEPOINT hf_evidence', []);
        return fresh;
      }
    }
    if (!fresh) {
      const { rows: got } = await exec(
        `INSERT INTO "evidence"."Request" (${columnNames(ledgerColumns)}) ${unnestSelect(ledgerColumns)}
           ON CONFLICT ("day", "ns", "key") DO NOTHING RETURNING "day", encode("key", 'hex') AS k`,
        unnestParams(ledgerColumns, rows),
      );
      const made = new Set((got as Array<{ day: number; k: string }>).map((g) => `${g.day}:${g.k}`));
      fresh = rows.filter((x) => made.has(`${x.day}:${x.r.key.toString('hex')}`));
    }
    return this.insertNotable(fresh, fresh.filter((x) => this.keepsNotable(x)));
  }

  /** Inserts the notable ones of `rows`; returns `rows` minus the notable ones stored already. */
  private async insertNotable(fresh: LedgerRow[], notable: LedgerRow[]): Promise<LedgerRow[]> {
    if (!notable.length) return fresh;
    const { exec } = this.o;
    // Notable rows are unique by (ns, key, occurredAt) for their whole retention: a request re-sent
    // after the ledger window forgot it is still recognised here, and not counted again.
    const { rows: made } = await exec(
      `INSERT INTO "evidence"."Notable" (${columnNames(this.notableColumns)}) ${unnestSelect(this.notableColumns)}
         ON CONFLICT ("ns", "key", "occurredAt") DO NOTHING RETURNING encode("key", 'hex') AS k`,
      unnestParams(this.notableColumns, notable),
    );
    if (made.length === notable.length) return fresh;
    const kept = new Set((made as Array<{ k: string }>).map((m) => m.k));
    const repeated = new Set(notable.filter((x) => !kept.has(x.r.key.toString('hex'))));
    return fresh.filter((x) => !repeated.has(x));
  }

  /** Whether a row is kept individually: a notable request inside the notable retention. */
  private keepsNotable(row: LedgerRow): boolean {
    return isNotable(row.r) && row.r.ev.occurredAt.getTime() >= this.notableFromMs;
  }

  /** Adds one new request to the in-memory usage aggregates (inside the usage retention) and rollups. */
  private add(row: LedgerRow): void {
    const r = row.r;
    const t = r.ev.occurredAt.getTime();
    const hour = Math.floor(t / HOUR_MS) * HOUR_MS;
    if (t >= this.usageFromMs) {
      const acc = this.usage.find(hour, row, r.tokenId, r.identityId);
      acc.count++;
      if (t < acc.firstAt) acc.firstAt = t;
      if (t > acc.lastAt) acc.lastAt = t;
    }
    if (this.o.rollups === false) return;
    countRollup(this.rollups, hour, r.verdict);
    if (r.binding) countRollup(this.bindingRollups, hour, r.binding);
  }

  /**
   * Upserts the aggregated usage into the writer connection's stripe (its backend pid modulo 8):
   * concurrent batches add to their own rows instead of queueing on one. Rows go in key order, so
   * two writers that do meet on a row lock in the same order (no deadlock).
   */
  private async flushUsage(): Promise<void> {
    if (!this.usage.size) return;
    const list = this.usage.take().sort((a, b) => a.hour - b.hour || Buffer.compare(a.aggKey, b.aggKey));
    for (const u of list) this.usageHours.add(u.hour);
    const upsert = (from: string) => `INSERT INTO "evidence"."Usage" AS u (${columnNames(usageColumns)}, "stripe")
         SELECT s.*, (pg_backend_pid() % 8)::int2 FROM (${from}) s
         ON CONFLICT ("hour", "ns", "aggKey", "stripe") DO UPDATE SET "count" = u."count" + excluded."count",
           "firstAt" = LEAST(u."firstAt", excluded."firstAt"), "lastAt" = GREATEST(u."lastAt", excluded."lastAt")`;
    if (this.o.copy) {
      // Binary COPY into a staging table (no text for the server to parse), then one
      // upsert from it in key order. The table stays with the connection, emptied at each COMMIT
      // (a ROLLBACK discards its rows or its creation): made and dropped per batch, it cost every
      // batch a dozen catalog rows written and deleted (pg_class, pg_attribute, pg_type).
      if (!this.usageStageReady) {
        await this.o.exec(`CREATE TEMP TABLE IF NOT EXISTS hf_usage_stage ON COMMIT DELETE ROWS AS SELECT ${columnNames(usageColumns)} FROM "evidence"."Usage" WITH NO DATA`, []);
        this.usageStageReady = true;
      } else await this.o.exec(`TRUNCATE hf_usage_stage`, []);
      await this.o.copy(binaryCopySql('hf_usage_stage', usageBinary), binaryCopyPayload(usageBinary, list));
      await this.o.exec(upsert(`SELECT ${columnNames(usageColumns)} FROM hf_usage_stage ORDER BY "hour", "ns", "aggKey"`), []);
      return;
    }
    for (let i = 0; i < list.length; i += 10_000) {
      const part = list.slice(i, i + 10_000);
      await this.o.exec(upsert(unnestSelect(usageColumns)), unnestParams(usageColumns, part));
    }
  }

  private async flushRollups(): Promise<void> {
    const upsert = async (table: string, col: string, list: Array<{ hour: number; value: string; n: number }>) => {
      if (!list.length) return;
      list.sort((a, b) => a.hour - b.hour || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      await this.o.exec(
        `INSERT INTO "${table}" ("hour", "${col}", "stripe", "count")
         SELECT h, v, (pg_backend_pid() % 8)::int2, n FROM unnest($1::timestamptz[], $2::text[], $3::int8[]) AS u(h, v, n) ORDER BY 1, 2
         ON CONFLICT ("hour", "${col}", "stripe") DO UPDATE SET "count" = "${table}"."count" + excluded."count"`,
        [list.map((x) => new Date(x.hour).toISOString()), list.map((x) => x.value), list.map((x) => x.n)],
      );
    };
    await upsert('EventRollup', 'verdict', rollupList(this.rollups));
    await upsert('EventBindingRollup', 'binding', rollupList(this.bindingRollups));
    this.rollups.clear();
    this.bindingRollups.clear();
  }

  /** Writes what is still aggregated in memory; call once, before the batch commits. */
  async finish(): Promise<void> {
    await this.flushUsage();
    await this.flushRollups();
  }
}
