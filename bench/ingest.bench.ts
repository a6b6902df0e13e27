// End-to-end ingest into the evidence store (issue #15). Each figure is a ratio against a baseline
// measured in the same run, on the same machine:
//   - realistic: BENCH_INGEST_LINES (default 1,000,000) lines of a production-shaped NGINX mTLS log
//     (lib/testing/mtls-traffic.ts: the Ingest page's recommended log_format, every line with its
//     URL-escaped client certificate, a 2,000-workload fleet, 95 % ok / 5 % certificate failures),
//     ingested into PostgreSQL as one batch, vs `psql \copy` of the same ledger rows into the same
//     table (what PostgreSQL alone can take) and vs `jq -c 'select(.ssl_client_verify != "SUCCESS")'`;
//   - adversarial: bench/ingest-parse.bench.ts's log (about half failures, a DPoP proof on 1 line in 3,
//     a different client address on every line), BENCH_INGEST_ADVERSARIAL_LINES (default 200,000);
//   - PGlite: BENCH_INGEST_PGLITE_LINES (default 200,000) realistic lines, vs the PostgreSQL rate;
//   - storage: database growth per request inside the dedupe window, per ok request after the window
//     (the clock moved past it, ledger partitions dropped by the same maintenance the server runs),
//     and per failure (notable requests), each vs the raw log's bytes per line;
//   - memory: peak RSS of a PostgreSQL ingest of BENCH_INGEST_MEM_LINES (default 100,000) and
//     BENCH_INGEST_MEM_FACTOR × that (default 10), each streamed from the generator in a fresh process,
//     and the larger one again with V8's heap capped at BENCH_INGEST_HEAP_CAP_MB (default 256):
//     uncapped, V8 lets its heap grow lazily in a longer run; capped, only real growth can fail.
//   - parse + classify (no database) vs a bare readline + JSON.parse loop, as before;
//   - batches: BENCH_INGEST_BATCHED_LINES (default 200,000) realistic lines shipped as a gateway's
//     shipper sends them, BENCH_INGEST_BATCH_LINES (default 2,000) a batch: hourly usage bytes per
//     request with the aggregate partitions as made (fill factor 70, lib/services/evidence/partitions.ts)
//     vs the same partitions set back to full pages (fill factor 100).
// The PostgreSQL run also notes the CPU time per event of this process vs the database backends (from
// /proc; omitted when PostgreSQL runs elsewhere): which side of the pipeline is the bottleneck.
// BENCH_INGEST_PARTS picks parts (comma list of classify, pg, adversarial, pglite, memory, batches; default all).
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decideVerdictNow, KeyCache, MemoryReplayStore } from '../lib/binding/index.ts';
import { ecKey, makeProof } from '../lib/binding/testing/proofs.ts';
import { openDatabase, type Database } from '../lib/db/open.ts';
import { migrateDatabase } from '../lib/db/migrations.ts';
import { openParseStream } from '../lib/ingest/index.ts';
import { maintainEvidence } from '../lib/services/evidence/maintenance.ts';
import { DEFAULT_RETENTION } from '../lib/services/evidence/partitions.ts';
import { ingestStream } from '../lib/services/ingest/pipeline.ts';
import { createPostgresTestDatabase, openTestDatabase, postgresAvailable } from '../lib/testing/databases.ts';
import { mtlsTraffic, type MtlsTraffic } from '../lib/testing/mtls-traffic.ts';
import { generate, parseBaseline } from './ingest-parse.bench.ts';
import type { BenchResult } from './types.ts';

const LINES = Number(process.env.BENCH_INGEST_LINES ?? 1_000_000);
const ADVERSARIAL_LINES = Number(process.env.BENCH_INGEST_ADVERSARIAL_LINES ?? 200_000);
const PGLITE_LINES = Number(process.env.BENCH_INGEST_PGLITE_LINES ?? 200_000);
const CLASSIFY_LINES = Number(process.env.BENCH_INGEST_CLASSIFY_LINES ?? 100_000);
// 100k → 1M: a 20k-line run ends before the heap reaches its steady size, which read as growth when
// it was warm-up.
const MEM_LINES = Number(process.env.BENCH_INGEST_MEM_LINES ?? 100_000);
const MEM_FACTOR = Number(process.env.BENCH_INGEST_MEM_FACTOR ?? 10);
/** V8 old-space cap of the capped memory run, MiB. */
const HEAP_CAP_MB = Number(process.env.BENCH_INGEST_HEAP_CAP_MB ?? 256);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * Requests per second the generated traffic's timestamps follow: the issue's fleet of gateways at
 * 10,000 requests/s. Storage after the window depends on it (usage rows are per hour): the same log
 * at 140 requests/s (one small gateway) kept 73 B per ok request after the window (68 B of it hourly usage); at 10,000 it is
 * the figure this bench prints.
 */
