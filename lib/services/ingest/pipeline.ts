// The ingest pipeline: bytes in, one batch out. Parse (lib/ingest) → verdicts and entities (the
// batch writer) → evidence (lib/services/evidence), all inside ONE transaction together with the
// IngestBatch record, so a batch is either wholly visible (state `committed`) or not at all (a
// crash or an error rolls it back). Idempotent: requests are keyed by the source's request id when
// logged, else by a hash of source + line (and which occurrence of that line in the batch it is:
// identical lines in one batch are several requests); tokens are upserted by fingerprint and count as
// duplicates when nothing changed; exposures are keyed by scanner + fingerprint + location. Raw
// tokens and DPoP proofs never reach the database: proofs are verified as of the event's own time
// and dropped. This module orchestrates: it reads, chunks, and writes the batch record and audit entry.
import { createHash, randomUUID } from 'node:crypto';
import { appendAuditEntryRaw } from '../../audit/append-audit-entry.ts';
import { KeyCache, MemoryReplayStore } from '../../binding/index.ts';
import { sideExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import type { ExposureRecord, TokenRecord } from '../../domain/types.ts';
import { HoldfastError } from '../../errors.ts';
import { ANY_PEER_WORDS, storedTrustedProxies, type Cidr, type ForwardedPeer } from '../../hops/index.ts';
import { openParseStream, type ByteSource, type FormatName } from '../../ingest/index.ts';
import { BatchWarnings } from '../../ingest/batch-warnings.ts';
import { parseTimeZone, TIME_ZONE_MESSAGE } from '../../ingest/time-zone.ts';
import { BatchRequestKeys } from '../../ingest/evidence/request-key.ts';
import { evidenceRetention } from '../evidence/maintenance.ts';
import type { RetentionConfig } from '../evidence/partitions.ts';
import { HopRecorder } from '../evidence/hops.ts';
import { heldSinceMs, keptUnderHoldWarning } from '../evidence/holds.ts';
import { stampUsageHours } from '../evidence/usage-versions.ts';
import { EvidenceWriter } from '../evidence/writer.ts';
import { loadTrustSnapshot } from '../trust/review.ts';
import { ensureSource, keptWhatRepeatRefused, repeatedBatch, repeatRefusedLinesError, withBatchTransaction } from './batch-transaction.ts';
import { MAX_BATCH_ERRORS, newBatchStats, noteSkip, type IngestError, type IngestProgress } from './batch-types.ts';
import { flushEvents, flushExposures, flushTokens, writeLastSeen, type BatchState, type BatchTouched, type PendingEvent } from './batch-writer.ts';
import { logFormatSha256 as logFormatSha256Of } from './log-format-hash.ts';
import { ProofsSeen } from './proofs-seen.ts';
import { recordForwarders } from './forwarders.ts';
import { ForwarderTally } from '../../hops/forwarders.ts';

export { MAX_BATCH_ERRORS, type IngestError, type IngestProgress } from './batch-types.ts';
export type { BatchTouched } from './batch-writer.ts';

/** The CONTRACT.md `holdfast ingest --json` shape (plus `format`). */
export interface IngestSummary {
  batchId: string;
  linesRead: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Lines that hold no record, and how many per reason (CONTRACT.md allows added fields). */
  skipped: number;
  skippedReasons: IngestProgress['skippedReasons'];
  errors: IngestError[];
  format: string;
  /** nginx/apache/haproxy: the log format read from the gateway's configuration (never the configuration itself). */
  logFormat?: { gateway: string; name: string; warnings: string[] };
  /** What the batch's lines could not tell, one line each: an Authorization Caddy redacted, undecodable forwarded certificates, forwarded certificates no trusted proxy vouches for (forwardedPeerWarnings); absent when none. */
  warnings?: string[];
}

/**
 * Warnings about the forwarded client certificates of a batch (lib/hops trusted-proxies.ts): lines
 * that carry one while their source names no trusted proxies (the header is believed from any
 * peer), and lines whose log gives no TCP peer to check against the trusted proxies.
 */
export function forwardedPeerWarnings(counts: Partial<Record<ForwardedPeer, number>>, sourceName: string | null, unsetPeers: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const n = (k: ForwardedPeer) => counts[k] ?? 0;
  const lines = (k: ForwardedPeer) => (n(k) === 1 ? '1 line' : `${n(k)} lines`);
  const carry = (k: ForwardedPeer) => (n(k) === 1 ? 'carries' : 'carry');
  if (n('unset') > 0) {
    const where = sourceName ? `source ${sourceName}` : 'this batch (no source: ingest with --source and set its trusted proxies)';
    const peers = unsetPeers.size ? ` (from TCP peers ${[...unsetPeers].sort().join(', ')})` : '';
    out.push(`${lines('unset')} of ${where} ${carry('unset')} a forwarded client certificate${peers}: ${ANY_PEER_WORDS}`);
  }
  if (n('unknown') > 0) {
    out.push(`${lines('unknown')} ${carry('unknown')} a forwarded client certificate but their log gives no TCP peer address (or only one a proxy header rewrote), so the source's trusted proxies cannot be applied to them: log $realip_remote_addr (NGINX), %{c}a (Apache), %ci (HAProxy) or remote_ip (Caddy)`);
  }
  return out;
}

export interface IngestOptions {
  /** Filled with what the batch changed (read it once the batch has committed). */
  touched?: BatchTouched;
  /** A format name, or omitted / 'auto' to detect it from the first lines. */
  format?: string | null;
  /** Named source (created when new); also the namespace of line-hash dedupe keys. */
  sourceName?: string | null;
  /** Source id (an API key bound to a source); wins over sourceName. */
  sourceId?: string | null;
  /** Who sent it, for the batch record and the audit log. */
  actor: string;
  /** Clock for records without a time of their own and for the batch record. */
  now?: () => Date;
  /** Rows per set-based statement. */
  chunkSize?: number;
  maxLineBytes?: number;
  onProgress?: (p: IngestProgress) => void;
  /** Called once a chunk is written, to let tests crash the process mid-batch. */
  onChunk?: (linesRead: number) => void | Promise<void>;
  /** Evidence retention (window, usage and notable retention); default: the configured one. */
  retention?: RetentionConfig;
  /** The gateway's configuration text, for nginx/apache/haproxy (format omitted or 'auto': the gateway is inferred from it). */
  gatewayConfig?: string;
  /** Which log format of that configuration (NGINX log_format name, Apache nickname, HAProxy frontend). */
  logFormat?: string;
  /**
   * The zone of the log's zone-less times (`Europe/Berlin`, `+02:00`): HAProxy `%tr`, Apache strftime
   * without `%z`, RFC 3164 syslog headers, Apache's error log. None: UTC. An unknown zone is a bad_request.
   */
  timeZone?: string | null;
}

/** Events, tokens and exposures parsed before a chunk is written (PostgreSQL). */
export const CHUNK_LINES = 10_000;
/** The same on the embedded database, where a read waits for the statement running (see below). */
export const EMBEDDED_CHUNK_LINES = 5_000;

/**
 * Ingests one stream as one batch. Throws HoldfastError('validation_failed') for an unknown or
 * undetectable format (before anything is written); any other failure rolls the whole batch
 * back, records a `failed` batch row, and rethrows.
 */
export async function ingestStream(db: Database, source: ByteSource, opts: IngestOptions): Promise<IngestSummary> {
  const now = opts.now ?? (() => new Date());
  // Smaller chunks on PGlite: it runs on the server's one thread, and a GET waiting during the batch
  // is served between the batch's statements (lib/db/read-gate.ts), so a statement's length is how
  // long a page waits.
  const chunkSize = Math.max(1, opts.chunkSize ?? (db.readGate ? EMBEDDED_CHUNK_LINES : CHUNK_LINES));
  // SHA-256 and size of the body exactly as received (before gunzip): the batch's evidence of
  // what was ingested, kept with the batch and in its audit entry.
  const bodyHash = createHash('sha256');
  let bodyBytes = 0;
  const timeZone = opts.timeZone ? parseTimeZone(opts.timeZone) : null;
  if (opts.timeZone && !timeZone) throw new HoldfastError('bad_request', `timeZone ${TIME_ZONE_MESSAGE}`, { errors: [{ path: 'timeZone', message: TIME_ZONE_MESSAGE }] });
  // Read by the parsers line by line: set in the transaction below, before the first line is parsed.
  let sourceProxies: Cidr[] | null = null;
  const { format, compiled, batches } = await openParseStream(source, {
    trustedProxies: () => sourceProxies,
    onBytes: (c) => {
      bodyHash.update(c);
      bodyBytes += c.length;
    },
    format: (opts.format ?? undefined) as FormatName | 'auto' | undefined,
    gateway: opts.sourceName ?? null,
    now,
    maxLineBytes: opts.maxLineBytes,
    gatewayConfig: opts.gatewayConfig,
    logFormat: opts.logFormat,
    timeZone,
  });
  const logFormatSha256 = compiled && opts.gatewayConfig !== undefined ? logFormatSha256Of(compiled.gateway, compiled.name, opts.gatewayConfig) : null;
  const logFormat = compiled ? { gateway: compiled.gateway, name: compiled.name, warnings: compiled.warnings } : undefined;
  const batchId = randomUUID();
  const startedAt = now();
  let sourceId = opts.sourceId ?? null;
  let sourceName = opts.sourceName ?? null;

  try {
    if (!sourceId && sourceName) sourceId = await ensureSource(db, sourceName, format);
    return await withBatchTransaction(db, async (exec, copy) => {
      let trustedProxies: Cidr[] | null = null;
      if (sourceId) {
        const { rows } = await exec(`SELECT name, "trustedProxies" FROM "Source" WHERE id = $1::uuid`, [sourceId]);
        const row = rows[0] as { name: string; trustedProxies: string[] | null } | undefined;
        if (opts.sourceId) sourceName = row?.name ?? sourceName;
        trustedProxies = storedTrustedProxies(row?.trustedProxies);
      }
      sourceProxies = trustedProxies;
      await exec(
        `INSERT INTO "IngestBatch" (id, "sourceId", format, state, "createdBy", "startedAt") VALUES ($1::uuid, $2::uuid, $3, 'running', $4, $5::timestamptz)`,
        [batchId, sourceId, format, opts.actor, startedAt.toISOString()],
      );
      // Everything the batch writes after its record, so a batch found at the end to repeat an
      // earlier one byte for byte can be undone while its record stays.
      await exec('SAVEPOINT hf_batch', []);
      const side = sideExecutor(db, exec);
      const retention = opts.retention ?? evidenceRetention();
      // An evidence hold that reaches back (an investigation loading the archived logs of its
      // matter) keeps lines past retention from then on; read once, at the batch's start.
      const heldSince = await heldSinceMs(exec);
      const evidence = new EvidenceWriter({ db, exec, copy, batchId, namespace: sourceId ?? `format:${format}`, now, retention, heldSinceMs: heldSince });
      const st: BatchState = {
        exec, copy, evidence, batchId, sourceId, now,
        hops: new HopRecorder({ db, exec, batchId, sourceId, namespace: sourceId ?? `format:${format}`, now, retention, heldSinceMs: heldSince }),
        trust: await loadTrustSnapshot(exec),
        trustedProxies, forwarders: new ForwarderTally(),
        stats: newBatchStats(),
        errors: [],
        tokens: new Map(), identities: new Map(), certsByX5t: new Map(), certsBySha1: new Map(), side,
        replay: new MemoryReplayStore({ maxEntries: 1_000_000 }), proofs: new ProofsSeen(side), keyCache: new KeyCache(),
        lastSeen: { Token: new Map(), Identity: new Map() },
        touched: opts.touched ?? { tokenIds: new Set(), beyondTokens: false },
      };
      // Identical lines are keyed by their occurrence in the batch (request-key.ts).
      const requestKeys = new BatchRequestKeys();
      const lineWarnings = new BatchWarnings();
      let events: PendingEvent[] = [];
      let tokens: TokenRecord[] = [];
      let exposures: ExposureRecord[] = [];
      // One chunk is written while the next one is parsed (the database works in another
      // process); chunks are still written strictly in order.
      let inFlight: Promise<void> = Promise.resolve();
      let failed: unknown = null;
      const flush = async () => {
        const e = events;
        const t = tokens;
        const x = exposures;
        events = [];
        tokens = [];
        exposures = [];
        await inFlight;
        if (failed) throw failed;
        inFlight = (async () => {
          await flushEvents(st, e);
          await flushTokens(st, t);
          await flushExposures(st, x);
          opts.onProgress?.({ ...st.stats });
          await opts.onChunk?.(st.stats.linesRead);
        })().catch((err) => {
          failed = err;
        });
      };
      // A chunk may still be writing when the input fails: wait for it before the error rolls the
      // transaction back, or its remaining statements would run after the ROLLBACK, outside it.
      try {
        for await (const parsed of batches) for (const { lineNo, result } of parsed) {
          if (lineNo > st.stats.linesRead) st.stats.linesRead = lineNo;
          switch (result.kind) {
            case 'event': {
              const ev = result.event;
              lineWarnings.note(ev);
              events.push({ ev, key: requestKeys.keyOf(ev), lineNo });
              break;
            }
            case 'token':
              tokens.push(result.token);
              break;
            case 'exposure':
              exposures.push(result.exposure);
              break;
            case 'skip':
              noteSkip(st.stats, result);
              break;
            case 'error':
              st.stats.rejected++;
              if (st.errors.length < MAX_BATCH_ERRORS) st.errors.push({ line: lineNo, reason: result.reason, message: result.message.slice(0, 300) });
              break;
          }
          if (events.length + tokens.length + exposures.length >= chunkSize) await flush();
        }
      } catch (e) {
        await inFlight;
        throw e;
      }
      await flush();
      await inFlight;
      if (failed) throw failed;
      await st.evidence.finish();
      await st.hops.finish();
      await writeLastSeen(st);
      const s = st.stats;
      const contentSha256 = bodyHash.digest('hex');
      // The same body, from the same source, committed before (an at-least-once shipper re-sending a
      // file after the ledger's window forgot its lines): nothing of it is new.
      const repeated = s.accepted > 0 ? await repeatedBatch(exec, { contentSha256, sourceId, format, batchId, logFormatSha256 }) : null;
      // Lines the earlier batch refused as past retention that this one kept (an evidence hold
      // reaches back now, or retention is longer) cannot be told from the rest of a repeat: the
      // batch is refused whole, saying which lines to send alone.
      if (repeated && keptWhatRepeatRefused(repeated, st.evidence.oldestKept)) throw repeatRefusedLinesError(repeated);
      if (repeated) {
        await exec('ROLLBACK TO SAVEPOINT hf_batch', []);
        EvidenceWriter.rolledBack(db);
        s.duplicates += s.accepted;
        s.accepted = 0;
      }
      // The peers that forwarded certificates, before the source's row below (every batch of the
      // source takes the two in this order). Not for a batch that repeats an earlier one.
      const newForwarders = sourceId && s.accepted > 0
        ? await recordForwarders(exec, { sourceId, sourceName: sourceName ?? sourceId, batchId, tally: st.forwarders, trustedProxies })
        : null;
      // The batch record and its source's counters in one statement: a round trip less while the
      // source's row is held (every batch of the source waits on it until COMMIT). No source: no row matches.
      const finishedAt = now().toISOString();
      await exec(
        `WITH batch AS (UPDATE "IngestBatch" SET state = 'committed', "linesRead" = $2, accepted = $3, rejected = $4, duplicates = $5,
           errors = $6::jsonb, "finishedAt" = $7::timestamptz, "contentSha256" = $8, "logFormatSha256" = $9, skipped = $10, "skippedReasons" = $11::jsonb,
           "keptFrom" = $14::timestamptz, "notableKeptFrom" = $15::timestamptz WHERE id = $1::uuid)
         UPDATE "Source" SET "lastSeenAt" = GREATEST(COALESCE("lastSeenAt", $13::timestamptz), $13::timestamptz),
             "eventsTotal" = "eventsTotal" + $3::int8 WHERE id = $12::uuid`,
        [batchId, s.linesRead, s.accepted, s.rejected, s.duplicates, JSON.stringify(st.errors), finishedAt, contentSha256, logFormatSha256, s.skipped, JSON.stringify(s.skippedReasons), sourceId, sourceId ? now().toISOString() : finishedAt,
          ...[st.evidence.keptFrom?.plainMs, st.evidence.keptFrom?.notableMs].map((ms) => (ms === undefined ? null : new Date(ms).toISOString()))],
      );
      await appendAuditEntryRaw(exec, { actor: opts.actor, action: 'ingest.batch', target: `batch:${batchId}`, details: {
        format, source: sourceName, linesRead: s.linesRead, accepted: s.accepted, rejected: s.rejected, duplicates: s.duplicates, skipped: s.skipped,
        bytes: bodyBytes, contentSha256,
        ...(st.evidence.keptUnderHold && !repeated ? { keptUnderHold: st.evidence.keptUnderHold } : {}),
        // Which log format the lines were read with (the configuration's hash, never its text).
        ...(logFormat ? { logFormat: { gateway: logFormat.gateway, name: logFormat.name, sha256: logFormatSha256 } } : {}),
      } });
      // Last, under the audit lock the append took: which usage hours this batch wrote (usage-versions.ts).
      await stampUsageHours(exec, st.evidence.usageHours);
      const warnings = [
        ...forwardedPeerWarnings(st.forwarders.byClass, sourceName, new Set(st.forwarders.peersOf('unset', 10))),
        ...(newForwarders ? [newForwarders] : []),
        ...lineWarnings.warnings({ trustAnchors: st.trust !== null }),
        ...(st.evidence.keptUnderHold && heldSince !== null && !repeated ? [keptUnderHoldWarning(st.evidence.keptUnderHold, heldSince)] : []),
      ];
      return {
        batchId, linesRead: s.linesRead, accepted: s.accepted, rejected: s.rejected, duplicates: s.duplicates, skipped: s.skipped, skippedReasons: s.skippedReasons, errors: st.errors, format,
        ...(logFormat ? { logFormat } : {}), ...(warnings.length ? { warnings } : {}),
      };
    });
  } catch (e) {
    EvidenceWriter.rolledBack(db);
    // Nothing of the batch is visible; leave a record that it was attempted and why it failed.
    const reason = (e as { code?: string }).code ?? 'internal';
    await db
      .query(
        `INSERT INTO "IngestBatch" (id, "sourceId", format, state, errors, "createdBy", "startedAt", "finishedAt")
         VALUES ($1::uuid, (SELECT id FROM "Source" WHERE id = $2::uuid), $3, 'failed', $4::jsonb, $5, $6::timestamptz, $7::timestamptz)`,
        [batchId, sourceId, format, JSON.stringify([{ line: 0, reason, message: String((e as Error).message ?? e).split('\n')[0]!.slice(0, 300) }]), opts.actor, startedAt.toISOString(), now().toISOString()],
      )
      .catch(() => {});
    throw e;
  }
}
