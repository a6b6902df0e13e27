// One large ingest body through the real server (scripts/start.mjs, Next.js in-process, proxy.ts
// and all), on both runtimes (embedded PGlite in a temp data directory; a throwaway PostgreSQL
// database). The body — BENCH_BODY_BYTES of distinct NGINX JSON lines (default 1 GiB, the
// default HOLDFAST_INGEST_MAX_BYTES) — is generated while it is sent, as a chunked upload, so
// neither side holds it. Per runtime:
//   - committed whole: the summary's linesRead and accepted against the lines sent (ratio 1);
//   - throughput: body MB/s until the batch summary arrives, against the same body streamed to a
//     plain Node HTTP sink (a child process that discards it), measured in the same run;
//   - memory flat: the server's peak RSS (VmHWM, reset before each upload through
//     /proc/<pid>/clear_refs; else the highest VmRSS sampled every 100 ms) over the full body
//     against over a BENCH_BODY_SMALL_BYTES body (default 64 MiB) on the same server: ≈ 1 when
//     memory does not grow with the body;
//   - dashboard reads during the batch: the summary, the token list and the batch list read one
//     after another (200 ms apart) while the full body is written, p95 against the same reads with
//     no batch (issue #14: under 1 s p95).
// The server's HTTP requestTimeout is 10 minutes (lib/server/start.ts): the notes say how long a
// 1 GiB body would take at the measured rate. Loopback only; every upload bounded in time.
// Needs a current `next build` (.next) and, for the PostgreSQL half, HOLDFAST_TEST_PG_URL.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { nginxJsonLine } from '../lib/services/ingest/testing/generate.ts';
import { postgresAvailable } from '../lib/testing/databases.ts';
import { hasBuild } from '../lib/testing/processes.ts';
import { startRuntimeServer } from '../lib/testing/runtime-server.ts';
import type { BenchResult } from './types.ts';

const MiB = 1024 * 1024;
const BODY_BYTES = Number(process.env.BENCH_BODY_BYTES ?? 1024 * MiB);
const SMALL_BYTES = Math.min(BODY_BYTES, Number(process.env.BENCH_BODY_SMALL_BYTES ?? 64 * MiB));
/** Which runtimes (comma list of pglite, postgres; default both). */
const RUNTIMES = (process.env.BENCH_BODY_RUNTIMES ?? 'pglite,postgres').split(',').map((x) => x.trim());
/** The server's requestTimeout (lib/server/start.ts), for the note on a 1 GiB body. */
const SERVER_REQUEST_TIMEOUT_S = 600;
/** Peak RSS over the full body may exceed the small body's by this much and still be flat. */
const FLAT_TARGET = 1.3;

/** Template lines (the generator's, varied) whose request ids are replaced per line: generating stays cheap. */
const TEMPLATES = Array.from({ length: 4096 }, (_, i) => nginxJsonLine(i));
const REQUEST_ID = /"request_id":"[0-9a-f]{32}"/;

/**
 * BENCH bytes (at least) of distinct NGINX JSON lines, in ~1 MiB chunks, generated as they are
 * pulled (the upload's back-pressure paces it). `counts.lines` is final once the stream ends.
 */
function bodyStream(bytes: number, runTag: string, counts: { lines: number; bytes: number }): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (counts.bytes >= bytes) return c.close();
      const parts: string[] = [];
      let size = 0;
      while (size < MiB && counts.bytes + size < bytes) {
        const id = `"request_id":"${runTag}${i.toString(16).padStart(24, '0')}"`;
        const l = TEMPLATES[i % TEMPLATES.length]!.replace(REQUEST_ID, id) + '\n';
        parts.push(l);
        size += l.length; // ASCII
        i++;
      }
      counts.lines += parts.length;
      counts.bytes += size;
      c.enqueue(Buffer.from(parts.join('')));
    },
  });
}

const tag = () => Math.random().toString(16).slice(2, 10).padEnd(8, '0');

function procStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Resets the process's VmHWM (Linux: 5 → clear_refs); false where that is not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Waits until the process has been idle (under 5 % of a core) for 2 s: background findings done. */
async function settle(pid: number, maxMs = 300_000): Promise<void> {
  const end = Date.now() + maxMs;
  let quiet = 0;
  let last = cpuSeconds(pid);
  while (Date.now() < end && quiet < 4) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuSeconds(pid);
    quiet = now - last < 0.025 ? quiet + 1 : 0;
    last = now;
  }
}

