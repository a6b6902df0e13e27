// End-to-end ingest benchmarks (BENCH_INGEST_LINES, default 100,000; the figure is
// 1,000,000). The log is bench/ingest-parse.bench.ts's generated NGINX JSON (1 line in 10 with a
// URL-encoded client certificate, 1 in 3 with a DPoP proof). Each ratio is against a baseline
// measured in the same run:
//   - parse + classify (binding verdict per event, no database) vs a bare readline + JSON.parse loop;
//   - full Holdfast ingest into PostgreSQL (one batch, one transaction) vs `psql \copy` of the
//     same normalised rows into the same table (same indexes);
//   - full Holdfast ingest vs `jq -c 'select(.ssl_client_verify != "SUCCESS")'` over the file;
//   - PGlite (embedded) ingest vs the PostgreSQL ingest;
//   - peak RSS of a PostgreSQL ingest at BENCH_INGEST_MEM_LINES (default 100,000) and 10× that,
//     each in a fresh process (streaming: must stay flat).
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decideVerdictNow, KeyCache, MemoryReplayStore } from '../lib/binding/index.ts';
import { ecKey, makeProof } from '../lib/binding/testing/proofs.ts';
import { openDatabase } from '../lib/db/open.ts';
import { migrateDatabase } from '../lib/db/migrations.ts';
import { openParseStream } from '../lib/ingest/index.ts';
import { ingestStream } from '../lib/services/ingest/pipeline.ts';
import { createPostgresTestDatabase, openTestDatabase, postgresAvailable } from '../lib/testing/databases.ts';
import { generate, parseBaseline } from './ingest-parse.bench.ts';
import type { BenchResult } from './types.ts';

const LINES = Number(process.env.BENCH_INGEST_LINES ?? 100_000);
// 100k → 1M: a 20k-line run ends before the heap reaches its steady size (measured 295 MiB at 20k,
// 448 at 200k, 467 at 400k), which read as growth when it was warm-up.
const MEM_LINES = Number(process.env.BENCH_INGEST_MEM_LINES ?? 100_000);
const MEM_FACTOR = Number(process.env.BENCH_INGEST_MEM_FACTOR ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Which parts to run (comma list of classify, pg, memory; default all). */
const PARTS = new Set((process.env.BENCH_INGEST_PARTS ?? 'classify,pg,memory').split(',').map((x) => x.trim()));
/** In-memory PGlite holds the whole database in the WASM heap: capped (default 200,000 lines). */
const PGLITE_LINES = Math.min(LINES, Number(process.env.BENCH_INGEST_PGLITE_LINES ?? 200_000));
const EVENT_COLUMNS = [
  'dedupeKey', 'batchId', 'sourceId', 'occurredAt', 'requestId', 'gateway', 'method', 'url', 'clientIp', 'httpStatus', 'authScheme', 'hasDpop',
  'identityId', 'tokenId', 'tokenFingerprint', 'x5tS256', 'sha1Hex', 'jkt', 'verdict', 'reason', 'redactedRaw',
].map((c) => `"${c}"`).join(', ');

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return [v, Number(process.hrtime.bigint() - t0) / 1e9];
}

/** Parse and decide a verdict for every event, as the pipeline does before writing. */
async function parseClassify(file: string): Promise<number> {
  const { batches } = await openParseStream(createReadStream(file, { highWaterMark: 256 * 1024 }), { format: 'nginx-json' });
  const deps = { replayStore: new MemoryReplayStore({ maxEntries: 1_000_000 }), keyCache: new KeyCache() };
  let n = 0;
  for await (const batch of batches) for (const { result } of batch) {
    if (result.kind !== 'event') continue;
    const v = decideVerdictNow(result.event, null, deps); // as the pipeline: awaited only when it is a promise
    if (v instanceof Promise) await v;
    result.event.dpopProof = null;
    n++;
  }
  return n;
}

/** Best of ROUNDS interleaved rounds: parse + classify vs the bare JSON.parse loop, lines/s. */
async function classifyVsBaseline(file: string): Promise<{ pc: number; base: number }> {
  let pc = 0;
  let base = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const [b, tb] = await timed(() => parseBaseline(file));
    const [n, tn] = await timed(() => parseClassify(file));
    if (n !== LINES || b !== LINES) throw new Error(`count mismatch: classify ${n}, baseline ${b}`);
    pc = Math.max(pc, n / tn);
    base = Math.max(base, b / tb);
  }
  return { pc, base };
}

function jqFilter(file: string): number {
  const r = spawnSync('sh', ['-c', `jq -c 'select(.ssl_client_verify != "SUCCESS")' "${file}" > /dev/null`], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`jq failed: ${r.stderr?.toString().slice(0, 200)}`);
  return LINES;
}

