// The identity page's evidence figures on both runtimes, against the straightforward queries they
// replaced: DPoP keys (usage rows summed per key number before the numbers are named, instead of
// every usage row of the identity joined to evidence."Dim" first) for every identity of a demo
// estate written through the evidence writer (its DPoP-bound tokens present their keys).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoEstate } from '../../seed/demo-estate.ts';
import { writeEstate } from '../../seed/write-estate.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { getIdentityDetail } from './details.ts';

const NOW = new Date('2026-11-22T08:00:00.000Z');
const pgUp = await postgresAvailable();

/** The keys query as it was: every usage row of the identity joined to its key's name, then grouped. */
async function keysJoinedFirst(db: TestDatabase['db'], id: string) {
  const rows = await db.query<{ jkt: string; tokens: number; events: number; lastAt: Date | string | null }>(
    `WITH k AS (SELECT "cnfJkt" AS jkt, count(*)::int AS tokens FROM "Token" WHERE "identityId" = $1::uuid AND "cnfJkt" IS NOT NULL GROUP BY 1),
          e AS (SELECT d."value" AS jkt, sum(u."count")::int AS events, max(u."lastAt") AS "lastAt"
                  FROM "evidence"."Usage" u JOIN "evidence"."Dim" d ON d."id" = u."jkt"
                 WHERE u."identityId" = $1::uuid GROUP BY 1)
     SELECT coalesce(k.jkt, e.jkt) AS jkt, coalesce(k.tokens, 0)::int AS tokens, coalesce(e.events, 0)::int AS events, e."lastAt"
       FROM k FULL JOIN e ON e.jkt = k.jkt ORDER BY 3 DESC, 1 LIMIT 100`,
    [id],
  );
  return rows.map((r) => ({ ...r, lastAt: r.lastAt == null ? null : new Date(r.lastAt).toISOString() }));
}

describe.each(RUNTIMES)('identity page evidence on %s', (runtime) => {
  const skip = runtime === 'postgres' && !pgUp;
  let t: TestDatabase;
  beforeAll(async () => {
    if (skip) return;
    t = await openTestDatabase(runtime);
    await writeEstate(t.db, generateDemoEstate({ seed: 23, now: NOW, identities: 30, tokens: 300, events: 6000 }));
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  it.skipIf(skip)('lists the same DPoP keys as joining every usage row to its key name', async () => {
    const ids = await t.db.query<{ id: string }>(`SELECT id::text FROM "Identity" ORDER BY name`);
    let withKeyEvents = 0;
    for (const { id } of ids) {
      const d = await getIdentityDetail(t.db, id, NOW);
      const want = await keysJoinedFirst(t.db, id);
      expect(d.keys, id).toEqual(want);
      if (want.some((k) => k.events > 0)) withKeyEvents++;
    }
    // The comparison means something only if keys were presented.
    expect(withKeyEvents).toBeGreaterThan(3);
  }, 120_000);
});
