import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { frameworkOverview, unresolvedFindingsAt } from './overview.ts';
import { insertFindings } from './testing/seeded-demo.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
const days = (n: number) => new Date(NOW.getTime() - n * 86_400_000);

function finding(key: string, rule: string, firstSeen: Date) {
  return { dedupeKey: key, rule, severity: 'high', identityId: null, tokenId: null, certificateId: null, title: key, explanation: '-', recommendation: '-', observedAt: firstSeen };
}

for (const runtime of RUNTIMES) {
  describe(`per-control trend on ${runtime}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      await insertFindings(t.db, [
        finding('old-resolved', 'exposed_active', days(20)), // resolved 3 days ago: counted a week ago only
        finding('old-open', 'exposed_active', days(10)), // open throughout: counted both times
        finding('new-open', 'exposed_active', days(1)), // new this week: counted now only
        finding('other-rule', 'fan_out', days(2)),
      ]);
      await t.db.query(`UPDATE "Finding" SET status = 'resolved', "resolvedAt" = $1 WHERE "dedupeKey" = 'old-resolved'`, [days(3)]);
    });
    afterAll(async () => t?.drop());

    it('counts a finding as unresolved from its first sighting until its resolution', async (ctx) => {
      if (!t) ctx.skip();
      const m = await unresolvedFindingsAt(t.db, NOW, days(7));
      expect(m.get('exposed_active')).toEqual({ previous: 2, current: 2 });
      expect(m.get('fan_out')).toEqual({ previous: 0, current: 1 });
    });

    it("reports each control's trend over the rules mapped to it", async (ctx) => {
      if (!t) ctx.skip();
      const o = await frameworkOverview(t.db, 'owasp-nhi-2025', { to: NOW }, { now: NOW });
      // NHI2:2025 Secret Leakage is where exposed_active lands.
      const nhi2 = o.controls.find((c) => c.id === 'NHI2:2025')!;
      expect(nhi2.trend).toMatchObject({ previous: 2, current: 2, delta: 0, since: days(7).toISOString() });
      const fourteen = await frameworkOverview(t.db, 'owasp-nhi-2025', { to: NOW }, { now: NOW, trendDays: 14 });
      expect(fourteen.controls.find((c) => c.id === 'NHI2:2025')!.trend).toMatchObject({ previous: 1, current: 2, delta: 1 });
    });
  });
}
