// The simulation from the usage columns in memory against the SQL statements (the reference), on
// both runtimes: the demo estate plus what a simulation must tell apart (stolen-token replays a
// gateway accepted, bound tokens sent without their certificate, bearer requests an enforcing
// gateway refused that only their notable rows show), under every kind of scope and a small row
// limit; then the columns kept current while the evidence changes under a warm cache — an ingest
// batch through the pipeline, a token whose binding changes, a writer that had not committed when
// the cache read, hours retention dropped — each answer again equal to the statements'.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdictCode } from '../../domain/verdict-codes.ts';
import { seedDemo } from '../../seed/seed-demo.ts';
import { parsePolicy, type PolicyInput } from '../../simulate/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { addSimulationCases } from '../../testing/simulation-cases.ts';
import { comparable, expectColumnsEqualSql } from '../../testing/simulation-engines.ts';
import { stampUsageHours } from '../evidence/usage-versions.ts';
import { nginxJsonLine } from '../ingest/testing/generate.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { preloadUsageColumns, runSimulation } from './index.ts';
import { dropUsageCache, usageCacheOf } from './usage-cache.ts';

const IN_CI = process.env.CI === 'true';
const NOW = new Date(Date.UTC(2026, 10, 30, 12, 0, 0));
const range = { from: new Date(NOW.getTime() - 30 * 86_400_000), to: new Date(NOW.getTime() + 3_600_000) };

