// The one-time move of a database's legacy request rows ("BindingEvent", one wide row per
// request, moved aside to "evidence"."LegacyEvent" by the legacy_events_to_evidence migration)
// into the evidence store: every row through the evidence writer, so keys, routes, networks and
// dimensions are exactly what ingest would have made of it — ok requests into hourly usage and,
// inside the dedupe window, the ledger; every other one kept as a notable request. The hourly
// rollups counted these rows already and are left alone. All in one transaction that ends by
// dropping the legacy table: a crash leaves it to the next start.
import { withTransaction, type SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import type { Binding, NormalizedEvent, Verdict } from '../../domain/types.ts';
import { requestKeyOf } from '../../ingest/evidence/request-key.ts';
import { DAY_MS } from '../../ingest/evidence/ledger-day.ts';
import { DEFAULT_RETENTION, type RetentionConfig } from './partitions.ts';
import { stampUsageHours } from './usage-versions.ts';
import { EvidenceWriter, type DecidedRequest } from './writer.ts';

const PAGE = 10_000;

interface LegacyRow {
  id: number;
  sourceId: string | null;
  occurredAt: Date | string;
  requestId: string | null;
  gateway: string | null;
  method: string | null;
  url: string | null;
  clientIp: string | null;
  httpStatus: number | null;
  authScheme: string | null;
  hasDpop: boolean;
  identityId: string | null;
  tokenId: string | null;
  tokenFingerprint: string | null;
  x5tS256: string | null;
  sha1Hex: string | null;
  jkt: string | null;
  verdict: string;
  reason: string | null;
  redactedRaw: string | null;
  binding: string | null;
  tokenIdentityId: string | null;
  revokedAt: Date | string | null;
}

function decided(r: LegacyRow): DecidedRequest {
  const occurredAt = new Date(r.occurredAt);
  const ev: NormalizedEvent = {
    format: 'legacy', occurredAt, requestId: r.requestId, gateway: r.gateway, method: r.method, url: r.url, clientIp: r.clientIp,
    httpStatus: r.httpStatus, authScheme: r.authScheme, hasDpop: r.hasDpop, dpopProof: null, tokenFingerprint: r.tokenFingerprint, tokenClaims: null,
    identityHint: null, failureDetail: null, sourceVerdict: null, redactedRaw: r.redactedRaw ?? '',
    cert: r.x5tS256 || r.sha1Hex ? { x5tS256: r.x5tS256, sha1Hex: r.sha1Hex, subjectDn: null, issuerDn: null, serial: null, notBefore: null, notAfter: null, verify: null } : null,
  };
  const revokedAt = r.revokedAt ? new Date(r.revokedAt).getTime() : null;
  return {
    lineNo: 0, ev, key: requestKeyOf(ev), tokenId: r.tokenId, identityId: r.identityId, tokenIdentityId: r.tokenIdentityId, jkt: r.jkt,
    verdict: r.verdict as Verdict, reason: r.reason, binding: (r.binding as Binding | null) ?? null,
    anomaly: revokedAt !== null && occurredAt.getTime() > revokedAt ? 'after_revocation' : null,
  };
}

async function legacyTableExists(db: Database): Promise<boolean> {
  const rows = await db.query<{ t: string | null }>(`SELECT to_regclass('"evidence"."LegacyEvent"')::text AS t`);
  return !!rows[0]?.t;
}

/** Folds legacy request rows into the evidence store; returns how many were folded (0 when there were none). */
export async function foldLegacyEvents(db: Database, opts: { now?: Date; retention?: RetentionConfig; log?: (line: string) => void } = {}): Promise<number> {
  if (!(await legacyTableExists(db))) return 0;
  const now = opts.now ?? new Date();
  const retention = opts.retention ?? DEFAULT_RETENTION;
  let folded = 0;
  try {
    await withTransaction(db, async (exec: SqlExecutor) => {
      // One writer per dedupe namespace (source): rows are read in source order.
      const writers = new Map<string, EvidenceWriter>();
      const writerFor = (ns: string) => {
        let w = writers.get(ns);
        if (!w) {
          w = new EvidenceWriter({
            db, exec, copy: null, batchId: '00000000-0000-0000-0000-000000000000', namespace: ns, now: () => now, retention,
            rollups: false, ledgerSince: now.getTime() - retention.requestWindowDays * DAY_MS,
          });
          writers.set(ns, w);
        }
        return w;
      };
      let after = 0;
      for (;;) {
        const { rows } = await exec(
          `SELECT e.id, e."sourceId"::text AS "sourceId", e."occurredAt", e."requestId", e.gateway, e.method, e.url, e."clientIp", e."httpStatus",
                  e."authScheme", e."hasDpop", e."identityId"::text AS "identityId", e."tokenId"::text AS "tokenId", e."tokenFingerprint", e."x5tS256",
                  e."sha1Hex", e.jkt, e.verdict, e.reason, e."redactedRaw", e.binding, t."identityId"::text AS "tokenIdentityId", t."revokedAt"
             FROM "evidence"."LegacyEvent" e LEFT JOIN "Token" t ON t.id = e."tokenId"
            WHERE e.id > $1 ORDER BY e.id LIMIT ${PAGE}`,
          [after],
        );
        if (!rows.length) break;
        const bySource = new Map<string, DecidedRequest[]>();
        for (const r of rows as LegacyRow[]) {
          const ns = r.sourceId ?? 'format:legacy';
          const list = bySource.get(ns) ?? [];
          list.push(decided(r));
          bySource.set(ns, list);
        }
        for (const [ns, list] of bySource) folded += (await writerFor(ns).writeChunk(list)).inserted;
        after = Number((rows.at(-1) as LegacyRow).id);
      }
      for (const w of writers.values()) {
        await w.finish();
        await stampUsageHours(exec, w.usageHours);
      }
      await exec(`DROP TABLE "evidence"."LegacyEvent"`, []);
    });
  } catch (e) {
    EvidenceWriter.rolledBack(db);
    throw e;
  }
  // A fresh database has the (empty) legacy table too: say something only when something moved.
  if (folded) opts.log?.(`holdfast: moved ${folded} request(s) of the legacy event table into the evidence store`);
  return folded;
}
