// The enforcement what-if (lib/services/simulation) at the scale (PostgreSQL): a whole
// simulation over 30 days — unscoped (require mtls; require bound with a 1-hour TTL limit) and scoped
// to one gateway — against the plainest read of the same rows in the same run, `SELECT sum(count)`
// over the range's usage rows. Per policy: p50/p95 from the columns kept in memory (a running
// server), p95 with the newest hour written again before each run (live ingest), the cold figure
// (columns read from the database: a fresh server, every `holdfast simulate`), and the SQL
// statements alone (the reference), whose answer the columns' must equal.
//   BENCH_SIM_COLD_RUNS (3) BENCH_SIM_SQL_RUNS (2)
//
// The estate is the views bench's (bench/views.bench.ts generate(): tokens over tokens/100
// identities, hourly evidence."Usage" rows as the writer leaves them, dimensions by number, failures
// as notable rows), plus what a simulation must tell apart: stolen-token replays accepted by a
// gateway that does not enforce (bound_not_enforced x5t_mismatch, attacks) for 1 bound token in 25,
// bound tokens sent without their certificate (no_certificate) for 1 in 25, and bearer requests an
// enforcing gateway answered 401 for 1 bearer token in 50 (usage rows say bearer_unbound; their
// notable rows carry the status, so the simulation moves them to alreadyRefused).
//   BENCH_SIM_TOKENS (default 200,000; the scale: 1000000) BENCH_SIM_REQUESTS (100 per token)
//   BENCH_SIM_RUNS (7) timed runs per figure; BENCH_SIM_KEEP=1 keeps the database.
import { verdictCode } from '../lib/domain/verdict-codes.ts';
import { stampUsageHours } from '../lib/services/evidence/usage-versions.ts';
import { addSimulationCases } from '../lib/testing/simulation-cases.ts';
import { hourRange, runSimulation } from '../lib/services/simulation/index.ts';
import { dropUsageCache } from '../lib/services/simulation/usage-cache.ts';
import { parsePolicy } from '../lib/simulate/index.ts';
import { openTestDatabase, postgresAvailable } from '../lib/testing/databases.ts';
import { timeIt as timeRuns } from './timing.ts';
import type { BenchResult } from './types.ts';
import { generate } from './views.bench.ts';

const TOKENS = Number(process.env.BENCH_SIM_TOKENS ?? 200_000);
const REQUESTS = Number(process.env.BENCH_SIM_REQUESTS ?? TOKENS * 100);
const RUNS = Number(process.env.BENCH_SIM_RUNS ?? 7);
const COLD_RUNS = Number(process.env.BENCH_SIM_COLD_RUNS ?? 3);
const SQL_RUNS = Number(process.env.BENCH_SIM_SQL_RUNS ?? 2);
const DAY_MS = 86_400_000;

const timeIt = (fn: () => Promise<unknown>) => timeRuns(fn, RUNS, 1);