/** Policies over every kind of scope the estate can answer, read from it. */
async function policies(t: TestDatabase): Promise<PolicyInput[]> {
  const [gw] = await t.db.query<{ value: string }>(`SELECT d.value FROM evidence."Usage" u JOIN evidence."Dim" d ON d.id = u.gateway GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const [route] = await t.db.query<{ value: string }>(`SELECT d.value FROM evidence."Usage" u JOIN evidence."Dim" d ON d.id = u.route GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const [idn] = await t.db.query<{ kind: string; name: string }>(`SELECT i.kind, i.name FROM evidence."Usage" u JOIN "Identity" i ON i.id = u."identityId" GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1`);
  const [aud] = await t.db.query<{ a: string }>(`SELECT a FROM "Token", unnest(audience) a GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const [source] = await t.db.query<{ name: string }>(`SELECT name FROM "Source" ORDER BY name LIMIT 1`);
  // A route `host /path…` as a policy's `host/first-segment` prefix.
  const [host, path] = route!.value.split(' ');
  const routePrefix = `${host}/${(path ?? '/').split('/')[1] ?? ''}`;
  return [
    { require: 'mtls' },
    { require: 'dpop' },
    { require: 'bound', maxTtlSeconds: 3600 },
    { require: 'mtls', scope: { gateway: gw!.value } },
    { require: 'bound', scope: { source: source!.name } },
    { require: 'mtls', scope: { routePrefix } },
    { require: 'dpop', scope: { identity: { kind: idn!.kind as never } } },
    { require: 'bound', scope: { identity: { nameGlob: `${idn!.name.slice(0, 3)}*` } } },
    { require: 'mtls', maxTtlSeconds: 600, scope: { identity: { privileged: true } } },
    { require: 'bound', scope: { identity: { privileged: false }, audience: aud!.a } },
  ];
}

for (const runtime of RUNTIMES) {
  describe(`simulation from the usage columns equals the SQL statements (${runtime})`, () => {
    let t: TestDatabase | undefined;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      t = await openTestDatabase(runtime);
      await seedDemo(t.db, { seed: 42, now: NOW });
      await addSimulationCases(t.db, { replays: { mod: 5, below: 2 }, refusedBearerMod: 4, bearerStripe: null });
      await t.db.query(`UPDATE "Token" SET "ttlSeconds" = 7200 WHERE abs(hashtext(id::text)) % 3 = 0`);
    }, 120_000);
    afterAll(async () => t?.drop());

    it('every policy, every scope, the whole ranking and a limit of 3 rows', async (ctx) => {
      if (!t) return ctx.skip();
      const list = await policies(t);
      let refused = 0;
      // Every policy with 3 rows a dimension (the ranking's boundary, where ties are decided); the
      // unscoped ones with the default 50 too.
      // PGlite reads the columns by the same code but for how rows arrive: the scopes once on PostgreSQL.
      for (const [i, input] of (runtime === 'pglite' ? list.slice(0, 4) : list).entries()) {
        for (const limit of i < 3 ? [undefined, 3] : [3]) {
          const r = await expectColumnsEqualSql(t.db, { policy: parsePolicy(input), range, limit });
          refused += r.requests.wouldBeRefused;
          if (limit === 3) expect(r.tokens.length).toBeLessThanOrEqual(3);
        }
      }
      // Not a comparison of two empty answers.
      const all = await runSimulation(t.db, { policy: parsePolicy({ require: 'mtls' }), range });
      expect(all.requests.total).toBeGreaterThan(1000);
      expect(all.requests.attacksStopped).toBeGreaterThan(0);
      expect(all.requests.alreadyRefused).toBeGreaterThan(0);
      expect(all.brokenBy.bound_without_proof).toBeGreaterThan(0);
      expect(all.counts.tokens).toBeGreaterThan(3);
      expect(refused).toBeGreaterThan(0);
    }, 120_000);

    it('a warm cache follows an ingest batch, a token whose binding changes, and hours retention dropped', async (ctx) => {
      if (!t) return ctx.skip();
      const db = t.db;
      const policy = parsePolicy({ require: 'mtls' });
      const before = await expectColumnsEqualSql(db, { policy, range });

      // An ingest batch through the pipeline, in hours the cache holds.
      const base = NOW.getTime() - 2 * 86_400_000;
      const lines = Array.from({ length: 300 }, (_, i) => nginxJsonLine(i, base)).join('\n') + '\n';
      expect(await ingestStream(db, [lines], { format: 'nginx-json', sourceName: 'late-edge', actor: 'test' })).toMatchObject({ accepted: 300 });
      const afterIngest = await expectColumnsEqualSql(db, { policy, range });
      expect(afterIngest.requests.total).toBe(before.requests.total + 300);

      // A bound token the inventory now says is bearer: its requests break under mtls.
      const [tok] = await db.query<{ id: string }>(
        `SELECT u."tokenId"::text AS id FROM evidence."Usage" u JOIN "Token" t ON t.id = u."tokenId" WHERE t.binding = 'mtls' AND u.verdict = ${verdictCode('ok')} AND u.hour >= $1 GROUP BY 1 ORDER BY sum(u.count) DESC LIMIT 1`,
        [range.from],
      );
      await db.query(`UPDATE "Token" SET binding = 'bearer' WHERE id = $1::uuid`, [tok!.id]);
      const afterBinding = await expectColumnsEqualSql(db, { policy, range });
      expect(afterBinding.brokenBy.bearer).toBeGreaterThan(afterIngest.brokenBy.bearer);

      // Retention drops an hour's rows and forgets its stamps (partitions.ts does both for a month).
      const [hour] = await db.query<{ hour: Date }>(`SELECT hour FROM evidence."Usage" WHERE hour >= $1 GROUP BY 1 ORDER BY sum(count) DESC LIMIT 1`, [range.from]);
      await db.query(`DELETE FROM evidence."Usage" WHERE hour = $1`, [hour!.hour]);
      await db.query(`DELETE FROM evidence."UsageVersion" WHERE hour = $1`, [hour!.hour]);
      const afterDrop = await expectColumnsEqualSql(db, { policy, range });
      expect(afterDrop.requests.total).toBeLessThan(afterBinding.requests.total);
    }, 120_000);

    it("a server's first simulation is answered by the statements while the columns are read for the next", async (ctx) => {
      if (!t) return ctx.skip();
      const policy = parsePolicy({ require: 'bound', maxTtlSeconds: 3600 });
      dropUsageCache(t.db);
      const first = await runSimulation(t.db, { policy, range });
      await usageCacheOf(t.db).exclusive(async () => {}); // the background read has finished
      expect(usageCacheOf(t.db).hasRead()).toBe(true);
      const second = await runSimulation(t.db, { policy, range });
      expect(comparable(second)).toEqual(comparable(first));
      expect(comparable(second)).toEqual(comparable(await runSimulation(t.db, { policy, range }, { engine: 'sql' })));
    }, 60_000);

    it("a preloaded server answers its first simulation from the columns; without the preload, by the statements", async (ctx) => {
      if (!t) return ctx.skip();
      const policy = parsePolicy({ require: 'mtls' });
      const engines: string[] = [];
      const onEngine = (e: string) => engines.push(e);
      dropUsageCache(t.db);
      const loaded = await preloadUsageColumns(t.db, { days: 31, now: range.to });
      expect(loaded.rows).toBeGreaterThan(0);
      const first = await runSimulation(t.db, { policy, range }, { onEngine });
      dropUsageCache(t.db);
      const cold = await runSimulation(t.db, { policy, range }, { onEngine });
      expect(engines).toEqual(['columns', 'sql']);
      expect(comparable(first)).toEqual(comparable(cold));
      // A preload over more rows than the cache may keep fails (simulations then answer by SQL).
      dropUsageCache(t.db);
      await expect(preloadUsageColumns(t.db, { days: 31, now: range.to, maxCachedRows: 10 })).rejects.toThrow(/more than 10 usage rows/);
      await usageCacheOf(t.db).exclusive(async () => {});
    }, 60_000);

    it('a range larger than the cache may hold is answered by the statements', async (ctx) => {
      if (!t) return ctx.skip();
      const policy = parsePolicy({ require: 'bound' });
      const small = await runSimulation(t.db, { policy, range }, { engine: 'columns', maxCachedRows: 10 });
      const sql = await runSimulation(t.db, { policy, range }, { engine: 'sql' });
      expect(comparable(small)).toEqual(comparable(sql));
    }, 60_000);

    if (runtime === 'postgres') {
      it('usage a batch had not committed when the cache read is read once it commits', async (ctx) => {
        if (!t?.db.pool) return ctx.skip();
        const db = t.db;
        const policy = parsePolicy({ require: 'dpop' });
        await expectColumnsEqualSql(db, { policy, range });
        const writer = await db.pool!.connect();
        try {
          await writer.query('BEGIN');
          const { rows } = await writer.query<{ hour: Date }>(
            `INSERT INTO evidence."Usage" ("hour", "firstAt", "lastAt", "count", "ns", "gateway", "route", "network", "cert", "jkt", "reason", "verdict", "stripe", "tokenId", "identityId", "aggKey", "exemplar")
             SELECT u.hour, u."firstAt", u."lastAt", 1000, u.ns, u.gateway, u.route, u.network, u.cert, u.jkt, u.reason, u.verdict, 7, u."tokenId", u."identityId",
                    substring(sha256(u."aggKey" || '\\x07'::bytea) from 1 for 16), u.exemplar
               FROM evidence."Usage" u WHERE u.hour >= $1 AND u."tokenId" IS NOT NULL ORDER BY u.hour DESC LIMIT 1 RETURNING hour`,
            [range.from],
          );
          await stampUsageHours(async (sql, params) => writer.query(sql, params), [rows[0]!.hour.getTime()]);
          // The cache reads while the batch is open: without it.
          const during = await expectColumnsEqualSql(db, { policy, range });
          await writer.query('COMMIT');
          const after = await expectColumnsEqualSql(db, { policy, range });
          expect(after.requests.total).toBe(during.requests.total + 1000);
        } finally {
          writer.release();
        }
        // The hour was read again because of its stamp, not because the cache was dropped.
        expect(usageCacheOf(db).hours.size).toBeGreaterThan(1);
      }, 60_000);
    }
  });
}
