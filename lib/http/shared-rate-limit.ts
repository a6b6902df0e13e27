// Fixed-window request budgets shared by every app instance through the database. A budget kept
// in each instance's memory gives an attacker N × the budget behind N instances; here every hit
// is one upsert on (key, window) and the window is aligned on the database's clock, so all
// instances count into the same row. A local in-memory copy of the same budget refuses floods
// without a round trip: this instance's count never exceeds the shared one.
import { createHash } from 'node:crypto';
import type { Database } from '../db/open.ts';
import { HoldfastError } from '../errors.ts';
import { createRateLimiter, type RateLimiter } from './rate-limit.ts';

/** Windows older than this are deleted, at most once a minute per instance. */
const KEEP_MS = 3_600_000;
const SWEEP_EVERY_MS = 60_000;

export interface SharedRateLimiter {
  readonly limit: number;
  /**
   * Counts a request against `key`'s budget; throws rate_limited (429 + Retry-After) when spent.
   * `db` null: this process's count only (unit tests).
   */
  hit(db: Database | null, key: string): Promise<void>;
}

const lastSweep = new WeakMap<Database, number>();

export function createSharedRateLimiter(opts: { limit: number; windowMs: number }): SharedRateLimiter {
  const local: RateLimiter = createRateLimiter({ limit: opts.limit, windowMs: opts.windowMs });
  return {
    limit: opts.limit,
    async hit(db, key) {
      local.hit(key);
      if (!db) return;
      const keyHash = createHash('sha256').update(key).digest('base64url');
      const rows = await db.query<{ count: number; msLeft: number }>(
        `INSERT INTO "RateWindow" ("keyHash", "windowStart", count)
         VALUES ($1, to_timestamp(floor(extract(epoch FROM clock_timestamp()) * 1000 / $2) * $2 / 1000.0), 1)
         ON CONFLICT ("keyHash", "windowStart") DO UPDATE SET count = "RateWindow".count + 1
         RETURNING count, ceil(extract(epoch FROM ("windowStart" - clock_timestamp())) * 1000 + $2)::int AS "msLeft"`,
        [keyHash, opts.windowMs],
      );
      const now = Date.now();
      if (now - (lastSweep.get(db) ?? 0) > SWEEP_EVERY_MS) {
        lastSweep.set(db, now);
        await db.query(`DELETE FROM "RateWindow" WHERE "windowStart" < clock_timestamp() - make_interval(secs => $1)`, [KEEP_MS / 1000]);
      }
      const row = rows[0];
      if (row && Number(row.count) > opts.limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil(Number(row.msLeft) / 1000));
        throw new HoldfastError('rate_limited', `too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
    },
  };
}