/** Peak RSS of a whole PostgreSQL ingest of `file`, in a fresh process. */
function childPeak(file: string, url: string): Promise<{ accepted: number; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, INGEST_E2E_CHILD: file, INGEST_E2E_URL: url },
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once('message', (m: unknown) => resolve(m as { accepted: number; peakRssMb: number }));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`memory child exited with ${code}`));
    });
  });
}

if (process.env.INGEST_E2E_CHILD && process.send) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const db = await openDatabase({ kind: 'postgres', url: process.env.INGEST_E2E_URL!, poolSize: 2 });
  const s = await ingestStream(db, createReadStream(process.env.INGEST_E2E_CHILD), { format: 'nginx-json', sourceName: 'bench-mem', actor: 'bench' });
  await db.close();
  clearInterval(timer);
  // VmHWM is this process's own high-water mark; getrusage's maxRSS is not (Linux carries the
  // parent's peak across fork + exec).
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  peak = Math.max(peak, process.memoryUsage().rss, hwm ? Number(hwm) * 1024 : 0);
  process.send({ accepted: s.accepted, peakRssMb: peak / 1024 / 1024 }, () => process.exit(0));
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-bench-ingest-e2e-'));
  const results: BenchResult[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const file = join(dir, 'access.json');
    const bytes = await generate(file, LINES);
    const size = `${LINES.toLocaleString('en-US')} lines, ${(bytes / 1024 / 1024).toFixed(0)} MiB`;

    // 1. parse + classify vs JSON.parse
    if (PARTS.has('classify')) {
      await parseBaseline(file);
      await parseClassify(file);
      const { pc, base } = await classifyVsBaseline(file);
      results.push({
        name: 'ingest parse+classify nginx-json lines/s',
        value: pc,
        unit: 'lines/s',
        baseline: { name: 'readline + JSON.parse', value: base, unit: 'lines/s' },
        ratio: pc / base,
        target: '≥ 0.5× baseline',
        pass: pc / base >= 0.5,
        notes: `${size}; classify = the pipeline's verdict per event (decideVerdictNow) (DPoP proofs verified as of the event time, jti replay tracked); best of ${ROUNDS}`,
      });
    }

    // 1b. the same with every DPoP proof really signed (ES256, 64 client keys, unique jti):
    // each one is a signature verification, which no cache can skip.
    if (PARTS.has('classify')) {
      const keys = Array.from({ length: 64 }, () => ecKey());
      const signed = join(dir, 'access-signed.json');
      await generate(signed, LINES, (i, htm, htu, iat) => makeProof(keys[i % keys.length]!, { htm, htu, iat, jti: `j-${i}` }));
      const { pc, base } = await classifyVsBaseline(signed);
      rmSync(signed);
      results.push({
        name: 'ingest parse+classify, every DPoP proof signed',
        value: pc,
        unit: 'lines/s',
        baseline: { name: 'readline + JSON.parse', value: base, unit: 'lines/s' },
        ratio: pc / base,
        notes: `${LINES.toLocaleString('en-US')} lines, 1 in 3 with a real ES256 proof (64 keys, unique jti, htm/htu/iat of the request): one signature verification per proof; informational (the target row above uses a malformed proof on those lines); best of ${ROUNDS}`,
      });
    }

    // 3 (baseline first, warm cache). jq's filter alone
    let tJq = 1;
    if (PARTS.has('pg')) {
      jqFilter(file);
      [, tJq] = await timed(async () => jqFilter(file));
    }
    const jqRate = LINES / tJq;

    if (!(await postgresAvailable())) {
      results.push({ name: 'ingest end-to-end PostgreSQL events/s', value: 0, unit: 'events/s', baseline: { name: 'psql \\copy', value: 0, unit: 'rows/s' }, ratio: 0, notes: 'skipped: no PostgreSQL at 127.0.0.1:5432' });
    } else {
      if (PARTS.has('pg')) {
      // 2. Holdfast → PostgreSQL vs psql \copy of the same rows
      const pg = await createPostgresTestDatabase();
      cleanups.push(() => pg.drop());
      const db = await openDatabase({ kind: 'postgres', url: pg.url, poolSize: 2 });
      try {
        await migrateDatabase(db);
        const [s, tIngest] = await timed(() => ingestStream(db, createReadStream(file, { highWaterMark: 256 * 1024 }), { format: 'nginx-json', sourceName: 'bench', actor: 'bench' }));
        if (s.accepted !== LINES) throw new Error(`ingest accepted ${s.accepted} of ${LINES}`);
        const pgRate = LINES / tIngest;
        const rows = join(dir, 'rows.tsv');
        execFileSync('psql', [pg.url, '-qc', `\\copy (SELECT ${EVENT_COLUMNS} FROM "BindingEvent") TO '${rows}'`]);
        await db.query(`TRUNCATE "BindingEvent"`);
        await db.query(`VACUUM ANALYZE "BindingEvent"`).catch(() => {});
        const [, tCopy] = await timed(async () => execFileSync('psql', [pg.url, '-qc', `\\copy "BindingEvent" (${EVENT_COLUMNS}) FROM '${rows}'`]));
        const copyRate = LINES / tCopy;
        results.push({
          name: 'ingest end-to-end PostgreSQL events/s',
          value: pgRate,
          unit: 'events/s',
          baseline: { name: 'psql \\copy of the same normalised rows', value: copyRate, unit: 'rows/s' },
          ratio: pgRate / copyRate,
          target: '≥ 0.3× baseline and ≥ 100,000 events/s',
          pass: pgRate / copyRate >= 0.3 && pgRate >= 100_000,
          notes: `${size}; one batch, one transaction: parse, verdicts, identities/certificates upserted, stored keys looked up, new events COPYed straight into the table (staging + ON CONFLICT only when a concurrent batch races); \\copy writes straight into the same table and indexes`,
        });
        results.push({
          name: 'ingest full Holdfast (PostgreSQL) vs jq filter',
          value: pgRate,
          unit: 'lines/s',
          baseline: { name: `jq -c 'select(.ssl_client_verify != "SUCCESS")'`, value: jqRate, unit: 'lines/s' },
          ratio: pgRate / jqRate,
          target: '≥ 1× (faster than the filter alone)',
          pass: pgRate >= jqRate,
          notes: `${size}; jq only filters and prints; Holdfast parses, decides verdicts and commits to PostgreSQL`,
        });

        // 4. PGlite
        const lite = await openTestDatabase('pglite');
        try {
          let liteFile = file;
          if (PGLITE_LINES !== LINES) {
            liteFile = join(dir, 'access-pglite.json');
            await generate(liteFile, PGLITE_LINES);
          }
          const [ls, tLite] = await timed(() => ingestStream(lite.db, createReadStream(liteFile, { highWaterMark: 256 * 1024 }), { format: 'nginx-json', sourceName: 'bench', actor: 'bench' }));
          if (ls.accepted !== PGLITE_LINES) throw new Error(`PGlite ingest accepted ${ls.accepted}`);
          results.push({
            name: 'ingest end-to-end PGlite events/s',
            value: PGLITE_LINES / tLite,
            unit: 'events/s',
            baseline: { name: 'same ingest into PostgreSQL', value: pgRate, unit: 'events/s' },
            ratio: PGLITE_LINES / tLite / pgRate,
            notes: `${PGLITE_LINES.toLocaleString('en-US')} lines (BENCH_INGEST_PGLITE_LINES); in-memory PGlite in the same process (multi-row INSERT … SELECT FROM unnest)`,
          });
        } finally {
          await lite.drop();
        }
      } finally {
        await db.close();
      }
      }

      // 5. memory at MEM_LINES and MEM_FACTOR × MEM_LINES
      rmSync(file);
      if (PARTS.has('memory')) {
      const peaks: number[] = [];
      for (const n of [MEM_LINES, MEM_LINES * MEM_FACTOR]) {
        const f = join(dir, `mem-${n}.json`);
        await generate(f, n);
        const mdb = await createPostgresTestDatabase();
        cleanups.push(() => mdb.drop());
        const m = await openDatabase({ kind: 'postgres', url: mdb.url, poolSize: 1 });
        await migrateDatabase(m);
        await m.close();
        const p = await childPeak(f, mdb.url);
        if (p.accepted !== n) throw new Error(`memory child accepted ${p.accepted} of ${n}`);
        peaks.push(p.peakRssMb);
        rmSync(f);
      }
      results.push({
        name: `ingest end-to-end peak RSS at ${MEM_FACTOR}× lines`,
        value: peaks[1]!,
        unit: 'MiB',
        baseline: { name: `peak RSS at ${MEM_LINES.toLocaleString('en-US')} lines`, value: peaks[0]!, unit: 'MiB' },
        ratio: peaks[1]! / peaks[0]!,
        target: '≤ 1.5× (flat: streaming)',
        pass: peaks[1]! / peaks[0]! <= 1.5,
        notes: `PostgreSQL ingest of ${MEM_LINES.toLocaleString('en-US')} and ${(MEM_LINES * MEM_FACTOR).toLocaleString('en-US')} lines, each in a fresh process`,
      });
      }
    }
    return results;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