interface Upload {
  seconds: number;
  linesSent: number;
  bytesSent: number;
  status: number;
  summary: { linesRead?: number; accepted?: number; rejected?: number; duplicates?: number; detail?: string };
  /** Server peak RSS during the upload, MiB. */
  peakRssMiB: number;
  peakFrom: 'VmHWM' | 'sampled VmRSS';
}

async function upload(url: string, key: string | null, bytes: number, pid: number | null, timeoutMs: number): Promise<Upload> {
  const counts = { lines: 0, bytes: 0 };
  const hwm = pid !== null && resetPeak(pid);
  let sampled = 0;
  const sampler = pid !== null ? setInterval(() => (sampled = Math.max(sampled, procStatusKb(pid, 'VmRSS'))), 100) : null;
  const t0 = process.hrtime.bigint();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: bodyStream(bytes, tag(), counts),
      duplex: 'half',
      signal: AbortSignal.timeout(timeoutMs),
    } as RequestInit);
    const text = await res.text();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    let summary: Upload['summary'] = {};
    try {
      summary = JSON.parse(text);
    } catch {
      summary = { detail: text.slice(0, 200) };
    }
    const peakKb = pid === null ? NaN : hwm ? procStatusKb(pid, 'VmHWM') : Math.max(sampled, procStatusKb(pid, 'VmRSS'));
    return { seconds, linesSent: counts.lines, bytesSent: counts.bytes, status: res.status, summary, peakRssMiB: peakKb / 1024, peakFrom: hwm ? 'VmHWM' : 'sampled VmRSS' };
  } finally {
    if (sampler) clearInterval(sampler);
  }
}

