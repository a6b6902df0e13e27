// The shapes of evidence holds (holds.ts) as the API and the CLI carry them, and the check of a
// hold's reason: zod only, so the CLI and the browser bundle load none of the store's modules.
import { z } from 'zod';
import { assertAcceptableName } from '../../auth/names.ts';
import { INSTANT_MESSAGE, parseInstant } from '../../domain/instant.ts';
import { HoldfastError } from '../../errors.ts';

export const HOLD_REASON_MAX = 500;

export interface EvidenceHold {
  id: string;
  reason: string;
  /** How far back the matter reaches (ISO time): while the hold is in force, ingest keeps lines from then on, even past retention. */
  since: string | null;
  createdAt: string;
  createdBy: string;
  releasedAt: string | null;
  releasedBy: string | null;
}

/** A hold's reason as given: trimmed, 1–500 characters, no control characters but line breaks, no bidirectional controls. */
export function holdReason(reason: string): string {
  const r = reason.trim();
  if (!r) throw new HoldfastError('validation_failed', 'a hold needs a reason (the investigation or matter it is for)', { errors: [{ path: 'reason', message: 'required' }] });
  if (r.length > HOLD_REASON_MAX) throw new HoldfastError('validation_failed', `a hold's reason is at most ${HOLD_REASON_MAX} characters`, { errors: [{ path: 'reason', message: `at most ${HOLD_REASON_MAX} characters` }] });
  // Shown in Settings, the audit log and the CLI: no character that could make it read as another
  // (control characters, bidirectional overrides: lib/auth/names.ts); line breaks are fine.
  assertAcceptableName('reason', r.replace(/\r?\n/g, ' '));
  return r;
}

/**
 * How far back a hold reaches, as given: an ISO 8601 date (from its start, UTC) or date-time with
 * offset (parseInstant), a calendar date, not in the future. Null when not given.
 */
export function holdSince(since: string | null | undefined, nowMs: number): Date | null {
  const bad = (message: string) => new HoldfastError('validation_failed', `since ${message}`, { errors: [{ path: 'since', message }] });
  const given = since?.trim();
  let d: Date | null;
  try {
    d = parseInstant('since', given);
  } catch {
    throw bad(INSTANT_MESSAGE);
  }
  if (!d || !given) return null;
  // Date reads 2024-02-31 as March 2nd: a date must read back as it was written.
  if (/^\d{4}-\d{2}-\d{2}$/.test(given) && d.toISOString().slice(0, 10) !== given) throw bad(`is not a calendar date: ${given}`);
  if (d.getTime() > nowMs) throw bad('is in the future: a hold reaches back from now');
  return d;
}

/** POST /api/v1/evidence/holds: the reason is checked by holdReason (trimmed, 1–500 characters), since by holdSince. */
export const PlaceHoldBodySchema = z.object({ reason: z.string().max(HOLD_REASON_MAX * 4), since: z.string().max(64).nullable().optional() }).strict();

export const HoldSchema = z.object({
  id: z.string(), reason: z.string(), since: z.string().nullable(), createdAt: z.string(), createdBy: z.string(), releasedAt: z.string().nullable(), releasedBy: z.string().nullable(),
});
export const HoldListSchema = z.object({ holds: z.array(HoldSchema), inForce: z.number().int() });
export const HoldChangeSchema = z.object({ hold: HoldSchema, inForce: z.number().int(), alreadyReleased: z.boolean().optional() });
