// Where a simulation's time goes, statement by statement, on a database kept by the simulate bench
// (`BENCH_SIM_TOKENS=1000000 BENCH_SIM_KEEP=1 npm run bench -- simulate.bench` prints its URL):
//   npx tsx bench/simulate-profile.ts postgresql://…/holdfast_test_… [policy JSON] [--explain] [--to ISO]
// Prints each statement's wall time (with --explain, its EXPLAIN (ANALYZE, BUFFERS) too) and a
// SHA-256 of the answer without tookMs, so two versions of the service can be compared on one
// fixed range (--to; from is 30 days before). Not a *.bench.ts: `npm run bench` does not run it.
import { createHash } from 'node:crypto';
import { openDatabase, type Database } from '../lib/db/open.ts';
import { runSimulation } from '../lib/services/simulation/index.ts';
import { parsePolicy } from '../lib/simulate/index.ts';

const args = process.argv.slice(2);
const url = args.find((a) => a.startsWith('postgres'));
if (!url) {
  process.stderr.write('usage: npx tsx bench/simulate-profile.ts POSTGRES_URL [policy JSON] [--explain] [--to ISO]\n');
  process.exit(2);
}
const policyArg = args.find((a) => a.startsWith('{')) ?? '{"require":"mtls"}';
const explain = args.includes('--explain');
const toArg = args[args.indexOf('--to') + 1];
const to = args.includes('--to') && toArg ? new Date(toArg) : new Date();
const from = new Date(to.getTime() - 30 * 86_400_000);

const db0 = await openDatabase({ kind: 'postgres', url });
const client = await db0.pool!.connect();
try {
  // The settings runSimulation gives its snapshot (inReadSnapshot), on this one session.
  await client.query(`SET work_mem = '256MB'`);
  await client.query('SET jit = off');
  // Reported as PGlite so the service sends every statement through query() (no pooled
  // transaction of its own) and each can be timed here.
  const db: Database = {
    ...db0,
    kind: 'pglite',
    pool: undefined,
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      if (explain) {
        const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
        process.stdout.write(`${plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')}\n`);
      }
      const t0 = performance.now();
      const rows = (await client.query(sql, params)).rows as T[];
      process.stdout.write(`${(performance.now() - t0).toFixed(0).padStart(7)} ms  ${sql.replace(/\s+/g, ' ').slice(0, 90)}\n`);
      return rows;
    },
  };
  const t0 = performance.now();
  const r = await runSimulation(db, { policy: parsePolicy(JSON.parse(policyArg)), range: { from, to } });
  const digest = createHash('sha256').update(JSON.stringify({ ...r, tookMs: 0 })).digest('hex').slice(0, 16);
  process.stdout.write(`${(performance.now() - t0).toFixed(0).padStart(7)} ms  in all; answer ${digest}; ${JSON.stringify(r.requests)}\n`);
} finally {
  client.release();
  await db0.close();
}
