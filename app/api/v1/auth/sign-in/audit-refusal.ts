// Sign-in attempts refused by a request budget (429) are audited like every other attempt, as
// `auth.sign_in_failed` with why `rate_limited`. Each entry takes the audit chain's lock, so a
// flood must not turn into one entry per request (that would grow the log without bound and
// queue every operator's audited action behind it): one entry per budget key (an address or an
// account) per budget window on this instance; the entry names the window it covers.
import { appendAuditEntry } from '@/lib/audit/append-audit-entry.ts';
import type { Database } from '@/lib/db/open.ts';
import { isHoldfastError } from '@/lib/errors.ts';

export type SignInBudget = 'address' | 'account';

/** Budget key → end of the window already audited (ms since epoch). */
const auditedUntil = new Map<string, number>();
const MAX_KEYS = 10_000;

function alreadyAudited(key: string, now: number): boolean {
  if ((auditedUntil.get(key) ?? 0) > now) return true;
  if (auditedUntil.size >= MAX_KEYS) {
    for (const [k, until] of auditedUntil) if (until <= now) auditedUntil.delete(k);
    // Still full of live windows (a spread flood): forget them rather than grow; worst case a few more entries.
    if (auditedUntil.size >= MAX_KEYS) auditedUntil.clear();
  }
  return false;
}

/**
 * Runs a budget check; when it refuses (rate_limited), audits the refusal (at most once per key
 * and window) and rethrows, so the client still gets 429 + Retry-After.
 */
export async function auditedBudget(
  db: Database,
  check: () => Promise<void>,
  attempt: { budget: SignInBudget; key: string; email: string; ip: string | null },
  now = Date.now(),
): Promise<void> {
  try {
    await check();
  } catch (e) {
    if (!isHoldfastError(e) || e.code !== 'rate_limited') throw e;
    const key = `${attempt.budget}:${attempt.key}`;
    if (!alreadyAudited(key, now)) {
      const retryAfterSeconds = (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds ?? 60;
      const until = now + retryAfterSeconds * 1000;
      auditedUntil.set(key, until);
      await db.prisma.$transaction((tx) =>
        appendAuditEntry(tx, {
          actor: 'anonymous',
          action: 'auth.sign_in_failed',
          target: `user:${attempt.email}`,
          details: { ip: attempt.ip, why: 'rate_limited', budget: attempt.budget, windowEndsAt: new Date(until).toISOString() },
        }),
      );
    }
    throw e;
  }
}

/** Test hook: forget which windows were audited. */
export function resetAuditedRefusals(): void {
  auditedUntil.clear();
}