/** A plain Node HTTP server in its own process that reads and discards request bodies. */
async function startSink(): Promise<{ url: string; stop(): void }> {
  const child = spawn(
    process.execPath,
    ['-e', `require('http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('{}')); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [port] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${String(port).trim()}/`, stop: () => void child.kill('SIGTERM') };
}

const mb = (bytes: number, seconds: number) => bytes / 1e6 / seconds;

const READ_PATHS = ['/api/v1/summary', '/api/v1/tokens?limit=20', '/api/v1/ingest/batches?limit=5'];

/** Dashboard reads one after another, 200 ms apart, until `until` settles; each read's ms. */
async function readsUntil(base: string, key: string, until: Promise<unknown> | null, rounds = 5): Promise<{ ms: number[]; failed: number }> {
  let done = until === null;
  void until?.finally(() => (done = true));
  const ms: number[] = [];
  let failed = 0;
  for (let round = 0; until ? !done : round < rounds; round++) {
    for (const path of READ_PATHS) {
      if (done && until) break;
      const t0 = performance.now();
      const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(60_000) }).catch(() => null);
      await r?.text();
      if (!done || !until) ms.push(performance.now() - t0);
      if (r?.status !== 200) failed++;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { ms: ms.sort((a, b) => a - b), failed };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

async function benchRuntime(runtime: string, sink: { url: string }): Promise<BenchResult[]> {
  // Room for the whole body (plus the last generated chunk): the limit is not what is measured.
  const running = await startRuntimeServer(runtime as 'pglite' | 'postgres', { HOLDFAST_INGEST_MAX_BYTES: String(Math.max(BODY_BYTES + 2 * MiB, 1024 * MiB)) });
  const { server, key } = running;
  try {
    const pid = server.child.pid!;
    const ingestUrl = (source: string) => `${server.url}/api/v1/ingest?format=nginx-json&source=${source}`;
    // Generous bound on each upload: a failure shows as a row, never a hang.
    const timeoutMs = Math.max(120_000, (BODY_BYTES / MiB) * 2_000);

    const small = await upload(ingestUrl('bench-small'), key, SMALL_BYTES, pid, timeoutMs);
    if (small.status !== 200) throw new Error(`${runtime}: small body answered ${small.status}: ${small.summary.detail ?? ''}`);
    await settle(pid);
    const base = await upload(sink.url, null, BODY_BYTES, null, timeoutMs);
    const idleReads = await readsUntil(server.url, key, null);
    const fullUpload = upload(ingestUrl('bench-full'), key, BODY_BYTES, pid, timeoutMs);
    const busyReads = await readsUntil(server.url, key, fullUpload);
    const full = await fullUpload;
    if (full.status !== 200) throw new Error(`${runtime}: full body answered ${full.status} after ${full.seconds.toFixed(0)} s: ${full.summary.detail ?? ''}`);

    const whole = full.summary.linesRead === full.linesSent && full.summary.accepted === full.linesSent;
    const rate = mb(full.bytesSent, full.seconds);
    const gibSeconds = (1024 * MiB) / 1e6 / rate;
    const sizes = `${(full.bytesSent / MiB).toFixed(0)} MiB body, ${full.linesSent} lines`;
    return [
      {
        name: `ingest-body ${runtime}: committed whole (${sizes})`,
        value: full.summary.accepted ?? 0,
        unit: 'lines',
        baseline: { name: 'lines sent', value: full.linesSent, unit: 'lines' },
        ratio: (full.summary.accepted ?? 0) / full.linesSent,
        target: 'linesRead = accepted = lines sent',
        pass: whole,
        notes: `linesRead ${full.summary.linesRead}, accepted ${full.summary.accepted}, rejected ${full.summary.rejected}, duplicates ${full.summary.duplicates}`,
      },
      {
        name: `ingest-body ${runtime}: throughput through the server`,
        value: rate,
        unit: 'MB/s',
        baseline: { name: 'same body to a discarding Node HTTP sink', value: mb(base.bytesSent, base.seconds), unit: 'MB/s' },
        ratio: rate / mb(base.bytesSent, base.seconds),
        notes:
          `${full.seconds.toFixed(1)} s for ${sizes}; at this rate 1 GiB takes ${gibSeconds.toFixed(0)} s — ` +
          (gibSeconds < SERVER_REQUEST_TIMEOUT_S ? `inside` : `PAST`) +
          ` the server's ${SERVER_REQUEST_TIMEOUT_S} s requestTimeout`,
      },
      {
        name: `ingest-body ${runtime}: peak server RSS, full vs small body`,
        value: full.peakRssMiB,
        unit: 'MiB',
        baseline: { name: `peak RSS over a ${(small.bytesSent / MiB).toFixed(0)} MiB body`, value: small.peakRssMiB, unit: 'MiB' },
        ratio: full.peakRssMiB / small.peakRssMiB,
        target: `≤ ${FLAT_TARGET}× (flat)`,
        pass: full.peakRssMiB / small.peakRssMiB <= FLAT_TARGET,
        notes: `${full.peakFrom}; body ${(full.bytesSent / small.bytesSent).toFixed(1)}× larger`,
      },
      {
        name: `ingest-body ${runtime}: dashboard reads p95 during the batch`,
        value: pct(busyReads.ms, 95),
        unit: 'ms',
        baseline: { name: 'p95 of the same reads with no batch', value: pct(idleReads.ms, 95), unit: 'ms' },
        ratio: pct(busyReads.ms, 95) / pct(idleReads.ms, 95),
        target: '< 1000 ms',
        pass: busyReads.ms.length >= 5 && busyReads.failed === 0 && pct(busyReads.ms, 95) < 1000,
        notes: `${busyReads.ms.length} reads during the ${full.seconds.toFixed(0)} s batch (${READ_PATHS.join(', ')}), p50 ${Math.round(pct(busyReads.ms, 50))} ms, max ${Math.round(busyReads.ms.at(-1) ?? NaN)} ms, ${busyReads.failed} not 200`,
      },
    ];
  } finally {
    await running.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  if (!hasBuild()) {
    return [{ name: 'ingest-body', value: 0, unit: 'MB/s', baseline: { name: 'none', value: 0, unit: 'MB/s' }, ratio: 0, notes: 'skipped: no `next build` (.next/BUILD_ID)' }];
  }
  const sink = await startSink();
  const rows: BenchResult[] = [];
  try {
    for (const runtime of RUNTIMES) {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        rows.push({ name: 'ingest-body postgres', value: 0, unit: 'MB/s', baseline: { name: 'none', value: 0, unit: 'MB/s' }, ratio: 0, notes: 'skipped: PostgreSQL not reachable' });
        continue;
      }
      rows.push(...(await benchRuntime(runtime, sink)));
    }
  } finally {
    sink.stop();
  }
  return rows;
}
