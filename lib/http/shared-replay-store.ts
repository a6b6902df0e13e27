// The API's DPoP replay store, shared by every app instance through the database. An in-memory
// store per instance let a captured proof be replayed to a *different* instance within its iat
// window; behind a load balancer that is most replays. Each accepted proof is one INSERT … ON
// CONFLICT on a primary key (the proof was just signature-checked, so only key holders get here),
// and a local memory copy refuses repeats to the same instance without a round trip.
import { createHash } from 'node:crypto';
import { MemoryReplayStore, type ReplayStore } from '../binding/index.ts';
import type { Database } from '../db/open.ts';

/** Expired rows are deleted at most this often per instance. */
const SWEEP_EVERY_MS = 60_000;

export class DatabaseReplayStore implements ReplayStore {
  readonly #db: Database;
  readonly #local = new MemoryReplayStore({ maxEntries: 50_000 });
  #lastSweep = 0;

  constructor(db: Database) {
    this.#db = db;
  }

  /** True when the key was seen and is still within its window (a replay); else remembers it. */
  async remember(key: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    if (this.#local.remember(key, expiresAtMs, nowMs)) return true;
    const keyHash = createHash('sha256').update(key).digest('base64url');
    // Inserted, or an expired row taken over: first use. A live row (another instance, or this
    // one before a restart) makes the upsert a no-op and returns nothing: a replay.
    const rows = await this.#db.query(
      `INSERT INTO "DpopProofSeen" ("keyHash", "expiresAt") VALUES ($1, $2::timestamptz)
       ON CONFLICT ("keyHash") DO UPDATE SET "expiresAt" = excluded."expiresAt" WHERE "DpopProofSeen"."expiresAt" <= $3::timestamptz
       RETURNING 1 AS fresh`,
      [keyHash, new Date(expiresAtMs).toISOString(), new Date(nowMs).toISOString()],
    );
    if (nowMs - this.#lastSweep > SWEEP_EVERY_MS) {
      this.#lastSweep = nowMs;
      await this.#db.query(`DELETE FROM "DpopProofSeen" WHERE "expiresAt" <= $1::timestamptz`, [new Date(nowMs).toISOString()]);
    }
    return rows.length === 0;
  }
}

const stores = new WeakMap<Database, DatabaseReplayStore>();

/** One store per database handle (per instance). */
export function replayStoreFor(db: Database): DatabaseReplayStore {
  let s = stores.get(db);
  if (!s) {
    s = new DatabaseReplayStore(db);
    stores.set(db, s);
  }
  return s;
}
