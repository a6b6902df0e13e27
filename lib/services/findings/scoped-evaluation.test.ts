// Findings of the tokens a batch touched, evaluated without the rest of the estate: on both
// runtimes, over the demo estate (seed 42). The SQL scoped snapshot is the one lib/risk/scope.ts
// defines; a scoped run leaves every other token's findings alone and decides its own tokens
// exactly as a whole-estate run then does (which finds nothing left to change for them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeSnapshotToTokens, TOKEN_RULES } from '../../risk/index.ts';
import { seedDemo } from '../../seed/seed-demo.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { buildEstateSnapshot, evaluateFindings } from './index.ts';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const LATER = new Date(NOW.getTime() + 2 * 86_400_000);

interface FindingState {
  dedupeKey: string;
  tokenId: string | null;
  status: string;
  severity: string;
  blastRadius: number;
  evidence: unknown;
  title: string;
  lastSeenAt: string;
}

for (const runtime of RUNTIMES) {
  describe(`findings evaluated for some tokens only (${runtime})`, () => {
    let t: TestDatabase | undefined;
    let scope: string[] = [];
    const read = <T,>(sql: string, p?: unknown[]) => t!.db.query<T>(sql, p);
    const findings = async () =>
      read<FindingState>(
        `SELECT "dedupeKey", "tokenId"::text AS "tokenId", status, severity, "blastRadius", evidence, title,
                to_char("lastSeenAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS "lastSeenAt"
           FROM "Finding" ORDER BY "dedupeKey"`,
      );
    const riskOrders = async () => read<{ id: string; o: number; n: number }>(`SELECT id::text, "riskOrder"::float8 AS o, "riskFindings" AS n FROM "Token" ORDER BY id`);
    const inScope = (f: FindingState) => f.tokenId !== null && scope.includes(f.tokenId) && (TOKEN_RULES as readonly string[]).includes(f.dedupeKey.split(':')[0]!);

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      await seedDemo(t.db, { seed: 42, now: NOW });
      await evaluateFindings(t.db, { now: NOW, actor: 'test' });
      // Every 9th token, and every token with an active finding of a token rule among the first 400 tokens.
      const tokens = await read<{ id: string; f: boolean }>(
        `SELECT t.id::text, EXISTS (SELECT 1 FROM "Finding" f WHERE f."tokenId" = t.id AND f.status <> 'resolved') AS f FROM "Token" t ORDER BY t.id`,
      );
      scope = tokens.filter((x, i) => i % 9 === 0 || (i < 400 && x.f)).map((x) => x.id);
    }, 180_000);
    afterAll(async () => {
      await t?.drop();
    });

    it('reads from SQL the snapshot lib/risk/scope.ts defines for those tokens', async (ctx) => {
      if (!t) return ctx.skip();
      const whole = await buildEstateSnapshot(read, NOW);
      const scoped = await buildEstateSnapshot(read, NOW, undefined, { tokenIds: scope });
      expect(scoped.tokens.length).toBe(scope.length);
      expect(scoped.tokenUsage.length).toBeGreaterThan(50);
      expect(scoped).toEqual(scopeSnapshotToTokens(whole, scope));
    });

    it('changes only its tokens, and exactly as the whole-estate run that follows would', async (ctx) => {
      if (!t) return ctx.skip();
      // Two days on, and some of the scoped tokens revoked: findings resolve, radii move.
      const revoked = scope.filter((_, i) => i % 5 === 0);
      await read(`UPDATE "Token" SET status = 'revoked', "revokedAt" = $2::timestamptz WHERE id = ANY($1::uuid[])`, [revoked, new Date(NOW.getTime() + 3_600_000).toISOString()]);
      const before = await findings();
      const r = await evaluateFindings(t.db, { now: LATER, actor: 'test', scope: { tokenIds: scope } });
      expect(r.scopedTokens).toBe(scope.length);
      expect(r.resolved + r.updated + r.opened).toBeGreaterThan(0);
      const afterScoped = await findings();
      const ordersScoped = await riskOrders();
      // Nothing outside the scope moved.
      expect(afterScoped.filter((f) => !inScope(f))).toEqual(before.filter((f) => !inScope(f)));
      expect(afterScoped.filter(inScope)).not.toEqual(before.filter(inScope));

      await evaluateFindings(t.db, { now: LATER, actor: 'test' });
      const afterWhole = await findings();
      expect(afterWhole.filter(inScope)).toEqual(afterScoped.filter(inScope));
      const ordersWhole = new Map((await riskOrders()).map((x) => [x.id, x]));
      // Token risk order of the scoped tokens: the same after the whole-estate run (other tokens may
      // move with the findings of rules the scoped run does not decide).
      for (const id of scope) {
        const mine = ordersScoped.find((x) => x.id === id)!;
        const whole = ordersWhole.get(id)!;
        const onlyTokenRules = (await read<{ n: number }>(`SELECT count(*)::int AS n FROM "Finding" WHERE "tokenId" = $1::uuid AND status <> 'resolved' AND NOT (rule = ANY($2::text[]))`, [id, TOKEN_RULES]))[0]!.n === 0;
        if (onlyTokenRules) expect(mine).toEqual(whole);
      }
    }, 180_000);
  });
}