export async function run(): Promise<BenchResult[]> {
  if (!(await postgresAvailable())) {
    return [{ name: 'simulate', value: 0, unit: 'ms', baseline: { name: 'none', value: 0, unit: 'ms' }, ratio: 0, notes: 'skipped: PostgreSQL not reachable' }];
  }
  const t = await openTestDatabase('postgres');
  try {
    const g0 = performance.now();
    await generate(t.db, TOKENS, REQUESTS);
    const db = t.db;
    // The cases the views estate lacks (see the header), added as the writer would store them.
    await addSimulationCases(db, { replays: { mod: 25, below: 2 }, refusedBearerMod: 50, bearerStripe: 0 });
    await db.query('ANALYZE');
    const genS = ((performance.now() - g0) / 1000).toFixed(0);
    const to = new Date();
    const from = new Date(to.getTime() - 30 * DAY_MS);
    // The whole hours the simulation reads (from rounded down, to rounded up): the same usage rows.
    const hours = hourRange(from, to);
    const [rows] = await db.query<{ usage: number; requests: number }>(`SELECT count(*)::int AS usage, sum("count")::float8 AS requests FROM evidence."Usage" WHERE hour >= $1 AND hour < $2`, [hours.from, hours.to]);
    const scale = `N = ${TOKENS.toLocaleString('en-US')} tokens, ${rows!.requests.toLocaleString('en-US')} requests as ${rows!.usage.toLocaleString('en-US')} usage rows over 30 days (generated in ${genS} s)`;
    // The bearer requests a gateway refused that the simulation must move to alreadyRefused (their usage rows say bearer_unbound).
    const [{ refusedBearer }] = (await db.query<{ refusedBearer: number }>(
      `SELECT count(*)::float8 AS "refusedBearer" FROM evidence."Notable" WHERE verdict = ${verdictCode('bearer_unbound')} AND "httpStatus" = 401 AND "occurredAt" >= $1 AND "occurredAt" < $2`,
      [hours.from, hours.to],
    )) as [{ refusedBearer: number }];
    const baseline = await timeIt(() => db.query(`SELECT sum("count") FROM evidence."Usage" WHERE hour >= $1 AND hour < $2`, [hours.from, hours.to]));
    const out: BenchResult[] = [];
    // The newest hour, stamped as written again before each run of the "live" figure: what a
    // simulation pays while ingest keeps adding to the current hour (that hour is read again).
    const [{ newest }] = (await db.query<{ newest: Date }>(`SELECT max(hour) AS newest FROM evidence."Usage"`)) as [{ newest: Date }];
    const touchNewest = () => stampUsageHours(async (sql, params) => ({ rows: await db.query(sql, params) }), [newest.getTime()]);
    for (const [name, input] of [
      ['simulate require mtls', { require: 'mtls' }],
      ['simulate require bound, TTL <= 1 h', { require: 'bound', maxTtlSeconds: 3600 }],
      ['simulate require mtls on one gateway', { require: 'mtls', scope: { gateway: 'gw-3' } }],
    ] as const) {
      const policy = parsePolicy(input);
      const sim = (engine: 'columns' | 'sql') => runSimulation(db, { policy, range: { from, to } }, { engine });
      // Cold: the columns read from the database (a fresh server, or every `holdfast simulate`).
      const cold = await timeRuns(async () => {
        dropUsageCache(db);
        await sim('columns');
      }, COLD_RUNS, 0);
      const check = await sim('columns');
      const reference = await sim('sql');
      // Equal answers: every field, each ranked list as a set (rows that tie exactly may come in either order).
      const canon = (r: typeof check) => JSON.stringify({ ...r, tookMs: 0, ...Object.fromEntries((['tokens', 'identities', 'networks', 'routes'] as const).map((k) => [k, r[k].map((x) => JSON.stringify(x)).sort()])) });
      const same = canon(check) === canon(reference);
      const q = check.requests;
      const adds = q.total === q.wouldBeRefused + q.alreadyRefused + q.alreadyInvalid + q.unaffected + q.unknown + q.sameAttackOtherHops && (name.includes('gateway') || q.total === rows!.requests);
      const warm = await timeIt(() => sim('columns'));
      const live = await timeIt(async () => {
        await touchNewest();
        await sim('columns');
      });
      const sql = await timeRuns(() => sim('sql'), SQL_RUNS, 0);
      const notes = `${scale}. Attacks ${q.attacksStopped.toLocaleString('en-US')}, legitimate broken ${q.legitimateBroken.toLocaleString('en-US')}, already refused ${q.alreadyRefused.toLocaleString('en-US')} (the estate holds ${refusedBearer.toLocaleString('en-US')} bearer requests a gateway refused, which only their notable rows tell apart); categories ${adds ? 'add up to' : 'DO NOT ADD UP TO'} the usage rows' requests; the answer ${same ? 'equals' : 'DIFFERS FROM'} the SQL statements' answer.`;
      const row = (label: string, ours: number, target?: { text: string; pass: boolean }): BenchResult => ({
        name: `${name} ${label}`, value: Math.round(ours), unit: 'ms',
        baseline: { name: `sum(count) over the range p50`, value: Math.round(baseline.p50), unit: 'ms' },
        ratio: baseline.p50 / Math.max(ours, 0.01), ...(target ? { target: target.text, pass: target.pass } : {}), notes,
      });
      out.push(
        row('p50 (columns in memory)', warm.p50),
        row('p95 (columns in memory)', warm.p95, { text: '< 2000 ms at 1M tokens / 100M requests', pass: warm.p95 < 2000 && same }),
        row('p95 with the newest hour written since (live ingest)', live.p95, { text: '< 2000 ms at 1M tokens / 100M requests', pass: live.p95 < 2000 && same }),
        row('cold p50 (columns read from the database)', cold.p50),
        row('p50 (SQL statements, the reference)', sql.p50),
      );
    }
    return out;
  } finally {
    if (process.env.BENCH_SIM_KEEP === '1') process.stderr.write(`bench: kept ${t.url}\n`);
    else await t.drop();
  }
}
