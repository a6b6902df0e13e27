// Holds on the evidence store: while one is in force, retention drops no partition, so the evidence
// of an incident under investigation, or under a legal hold, outlives its configured retention. An
// admin places a hold with a reason and releases it when the matter is closed; the stores keep
// growing meanwhile (Settings → Evidence kept shows what is held and what is overdue). Both changes
// are audit entries (`evidence.hold_placed`, `evidence.hold_released`); released holds stay listed.
//
// A hold is decisive for a drop already under way: placing one takes the hold lock exclusively, and
// each partition drop checks for holds under the same lock (shared) in the transaction that drops
// it. So once a hold is placed, no drop commits after it, and one that committed before it is in
// the audit log before the hold.
import { appendAuditEntryRaw } from '../../audit/append-audit-entry.ts';
import { withTransaction, type SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import { isUuid } from '../../domain/uuid.ts';
import { HoldfastError } from '../../errors.ts';
import { holdReason, holdSince, type EvidenceHold } from './hold-schemas.ts';

/** Advisory lock class of evidence holds (audit 727_001, partitions 727_002, hop stripes 727_003). */
const HOLD_LOCK = 727_004;

/** Released holds listed besides those in force. */
export const RELEASED_HOLDS_SHOWN = 10;

interface HoldRow {
  id: string;
  reason: string;
  since: Date | string | null;
  createdAt: Date | string;
  createdBy: string;
  releasedAt: Date | string | null;
  releasedBy: string | null;
}

const iso = (v: Date | string) => new Date(v).toISOString();

function holdOf(r: HoldRow): EvidenceHold {
  return { id: r.id, reason: r.reason, since: r.since === null ? null : iso(r.since), createdAt: iso(r.createdAt), createdBy: r.createdBy, releasedAt: r.releasedAt === null ? null : iso(r.releasedAt), releasedBy: r.releasedBy };
}

const COLUMNS = `id::text AS id, reason, since, "createdAt", "createdBy", "releasedAt", "releasedBy"`;

/** Takes the hold lock for this transaction: shared by a partition drop, exclusive to place or release a hold. */
export async function lockHolds(exec: SqlExecutor, mode: 'drop' | 'change'): Promise<void> {
  await exec(`SELECT ${mode === 'drop' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock'}(${HOLD_LOCK})`, []);
}

/** The holds in force, oldest first. */
export async function holdsInForce(exec: SqlExecutor): Promise<EvidenceHold[]> {
  const { rows } = await exec(`SELECT ${COLUMNS} FROM "EvidenceHold" WHERE "releasedAt" IS NULL ORDER BY "createdAt", id`, []);
  return (rows as HoldRow[]).map(holdOf);
}

/**
 * How far back the holds in force reach (ms): an ingest keeps lines from then on even past
 * retention, until the last of them is released. Null when no hold in force names a time.
 */
export async function heldSinceMs(exec: SqlExecutor): Promise<number | null> {
  const { rows } = await exec(`SELECT min(since) AS since FROM "EvidenceHold" WHERE "releasedAt" IS NULL`, []);
  const since = (rows[0] as { since: Date | string | null } | undefined)?.since ?? null;
  return since === null ? null : new Date(since).getTime();
}

/** The batch warning for lines only a hold keeps: they go with the month they fall in once no hold is in force. */
export function keptUnderHoldWarning(n: number, sinceMs: number): string {
  return `${n} line${n === 1 ? '' : 's'} older than the configured retention kept because an evidence hold in force reaches back to ${new Date(sinceMs).toISOString()}; the first maintenance run after the last hold is released drops them`;
}

/** The holds in force, then the latest released ones (newest first). */
export async function listEvidenceHolds(exec: SqlExecutor): Promise<EvidenceHold[]> {
  const released = await exec(
    `SELECT ${COLUMNS} FROM "EvidenceHold" WHERE "releasedAt" IS NOT NULL ORDER BY "releasedAt" DESC, id LIMIT ${RELEASED_HOLDS_SHOWN}`,
    [],
  );
  return [...(await holdsInForce(exec)), ...(released.rows as HoldRow[]).map(holdOf)];
}

/**
 * Places a hold: from its commit on, retention drops nothing until every hold is released, and, with
 * `since`, ingest keeps lines from that time on even past retention (archived logs of the matter).
 * Audited.
 */
export async function placeEvidenceHold(db: Database, input: { reason: string; since?: string | null; actor: string; now?: Date }): Promise<{ hold: EvidenceHold; inForce: number }> {
  const reason = holdReason(input.reason);
  const since = holdSince(input.since, (input.now ?? new Date()).getTime());
  return withTransaction(db, async (exec) => {
    await lockHolds(exec, 'change');
    const { rows } = await exec(`INSERT INTO "EvidenceHold" (reason, since, "createdBy") VALUES ($1, $2::timestamptz, $3) RETURNING ${COLUMNS}`, [reason, since?.toISOString() ?? null, input.actor]);
    const hold = holdOf(rows[0] as HoldRow);
    const inForce = (await holdsInForce(exec)).length;
    await appendAuditEntryRaw(exec, { actor: input.actor, action: 'evidence.hold_placed', target: `evidence_hold:${hold.id}`, details: { reason, ...(hold.since ? { since: hold.since } : {}), inForce } });
    return { hold, inForce };
  });
}

/**
 * Releases a hold. Retention resumes when no other hold is in force: partitions whose retention
 * ended meanwhile go at the next maintenance run (within about an hour). Releasing a released hold
 * changes nothing (alreadyReleased). Audited.
 */
export async function releaseEvidenceHold(db: Database, input: { id: string; actor: string }): Promise<{ hold: EvidenceHold; alreadyReleased: boolean; inForce: number }> {
  if (!isUuid(input.id)) throw new HoldfastError('not_found', `no evidence hold ${input.id.slice(0, 60)}`);
  return withTransaction(db, async (exec) => {
    await lockHolds(exec, 'change');
    const { rows } = await exec(
      `UPDATE "EvidenceHold" SET "releasedAt" = now(), "releasedBy" = $2 WHERE id = $1::uuid AND "releasedAt" IS NULL RETURNING ${COLUMNS}`,
      [input.id, input.actor],
    );
    if (!rows.length) {
      const { rows: existing } = await exec(`SELECT ${COLUMNS} FROM "EvidenceHold" WHERE id = $1::uuid`, [input.id]);
      if (!existing.length) throw new HoldfastError('not_found', `no evidence hold ${input.id}`);
      return { hold: holdOf(existing[0] as HoldRow), alreadyReleased: true, inForce: (await holdsInForce(exec)).length };
    }
    const hold = holdOf(rows[0] as HoldRow);
    const inForce = (await holdsInForce(exec)).length;
    await appendAuditEntryRaw(exec, {
      actor: input.actor, action: 'evidence.hold_released', target: `evidence_hold:${hold.id}`,
      details: { reason: hold.reason, ...(hold.since ? { since: hold.since } : {}), placedBy: hold.createdBy, placedAt: hold.createdAt, inForce },
    });
    return { hold, alreadyReleased: false, inForce };
  });
}

