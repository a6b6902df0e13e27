// DPoP proofs across ingest batches. A batch's replay store (lib/binding MemoryReplayStore) lives
// for the batch, so a proof replayed in the next one — an hourly rotation, a shipper's next post —
// would read as fresh. Each chunk therefore looks its proofs up among those earlier batches
// accepted (evidence."ProofSeen": the SHA-256 of the replay key, the request that presented it,
// the end of the proof's window) and seeds the batch's store with those another request presented
// first; what the chunk accepts is then added. Written outside the batch on PostgreSQL (no lock
// held until it commits, no wait on another batch): a batch that fails and is sent again finds
// its own requests there, which are not replays of themselves.
import { createHash } from 'node:crypto';
import { proofReplayKey, type MemoryReplayStore, type ReplayStore } from '../../binding/index.ts';
import type { SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';

/** How long past a proof's window its row is kept: batches a day late still see it. */
export const PROOF_SEEN_KEEP_MS = 86_400_000;

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

export class ProofsSeen {
  private accepted: Array<{ hash: string; request: string; expiresAtMs: number }> = [];

  constructor(private readonly side: SqlExecutor) {}

  /** Seeds `replay` with the proofs of `events` an earlier batch accepted from another request. */
  async seed(replay: MemoryReplayStore, events: ReadonlyArray<{ ev: { dpopProof: string | null }; key: Buffer }>): Promise<void> {
    const wanted = new Map<string, { key: string; requests: Set<string> }>();
    for (const { ev, key } of events) {
      const k = ev.dpopProof ? proofReplayKey(ev.dpopProof) : null;
      if (!k) continue;
      const h = hashOf(k);
      const w = wanted.get(h) ?? { key: k, requests: new Set<string>() };
      w.requests.add(key.toString('hex'));
      wanted.set(h, w);
    }
    if (!wanted.size) return;
    const { rows } = await this.side(
      `SELECT encode(s."key", 'hex') AS key, encode(s.request, 'hex') AS request, s."expiresAt" FROM "evidence"."ProofSeen" s
        WHERE s."key" IN (SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h)`,
      [[...wanted.keys()]],
    );
    for (const r of rows as Array<{ key: string; request: string; expiresAt: Date | string }>) {
      const w = wanted.get(r.key);
      if (w && !w.requests.has(r.request)) replay.remember(w.key, new Date(r.expiresAt).getTime(), Number.NEGATIVE_INFINITY);
    }
  }

  /** `replay` as the verifier uses it, noting each proof it accepts and the request (`request()`) that presented it. */
  recording(replay: MemoryReplayStore, request: () => Buffer): ReplayStore {
    return {
      remember: (key, expiresAtMs, nowMs) => {
        const seen = replay.remember(key, expiresAtMs, nowMs);
        if (!seen) this.accepted.push({ hash: hashOf(key), request: request().toString('hex'), expiresAtMs });
        return seen;
      },
    };
  }

  /** Adds the proofs accepted since the last call. */
  async record(): Promise<void> {
    if (!this.accepted.length) return;
    const list = this.accepted;
    this.accepted = [];
    await this.side(
      `INSERT INTO "evidence"."ProofSeen" ("key", request, "expiresAt")
       SELECT decode(k, 'hex'), decode(r, 'hex'), e FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(k, r, e)
       ON CONFLICT ("key") DO NOTHING`,
      [list.map((a) => a.hash), list.map((a) => a.request), list.map((a) => new Date(a.expiresAtMs))],
    );
  }
}

/** Deletes the proofs whose window ended more than PROOF_SEEN_KEEP_MS before `now`; returns how many. */
export async function pruneProofsSeen(db: Database, now: Date): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH gone AS (DELETE FROM "evidence"."ProofSeen" WHERE "expiresAt" < $1::timestamptz RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    [new Date(now.getTime() - PROOF_SEEN_KEEP_MS)],
  );
  return Number(rows[0]?.n ?? 0);
}
