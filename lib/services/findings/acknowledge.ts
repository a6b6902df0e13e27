// Acknowledging findings = accepting the risk for a while, with a reason.
//
// Permission: `read`. Analysts are the people who triage the queue, and acknowledging changes
// no credential — it only hides a finding from the open queue until `until`. Every
// acknowledgement is attributable (FindingHistory row with actor and note, one audit entry
// per call), the expiry is at most 365 days away, and a later evaluation reopens the finding
// when the acknowledgement expires or when its severity rises above the accepted one.
import { appendAuditEntry } from '../../audit/append-audit-entry.ts';
import type { Database } from '../../db/open.ts';
import { unsafeTextMessage, unsafeTextReason } from '../../domain/unsafe-text.ts';
import { HoldfastError } from '../../errors.ts';
import { isUuid } from '../../domain/uuid.ts';

export const MAX_ACK_DAYS = 365;
export const MAX_ACK_IDS = 1000;

export interface AcknowledgeInput {
  ids: readonly string[];
  reason: string;
  /** Expiry of the acceptance; must be in the future and at most 365 days away. */
  until: Date;
  actor: string;
  now?: Date;
}

export interface AcknowledgeResult {
  acknowledged: string[];
  /** Ids that are unknown or already resolved (nothing to accept). */
  skipped: string[];
  until: string;
}


export async function acknowledgeFindings(db: Database, input: AcknowledgeInput): Promise<AcknowledgeResult> {
  const now = input.now ?? new Date();
  const reason = input.reason.trim();
  if (reason.length < 3 || reason.length > 500) throw new HoldfastError('validation_failed', 'reason must be 3 to 500 characters');
  const unsafe = unsafeTextReason(reason);
  if (unsafe) throw new HoldfastError('validation_failed', `reason ${unsafeTextMessage(unsafe)}`);
  if (input.ids.length === 0 || input.ids.length > MAX_ACK_IDS) throw new HoldfastError('validation_failed', `give 1 to ${MAX_ACK_IDS} finding ids`);
  const bad = input.ids.find((id) => !isUuid(id));
  if (bad !== undefined) throw new HoldfastError('validation_failed', `not a finding id: ${bad.slice(0, 60)}`);
  if (Number.isNaN(input.until.getTime()) || input.until.getTime() <= now.getTime()) throw new HoldfastError('validation_failed', 'until must be in the future');
  if (input.until.getTime() > now.getTime() + MAX_ACK_DAYS * 86_400_000) throw new HoldfastError('validation_failed', `until must be at most ${MAX_ACK_DAYS} days away`);
  const ids = [...new Set(input.ids.map((i) => i.toLowerCase()))];
  const until = input.until.toISOString();

  const acknowledged = await db.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      `WITH upd AS (
         UPDATE "Finding" SET status = 'acknowledged', "ackReason" = $2, "ackUntil" = $3::timestamptz, "ackBy" = $4
          WHERE id = ANY($1::uuid[]) AND status <> 'resolved' RETURNING id),
       h AS (INSERT INTO "FindingHistory" ("findingId", at, action, actor, note)
             SELECT id, $5::timestamptz, 'acknowledged', $4, $6 FROM upd)
       SELECT id::text FROM upd`,
      ids,
      reason,
      until,
      input.actor,
      now.toISOString(),
      `${reason} (until ${until})`,
    );
    const done = rows.map((r) => r.id);
    if (done.length) {
      await appendAuditEntry(tx, { actor: input.actor, action: 'findings.acknowledge', details: { ids: done, reason, until } });
    }
    return done;
  });
  const set = new Set(acknowledged);
  return { acknowledged, skipped: ids.filter((i) => !set.has(i)), until };
}
