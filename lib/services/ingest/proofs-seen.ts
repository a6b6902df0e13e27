// DPoP proofs across ingest batches. A batch's replay store (lib/binding MemoryReplayStore) lives
// for the batch, so a proof replayed in the next one — an hourly rotation, a shipper's next post —
// would read as fresh. Each chunk therefore looks its proofs up among those earlier batches
// accepted (evidence."ProofSeen": the SHA-256 of the replay key, the request that presented it,
// when that request happened, the end of the proof's window); a request that presents one of them
// at or after that use, inside the window, is a replay. What the chunk accepts is then added.
// Written outside the batch on PostgreSQL (no lock held until it commits, no wait on another
// batch): a batch that fails and is sent again finds its own requests there, which are not
// replays of themselves.
//
// Batches out of order (a late file, a backfill, several shippers): a request EARLIER than the
// stored use is not a replay of it — it is the first use, and the stored one was the replay. It
// is judged as a first use and the row keeps the earliest use from then on, so a later batch's
// copies are judged against it. What is left: the stored later request keeps the verdict it was
// given when its batch was ingested (ok); evidence is not re-judged. A row written before
// "usedAt" existed has no time and counts as earlier than anything (the old rule).
import { createHash } from 'node:crypto';
import { proofReplayKey, type MemoryReplayStore, type ReplayStore } from '../../binding/index.ts';
import type { SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';

/** How long past a proof's window its row is kept: batches a day late still see it. */
export const PROOF_SEEN_KEEP_MS = 86_400_000;

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

/** An earlier batch's use of a proof by another request: when it happened and when the proof's window ends. */
interface EarlierUse {
  usedAtMs: number;
  expiresAtMs: number;
}

export class ProofsSeen {
  private accepted: Array<{ hash: string; request: string; expiresAtMs: number; usedAtMs: number }> = [];
  /** The chunk's proofs that earlier batches accepted from other requests, by replay key. */
  private earlier = new Map<string, EarlierUse>();

  constructor(private readonly side: SqlExecutor) {}

  /** Loads the uses earlier batches made, from other requests, of the proofs `events` present. */
  async seed(events: ReadonlyArray<{ ev: { dpopProof: string | null }; key: Buffer }>): Promise<void> {
    this.earlier = new Map();
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
      `SELECT encode(s."key", 'hex') AS key, encode(s.request, 'hex') AS request, s."expiresAt", s."usedAt" FROM "evidence"."ProofSeen" s
        WHERE s."key" IN (SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h)`,
      [[...wanted.keys()]],
    );
    for (const r of rows as Array<{ key: string; request: string; expiresAt: Date | string; usedAt: Date | string | null }>) {
      const w = wanted.get(r.key);
      if (!w || w.requests.has(r.request)) continue;
      this.earlier.set(w.key, { usedAtMs: r.usedAt === null ? Number.NEGATIVE_INFINITY : new Date(r.usedAt).getTime(), expiresAtMs: new Date(r.expiresAt).getTime() });
    }
  }

  /**
   * `replay` as the verifier uses it (nowMs is the request's own time): a replay of an earlier
   * batch's use when it comes at or after that use inside the proof's window, else as `replay`
   * (this batch) says; each proof accepted is noted with the request (`request()`) that presented it.
   */
  recording(replay: MemoryReplayStore, request: () => Buffer): ReplayStore {
    return {
      remember: (key, expiresAtMs, nowMs) => {
        const before = this.earlier.get(key);
        if (before && before.usedAtMs <= nowMs && nowMs < before.expiresAtMs) return true;
        const seen = replay.remember(key, expiresAtMs, nowMs);
        if (!seen) this.accepted.push({ hash: hashOf(key), request: request().toString('hex'), expiresAtMs, usedAtMs: nowMs });
        return seen;
      },
    };
  }

  /** Adds the proofs accepted since the last call; a proof stored with a later use takes the earlier one. */
  async record(): Promise<void> {
    if (!this.accepted.length) return;
    // One row per proof (an upsert cannot touch a row twice): its earliest use.
    const byHash = new Map<string, (typeof this.accepted)[number]>();
    for (const a of this.accepted) if ((byHash.get(a.hash)?.usedAtMs ?? Number.POSITIVE_INFINITY) > a.usedAtMs) byHash.set(a.hash, a);
    const list = [...byHash.values()];
    this.accepted = [];
    await this.side(
      `INSERT INTO "evidence"."ProofSeen" AS s ("key", request, "expiresAt", "usedAt")
       SELECT decode(k, 'hex'), decode(r, 'hex'), e, u FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS x(k, r, e, u)
       ON CONFLICT ("key") DO UPDATE SET request = EXCLUDED.request, "usedAt" = EXCLUDED."usedAt"
        WHERE s."usedAt" IS NOT NULL AND EXCLUDED."usedAt" < s."usedAt"`,
      [list.map((a) => a.hash), list.map((a) => a.request), list.map((a) => new Date(a.expiresAtMs)), list.map((a) => new Date(a.usedAtMs))],
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