const RATE = Number(process.env.BENCH_INGEST_RATE ?? 10_000);
const BATCHED_LINES = Number(process.env.BENCH_INGEST_BATCHED_LINES ?? 200_000);
const BATCH_LINES = Number(process.env.BENCH_INGEST_BATCH_LINES ?? 2_000);
const PARTS = new Set((process.env.BENCH_INGEST_PARTS ?? 'classify,pg,adversarial,pglite,memory,batches').split(',').map((x) => x.trim()));
/** The ingest clock: two hours after the generated traffic ends (it starts 2026-12-04 08:00 UTC). */
const NOW = new Date(Date.UTC(2026, 11, 4, 8) + Math.ceil(Math.max(LINES, MEM_LINES * MEM_FACTOR) / RATE / 3600 + 2) * 3_600_000);
const now = () => NOW;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return [v, Number(process.hrtime.bigint() - t0) / 1e9];
}

async function writeTraffic(file: string, traffic: MtlsTraffic, n: number): Promise<number> {
  const out = createWriteStream(file);
  for await (const chunk of traffic.stream(n)) if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return statSync(file).size;
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
async function classifyVsBaseline(file: string, lines: number): Promise<{ pc: number; base: number }> {
  let pc = 0;
  let base = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const [b, tb] = await timed(() => parseBaseline(file));
    const [n, tn] = await timed(() => parseClassify(file));
    if (n !== lines || b !== lines) throw new Error(`count mismatch: classify ${n}, baseline ${b}`);
    pc = Math.max(pc, n / tn);
    base = Math.max(base, b / tb);
  }
  return { pc, base };
}

