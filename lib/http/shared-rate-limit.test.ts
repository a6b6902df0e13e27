// Budgets shared by every instance: two database handles on one PostgreSQL stand for two app
// instances (on PGlite, one embedded instance, the handle is shared).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open.ts';
import type { Database } from '../db/open.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { createSharedRateLimiter } from './shared-rate-limit.ts';

const pgUp = await postgresAvailable();

describe.each(RUNTIMES)('shared rate limits on %s', (runtime) => {
  const skip = runtime === 'postgres' && !pgUp;
  let t: TestDatabase;
  let other: Database;
  beforeAll(async () => {
    if (skip) return;
    t = await openTestDatabase(runtime);
    other = t.url ? await openDatabase({ kind: 'postgres', url: t.url }) : t.db;
  }, 60_000);
  afterAll(async () => {
    if (other && other !== t?.db) await other.close();
    await t?.drop();
  });

  it.skipIf(skip)('one budget across instances: the request over it is refused on whichever instance it reaches, with Retry-After', async () => {
    // Each instance has its own limiter object (its own process), as in production.
    const onA = createSharedRateLimiter({ limit: 3, windowMs: 60_000 });
    const onB = createSharedRateLimiter({ limit: 3, windowMs: 60_000 });
    await onA.hit(t.db, 'sign-in:acct:alice@example.test');
    await onB.hit(other, 'sign-in:acct:alice@example.test');
    await onA.hit(t.db, 'sign-in:acct:alice@example.test');
    const refused = await onB.hit(other, 'sign-in:acct:alice@example.test').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'rate_limited' });
    const after = (refused as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds;
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThanOrEqual(60);
    // Other keys keep their own budget.
    await onB.hit(other, 'sign-in:acct:bob@example.test');
    // Only hashes of the budget names are stored (they hold addresses and emails).
    const rows = await t.db.query<{ keyHash: string; count: number }>(`SELECT "keyHash", count FROM "RateWindow" ORDER BY count DESC`);
    expect(JSON.stringify(rows)).not.toContain('example.test');
    expect(rows.map((r) => Number(r.count))).toEqual([4, 1]);
  });

  it.skipIf(skip)('without a database only this process counts (the local copy refuses floods without a round trip)', async () => {
    const l = createSharedRateLimiter({ limit: 2, windowMs: 60_000 });
    await l.hit(null, 'k');
    await l.hit(null, 'k');
    await expect(l.hit(null, 'k')).rejects.toMatchObject({ code: 'rate_limited' });
    // Over its local budget it refuses before touching the database.
    const before = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "RateWindow"`);
    await expect(l.hit(t.db, 'k')).rejects.toMatchObject({ code: 'rate_limited' });
    expect(await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "RateWindow"`)).toEqual(before);
  });
});
