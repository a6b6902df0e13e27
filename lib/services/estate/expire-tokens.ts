// A token whose expiry has passed is `expired`: the inventory, introspection or log that said
// "active" spoke before its `exp`, and time has moved on. Kept by the periodic maintenance
// (lib/services/evidence/maintenance.ts: server and CLI start, then at most hourly on the server's clock and after ingest) with
// one statement over the active tokens past their expiry (partial index
// "Token_active_expiresAt_idx"); the token counters follow by their triggers.
import type { Database } from '../../db/open.ts';

/**
 * Marks active tokens whose `expiresAt` is at or before `now` expired; returns how many. Rows an
 * ingest batch or a revocation holds are skipped, not waited for (the next run takes them): a
 * sweep that waited on a batch while holding rows that batch updates next would deadlock it.
 */
export async function expirePastTokens(db: Database, now: Date): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH due AS (SELECT id FROM "Token" WHERE status = 'active' AND "expiresAt" <= $1::timestamptz FOR UPDATE SKIP LOCKED),
          done AS (UPDATE "Token" t SET status = 'expired' FROM due WHERE t.id = due.id RETURNING 1)
     SELECT count(*)::int AS n FROM done`,
    [now],
  );
  return Number(rows[0]?.n ?? 0);
}