/** jq's filter alone over the file, lines/s (second run: warm page cache, as for the ingest). */
function jqRate(file: string, lines: number): number {
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('sh', ['-c', `jq -c 'select(.ssl_client_verify != "SUCCESS")' "${file}" > /dev/null`], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`jq failed: ${r.stderr?.toString().slice(0, 200)}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  once();
  return lines / once();
}

/**
 * CPU seconds (user + system) the PostgreSQL backends of `db`'s database have used so far, by pid;
 * null when their /proc entries cannot be read (a server on another host or in a container).
 */
async function backendCpu(db: Database, known = new Map<number, number>()): Promise<Map<number, number> | null> {
  const rows = await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  const out = new Map(known);
  for (const { pid } of rows) {
    const cpu = statCpu(`/proc/${pid}/stat`);
    if (cpu === null) return null;
    out.set(pid, cpu);
  }
  return out;
}

let clockTicks: number | undefined;

/** User + system CPU seconds in a /proc stat file, or null when it cannot be read. */
function statCpu(file: string): number | null {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
    // After the command name come fields 3 on (proc(5)): utime is field 14, stime field 15.
    const f = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / clockTicks;
  } catch {
    return null;
  }
}

/** CPU seconds of this process's main thread (its task's stat carries the process's pid), or null. */
const mainThreadCpu = (): number | null => statCpu(`/proc/self/task/${process.pid}/stat`);

/**
 * Where an ingest's time goes: this process's CPU (the pipeline's JavaScript thread plus libuv and
 * GC helpers; the main thread's alone in brackets) vs the PostgreSQL backends', each in µs per
 * event, over the same wall time.
 */
async function cpuSplit<T>(db: Database, lines: number, fn: () => Promise<T>): Promise<[T, string]> {
  const before = await backendCpu(db);
  const m0 = mainThreadCpu();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const v = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const m1 = mainThreadCpu();
  const main = m0 !== null && m1 !== null ? m1 - m0 : null;
  const after = before && (await backendCpu(db, before));
  const node = (c.user + c.system) / 1e6;
  // A backend the pool opened during the ingest counts from 0.
  const pg = after ? [...after].reduce((sum, [pid, s]) => sum + s - (before!.get(pid) ?? 0), 0) : null;
  const us = (sec: number) => `${Math.round((sec * 1e6) / lines)} µs/event`;
  return [v, `CPU over ${wall.toFixed(1)} s wall: node ${node.toFixed(1)} s (${us(node)}${main === null ? '' : `; main thread ${main.toFixed(1)} s, ${us(main)}`})${pg === null ? '' : `, PostgreSQL backends ${pg.toFixed(1)} s (${us(pg)})`}`];
}

async function ingestFile(db: Database, file: string, source: string) {
  return timed(() => ingestStream(db, createReadStream(file, { highWaterMark: 256 * 1024 }), { format: 'nginx-json', sourceName: source, actor: 'bench', now }));
}

/** Bytes of the database and of each evidence table (all partitions, indexes and TOAST included). */
async function sizes(db: Database): Promise<{ database: number; tables: Record<string, number> }> {
  const [d] = await db.query<{ n: string }>(`SELECT pg_database_size(current_database())::text AS n`);
  const rows = await db.query<{ t: string; n: string }>(
    `SELECT p.relname AS t, sum(pg_total_relation_size(pt.relid))::text AS n
       FROM pg_class p JOIN pg_namespace ns ON ns.oid = p.relnamespace AND ns.nspname = 'evidence'
       CROSS JOIN LATERAL pg_partition_tree(p.oid) pt
      WHERE p.relkind IN ('p', 'r') AND NOT p.relispartition
      GROUP BY p.relname`,
  );
  return { database: Number(d!.n), tables: Object.fromEntries(rows.map((r) => [r.t, Number(r.n)])) };
}

async function count(db: Database, sql: string): Promise<number> {
  return Number((await db.query<{ n: number }>(sql))[0]!.n);
}

/**
 * Peak RSS of a whole PostgreSQL ingest of `lines` generated lines, in a fresh process; with
 * `heapCapMb`, V8's old space is capped there, so an ingest whose need grew with the lines would
 * die of heap exhaustion instead of finishing.
 */
function childPeak(lines: number, url: string, heapCapMb?: number): Promise<{ accepted: number; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, INGEST_MEM_CHILD_LINES: String(lines), INGEST_MEM_CHILD_URL: url },
      execArgv: ['--import', 'tsx', ...(heapCapMb ? [`--max-old-space-size=${heapCapMb}`] : [])],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once('message', (m: unknown) => resolve(m as { accepted: number; peakRssMb: number }));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`memory child exited with ${code}`));
    });
  });
}

if (process.env.INGEST_MEM_CHILD_LINES && process.send) {
  const lines = Number(process.env.INGEST_MEM_CHILD_LINES);
  const traffic = await mtlsTraffic({ perSecond: RATE });
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const db = await openDatabase({ kind: 'postgres', url: process.env.INGEST_MEM_CHILD_URL!, poolSize: 2 });
  const s = await ingestStream(db, traffic.stream(lines), { format: 'nginx-json', sourceName: 'bench-mem', actor: 'bench', now });
  await db.close();
  clearInterval(timer);
  // VmHWM is this process's own high-water mark; getrusage's maxRSS is not (Linux carries the
  // parent's peak across fork + exec).
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  peak = Math.max(peak, process.memoryUsage().rss, hwm ? Number(hwm) * 1024 : 0);
  process.send({ accepted: s.accepted, peakRssMb: peak / 1024 / 1024 }, () => process.exit(0));
}

const skipped = (name: string, why: string): BenchResult => ({ name, value: 0, unit: '', baseline: { name: 'none', value: 0, unit: '' }, ratio: 0, notes: `skipped: ${why}` });

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-bench-ingest-'));
  const results: BenchResult[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  try {
    // 1. parse + classify vs JSON.parse (no database), on the adversarial generator's log.
    if (PARTS.has('classify')) {
      const file = join(dir, 'classify.json');
      await generate(file, CLASSIFY_LINES);
      await parseBaseline(file);
      await parseClassify(file);
      const { pc, base } = await classifyVsBaseline(file, CLASSIFY_LINES);
      results.push({
        name: 'ingest parse+classify nginx-json lines/s',
        value: pc,
        unit: 'lines/s',
        baseline: { name: 'readline + JSON.parse', value: base, unit: 'lines/s' },
        ratio: pc / base,
        target: '≥ 0.5× baseline',
        pass: pc / base >= 0.5,
        notes: `${CLASSIFY_LINES.toLocaleString('en-US')} lines; classify = the pipeline's verdict per event (decideVerdictNow): DPoP proofs checked as of the event time, jti replay tracked; best of ${ROUNDS}`,
      });
      // The same with every DPoP proof really signed (ES256, 64 client keys, unique jti): one
      // signature verification per proof, which no cache can skip.
      const keys = Array.from({ length: 64 }, () => ecKey());
      const signed = join(dir, 'classify-signed.json');
      await generate(signed, CLASSIFY_LINES, (i, htm, htu, iat) => makeProof(keys[i % keys.length]!, { htm, htu, iat, jti: `j-${i}` }));
      const s = await classifyVsBaseline(signed, CLASSIFY_LINES);
      rmSync(signed);
      rmSync(file);
      results.push({
        name: 'ingest parse+classify, every DPoP proof signed',
        value: s.pc,
        unit: 'lines/s',
        baseline: { name: 'readline + JSON.parse', value: s.base, unit: 'lines/s' },
        ratio: s.pc / s.base,
        notes: `1 in 3 lines with a real ES256 proof (64 keys, unique jti, htm/htu/iat of the request); informational; best of ${ROUNDS}`,
      });
    }

    const wantsDb = ['pg', 'adversarial', 'pglite', 'memory', 'batches'].some((p) => PARTS.has(p));
    if (wantsDb && !(await postgresAvailable())) {
      results.push(skipped('ingest end-to-end PostgreSQL events/s', 'no PostgreSQL at 127.0.0.1:5432'));
      return results;
    }
    const traffic = wantsDb ? await mtlsTraffic({ perSecond: RATE }) : null;

    // 2. realistic log → PostgreSQL, vs \copy of its ledger rows and vs jq; storage per request.
    let pgRate = 0;
    if (PARTS.has('pg') && traffic) {
      const file = join(dir, 'mtls.json');
      const fileBytes = await writeTraffic(file, traffic, LINES);
      const size = `${LINES.toLocaleString('en-US')} lines, ${(fileBytes / 1024 / 1024).toFixed(0)} MiB`;
      const jq = jqRate(file, LINES);
      const pg = await createPostgresTestDatabase();
      cleanups.push(() => pg.drop());
      const db = await openDatabase({ kind: 'postgres', url: pg.url, poolSize: 4 });
      try {
        await migrateDatabase(db);
        await maintainEvidence(db, { now: NOW, retention: DEFAULT_RETENTION });
        const empty = await sizes(db);
        // Warm the page cache for the file as jq had it.
        execFileSync('sh', ['-c', `cat "${file}" > /dev/null`]);
        const [[s, t], cpu] = await cpuSplit(db, LINES, () => ingestFile(db, file, 'bench'));
        if (s.accepted !== LINES) throw new Error(`ingest accepted ${s.accepted} of ${LINES}`);
        pgRate = LINES / t;

        // Storage inside the window.
        const inWindow = await sizes(db);
        const notable = await count(db, `SELECT count(*)::int AS n FROM evidence."Notable"`);
        const okRequests = LINES - notable;
        const perRequest = (inWindow.database - empty.database) / LINES;
        const table = (k: string, from = inWindow) => (from.tables[k] ?? 0) - (empty.tables[k] ?? 0);
        const okInWindow = (inWindow.database - empty.database - table('Notable')) / okRequests;

        // \copy baseline: the same ledger rows, out and back into the same (partitioned) table.
        const rowsFile = join(dir, 'ledger.copy');
        execFileSync('psql', [pg.url, '-qc', `\\copy (SELECT * FROM evidence."Request") TO '${rowsFile}' WITH (FORMAT binary)`]);
        const ledgerRows = await count(db, `SELECT count(*)::int AS n FROM evidence."Request"`);
        await db.query(`TRUNCATE evidence."Request"`);
        const [, tCopy] = await timed(async () => execFileSync('psql', [pg.url, '-qc', `\\copy evidence."Request" FROM '${rowsFile}' WITH (FORMAT binary)`]));
        rmSync(rowsFile);
        const copyRate = ledgerRows / tCopy;

        // After the window: the clock moved past it; the hourly maintenance drops the ledger's days.
        const later = new Date(NOW.getTime() + (DEFAULT_RETENTION.requestWindowDays + 2) * 86_400_000);
        await maintainEvidence(db, { now: later, retention: DEFAULT_RETENTION });
        const afterWindow = await sizes(db);
        const notableBytes = table('Notable', afterWindow);
        const keptForOk = afterWindow.database - empty.database - notableBytes;

        results.push(
          {
            name: 'ingest realistic NGINX mTLS → PostgreSQL events/s',
            value: pgRate,
            unit: 'events/s',
            baseline: { name: 'psql \\copy of the same ledger rows (binary)', value: copyRate, unit: 'rows/s' },
            ratio: pgRate / copyRate,
            target: '≥ 100,000 events/s',
            pass: pgRate >= 100_000,
            notes: `${size}; one batch, one transaction: parse, verdicts, identities/certificates upserted, ledger + notable COPYed, hourly usage merged in memory and upserted once per key; ${cpu}; \\copy writes ${ledgerRows.toLocaleString('en-US')} ledger rows straight into the same partitioned table and indexes`,
          },
          {
            name: 'ingest realistic → PostgreSQL vs jq filter',
            value: pgRate,
            unit: 'lines/s',
            baseline: { name: `jq -c 'select(.ssl_client_verify != "SUCCESS")'`, value: jq, unit: 'lines/s' },
            ratio: pgRate / jq,
            target: '≥ 1× (faster than the filter alone)',
            pass: pgRate >= jq,
            notes: `${size}; jq only filters and prints; Holdfast parses, decides verdicts and commits to PostgreSQL`,
          },
          {
            name: 'storage per ok request inside the dedupe window',
            value: okInWindow,
            unit: 'B/request',
            baseline: { name: 'raw log line', value: fileBytes / LINES, unit: 'B/line' },
            ratio: okInWindow / (fileBytes / LINES),
            target: '≤ 200 B',
            pass: okInWindow <= 200,
            notes: `database growth less the notable requests (counted per failure below), over ${okRequests.toLocaleString('en-US')} ok requests: ledger ${(table('Request') / LINES).toFixed(0)} B per request, usage ${(table('Usage') / okRequests).toFixed(1)} B, dims ${(table('Dim') / okRequests).toFixed(1)} B, the rest identities, certificates and the batch record; all requests together, failures included: ${perRequest.toFixed(0)} B per request`,
          },
          {
            name: 'storage per ok request after the window',
            value: keptForOk / okRequests,
            unit: 'B/request',
            baseline: { name: 'raw log line', value: fileBytes / LINES, unit: 'B/line' },
            ratio: keptForOk / okRequests / (fileBytes / LINES),
            target: '≤ 20 B',
            pass: keptForOk / okRequests <= 20,
            notes: `clock moved ${DEFAULT_RETENTION.requestWindowDays + 2} days on, ledger partitions dropped by maintainEvidence; everything kept but notable requests (usage ${(table('Usage', afterWindow) / okRequests).toFixed(1)} B, dims, identities, certificates, empty future partitions) over ${okRequests.toLocaleString('en-US')} ok requests; the traffic is ${RATE.toLocaleString('en-US')} requests/s over ${(LINES / RATE / 60).toFixed(0)} min (BENCH_INGEST_RATE; usage rows are hourly, so a quieter gateway keeps more bytes per request)`,
          },
          {
            name: 'storage per failure (notable request)',
            value: notableBytes / Math.max(notable, 1),
            unit: 'B/request',
            baseline: { name: 'raw log line', value: fileBytes / LINES, unit: 'B/line' },
            ratio: notableBytes / Math.max(notable, 1) / (fileBytes / LINES),
            target: '≤ 1,536 B',
            pass: notableBytes / Math.max(notable, 1) <= 1536,
            notes: `${notable.toLocaleString('en-US')} notable requests kept individually with their redacted line (certificate PEM included in the line)`,
          },
        );
      } finally {
        await db.close();
        rmSync(file, { force: true });
      }
    }

    // 2b. the same traffic in a shipper's batches: each batch adds to the current hour's usage rows.
    if (PARTS.has('batches') && traffic) {
      const lines: string[] = [];
      for await (const chunk of traffic.stream(BATCHED_LINES)) lines.push(...String(chunk).split('\n').filter(Boolean));
      const shipped = async (fillfactor: number | null) => {
        const pg = await createPostgresTestDatabase({ migrated: true });
        cleanups.push(() => pg.drop());
        const db = await openDatabase({ kind: 'postgres', url: pg.url, poolSize: 4 });
        try {
          await maintainEvidence(db, { now: NOW, retention: DEFAULT_RETENTION });
          if (fillfactor !== null) {
            const parts = await db.query<{ name: string }>(
              `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
                 JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = 'evidence' AND p.relname IN ('Usage', 'HopUsage')`,
            );
            for (const { name } of parts) await db.query(`ALTER TABLE "evidence"."${name}" SET (fillfactor = ${fillfactor})`);
          }
          const t0 = process.hrtime.bigint();
          let accepted = 0;
          for (let i = 0; i < lines.length; i += BATCH_LINES) {
            const body = lines.slice(i, i + BATCH_LINES).join('\n') + '\n';
            accepted += (await ingestStream(db, [body], { format: 'nginx-json', sourceName: 'bench-batches', actor: 'bench', now })).accepted;
          }
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          if (accepted !== lines.length) throw new Error(`batched ingest accepted ${accepted} of ${lines.length}`);
          const usage = (await sizes(db)).tables.Usage ?? 0;
          const rows = await count(db, `SELECT count(*)::int AS n FROM evidence."Usage"`);
          return { perRequest: usage / lines.length, rate: lines.length / seconds, rows, usage };
        } finally {
          await db.close();
        }
      };
      const full = await shipped(100);
      const made = await shipped(null);
      const batches = Math.ceil(lines.length / BATCH_LINES);
      results.push({
        name: 'ingest in batches: hourly usage bytes per request',
        value: made.perRequest,
        unit: 'B',
        baseline: { name: 'aggregate partitions at fill factor 100', value: full.perRequest, unit: 'B' },
        ratio: made.perRequest / full.perRequest,
        notes: `${lines.length.toLocaleString('en-US')} realistic lines in ${batches} batches of ${BATCH_LINES.toLocaleString('en-US')} (BENCH_INGEST_BATCHED_LINES, BENCH_INGEST_BATCH_LINES): evidence."Usage" with its indexes ${(made.usage / 1024 / 1024).toFixed(1)} MiB for ${made.rows.toLocaleString('en-US')} rows (fill factor 100: ${(full.usage / 1024 / 1024).toFixed(1)} MiB for ${full.rows.toLocaleString('en-US')}); ${Math.round(made.rate).toLocaleString('en-US')} events/s (fill factor 100: ${Math.round(full.rate).toLocaleString('en-US')})`,
      });
    }

    // 3. adversarial mix → PostgreSQL (about half failures, proofs, a new client address per line).
    if (PARTS.has('adversarial')) {
      const file = join(dir, 'adversarial.json');
      await generate(file, ADVERSARIAL_LINES);
      const jq = jqRate(file, ADVERSARIAL_LINES);
      const pg = await createPostgresTestDatabase();
      cleanups.push(() => pg.drop());
      const db = await openDatabase({ kind: 'postgres', url: pg.url, poolSize: 4 });
      try {
        await migrateDatabase(db);
        const [s, t] = await ingestFile(db, file, 'bench-adversarial');
        if (s.accepted !== ADVERSARIAL_LINES) throw new Error(`adversarial ingest accepted ${s.accepted} of ${ADVERSARIAL_LINES}`);
        const notable = await count(db, `SELECT count(*)::int AS n FROM evidence."Notable"`);
        results.push({
          name: 'ingest adversarial mix → PostgreSQL events/s',
          value: ADVERSARIAL_LINES / t,
          unit: 'events/s',
          baseline: { name: `jq -c 'select(.ssl_client_verify != "SUCCESS")'`, value: jq, unit: 'lines/s' },
          ratio: ADVERSARIAL_LINES / t / jq,
          target: '≥ 40,000 events/s',
          pass: ADVERSARIAL_LINES / t >= 40_000,
          notes: `${ADVERSARIAL_LINES.toLocaleString('en-US')} lines, ${((notable / ADVERSARIAL_LINES) * 100).toFixed(0)} % kept as notable (failures and anomalies), a DPoP proof on 1 line in 3, a new client address on every line`,
        });
      } finally {
        await db.close();
        rmSync(file, { force: true });
      }
    }

    // 4. PGlite (embedded, in this process) on the realistic log.
    if (PARTS.has('pglite') && traffic) {
      const file = join(dir, 'mtls-pglite.json');
      await writeTraffic(file, traffic, PGLITE_LINES);
      const lite = await openTestDatabase('pglite');
      try {
        const [s, t] = await ingestFile(lite.db, file, 'bench');
        if (s.accepted !== PGLITE_LINES) throw new Error(`PGlite ingest accepted ${s.accepted} of ${PGLITE_LINES}`);
        const rate = PGLITE_LINES / t;
        results.push({
          name: 'ingest realistic → PGlite events/s',
          value: rate,
          unit: 'events/s',
          baseline: pgRate ? { name: 'same log into PostgreSQL', value: pgRate, unit: 'events/s' } : { name: 'none (pg part not run)', value: 0, unit: '' },
          ratio: pgRate ? rate / pgRate : 0,
          target: '≥ 30,000 events/s',
          pass: rate >= 30_000,
          notes: `${PGLITE_LINES.toLocaleString('en-US')} lines (BENCH_INGEST_PGLITE_LINES); in-memory PGlite in the same process`,
        });
      } finally {
        await lite.drop();
        rmSync(file, { force: true });
      }
    }

    // 5. memory at MEM_LINES and MEM_FACTOR × MEM_LINES, streamed from the generator.
    if (PARTS.has('memory')) {
      const peaks: number[] = [];
      const runs: Array<[lines: number, heapCapMb?: number]> = [[MEM_LINES], [MEM_LINES * MEM_FACTOR], [MEM_LINES * MEM_FACTOR, HEAP_CAP_MB]];
      for (const [n, cap] of runs) {
        const mdb = await createPostgresTestDatabase();
        cleanups.push(() => mdb.drop());
        const m = await openDatabase({ kind: 'postgres', url: mdb.url, poolSize: 1 });
        await migrateDatabase(m);
        await m.close();
        const p = await childPeak(n, mdb.url, cap).catch((e: Error) => ({ accepted: -1, peakRssMb: NaN, error: e.message }));
        if (p.accepted !== n && !cap) throw new Error(`memory child accepted ${p.accepted} of ${n}`);
        peaks.push(p.accepted === n ? p.peakRssMb : NaN);
      }
      results.push({
        name: `ingest peak RSS at ${MEM_FACTOR}× lines`,
        value: peaks[1]!,
        unit: 'MiB',
        baseline: { name: `peak RSS at ${MEM_LINES.toLocaleString('en-US')} lines`, value: peaks[0]!, unit: 'MiB' },
        ratio: peaks[1]! / peaks[0]!,
        target: '≤ 1.5× (flat: streaming)',
        pass: peaks[1]! / peaks[0]! <= 1.5,
        notes: `realistic log streamed from the generator (no file) into PostgreSQL, ${MEM_LINES.toLocaleString('en-US')} and ${(MEM_LINES * MEM_FACTOR).toLocaleString('en-US')} lines, each in a fresh process; V8 grows its heap lazily in a longer run (see the capped row)`,
      });
      results.push({
        name: `ingest at ${MEM_FACTOR}× lines under a ${HEAP_CAP_MB} MiB heap cap`,
        value: peaks[2]!,
        unit: 'MiB',
        baseline: { name: `peak RSS at ${MEM_LINES.toLocaleString('en-US')} lines, uncapped`, value: peaks[0]!, unit: 'MiB' },
        ratio: peaks[2]! / peaks[0]!,
        target: 'completes; ≤ 1.5×',
        pass: Number.isFinite(peaks[2]!) && peaks[2]! / peaks[0]! <= 1.5,
        notes: Number.isFinite(peaks[2]!)
          ? `${(MEM_LINES * MEM_FACTOR).toLocaleString('en-US')} lines committed whole with --max-old-space-size=${HEAP_CAP_MB}: what the ingest needs does not grow with the lines`
          : `the ingest did not finish under --max-old-space-size=${HEAP_CAP_MB}: its memory grows with the lines`,
      });
    }
    return results;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
