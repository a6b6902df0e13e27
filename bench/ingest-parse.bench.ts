// Ingest parse speed and memory (BENCH_ROUNDS interleaved rounds, default 5, best of each). Generates an N-line NGINX JSON log (BENCH_LINES, default
// 200,000; the figure is 1,000,000) in a temp file, then measures in this process:
//   - Holdfast: readLines + nginx-json parser (normalise, x5t#S256 from the cert, redaction)
//   - baseline: a bare `JSON.parse` loop over node:readline lines of the same file
// and, each in a fresh child process, the peak RSS of the Holdfast parse over N and
// N × BENCH_MEM_FACTOR (default 10) lines, which must stay flat (streaming).
import { fork } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readLines } from '../lib/ingest/line-reader.ts';
import { PARSERS } from '../lib/ingest/registry.ts';
import { createParseContext } from '../lib/ingest/types.ts';
import type { BenchResult } from './types.ts';

const LINES = Number(process.env.BENCH_LINES ?? 200_000);
const MEM_FACTOR = Number(process.env.BENCH_MEM_FACTOR ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_RATIO = 0.5;
/** Peak RSS over 10× the lines may grow by at most this factor (allocator noise, JIT). */
const MEM_FLAT_FACTOR = 1.5;

// A fixed client certificate (public, self-signed test cert) logged URL-encoded on 1 line in 10.
const CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBxzCCAW2gAwIBAgIULWaekpXeR05cumI6MgsxZ1y40gQwCgYIKoZIzj0EAwIw
HzEOMAwGA1UEAwwFc3ZjLWExDTALBgNVBAoMBFRlc3QwHhcNMjYxMTIyMDg0NDM5
WhcNMzYxMTE5MDg0NDM5WjAfMQ4wDAYDVQQDDAVzdmMtYTENMAsGA1UECgwEVGVz
dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABP6slX0/T+3J27slXNCYvL9oV9Un
f0uTwiIpDwimoGclSoVJHYn5AZBLyJOA2hNhljTcjn0hS4HDyNzqtBQ2SkOjgYYw
gYMwHQYDVR0OBBYEFOlfDRJ3SkxZZyDmia6jv2wwlIDPMB8GA1UdIwQYMBaAFOlf
DRJ3SkxZZyDmia6jv2wwlIDPMA8GA1UdEwEB/wQFMAMBAf8wMAYDVR0RBCkwJ4Yl
c3BpZmZlOi8vZXhhbXBsZS5vcmcvbnMvcHJvZC9zYS9zdmMtYTAKBggqhkjOPQQD
AgNIADBFAiBmYIR0sP7zU4rYMzreOMvjp62cRpTQt721PzfPsC0iowIhAL3aXWJE
iWpZnVWPQGdeOjoukueX04Dak+FzlwRDK8SH
-----END CERTIFICATE-----
`;
const ESCAPED = encodeURIComponent(CERT_PEM);
const PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoieCIsInkiOiJ5In19.eyJodG0iOiJHRVQiLCJodHUiOiJodHRwczovL2FwaS5leGFtcGxlL3giLCJpYXQiOjE3OTUwMDAwMDAsImp0aSI6InAtMSJ9.cHJvb2Ytc2lnLW5vdC1yZWFs';
const VERIFY = ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'NONE', 'FAILED:certificate revoked', 'FAILED:certificate has expired', 'SUCCESS'];

/** Signs the DPoP proof line `i` would carry (ES256, one of 64 client keys, unique jti, htm/htu/iat of the request). */
export type ProofSigner = (i: number, method: string, url: string, iat: number) => string;

function line(i: number, signer?: ProofSigner): string {
  const v = VERIFY[i % VERIFY.length]!;
  const hasCert = v !== 'NONE';
  const dpop = i % 3 === 0;
  const t = new Date(Date.UTC(2026, 10, 22) + i * 7).toISOString().replace(/\.\d+Z$/, '+00:00');
  return JSON.stringify({
    time: t,
    request_id: (i * 2654435761 >>> 0).toString(16).padStart(32, '0'),
    remote_addr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    method: i % 5 === 0 ? 'POST' : 'GET',
    scheme: 'https',
    host: 'api.example.com',
    uri: `/v1/orders/${i % 9973}?page=${i % 7}`,
    status: v.startsWith('FAILED') ? 400 : i % 17 === 0 ? 401 : 200,
    ssl_client_verify: v,
    ssl_client_s_dn: hasCert ? `O=Example,CN=svc-${i % 320}` : '',
    ssl_client_i_dn: hasCert ? 'O=Example,CN=Example Client CA' : '',
    ssl_client_serial: hasCert ? (4096 + (i % 320)).toString(16).toUpperCase() : '',
    ssl_client_fingerprint: hasCert ? (i % 320).toString(16).padStart(40, 'a') : '',
    ssl_client_v_start: hasCert ? 'Nov  1 00:00:00 2026 GMT' : '',
    ssl_client_v_end: hasCert ? 'Nov  1 00:00:00 2027 GMT' : '',
    ssl_client_escaped_cert: hasCert && i % 10 === 0 ? ESCAPED : '',
    authz_scheme: dpop ? 'DPoP' : i % 11 === 0 ? '' : 'Bearer',
    has_dpop: dpop ? '1' : '0',
    http_dpop: dpop ? (signer ? signer(i, i % 5 === 0 ? 'POST' : 'GET', `https://api.example.com/v1/orders/${i % 9973}`, Math.floor(Date.parse(t) / 1000)) : PROOF) : '',
  });
}

export async function generate(file: string, n: number, signer?: ProofSigner): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  let batch: string[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(line(i, signer));
    if (batch.length === 1000 || i === n - 1) {
      const s = `${batch.join('\n')}\n`;
      bytes += Buffer.byteLength(s);
      batch = [];
      if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return bytes;
}

/** Holdfast path; returns [lines, events, errors]. */
async function parseHoldfast(file: string): Promise<[number, number, number]> {
  const p = PARSERS['nginx-json'];
  const ctx = createParseContext();
  let lines = 0;
  let events = 0;
  let errors = 0;
  for await (const l of readLines(createReadStream(file, { highWaterMark: 256 * 1024 }))) {
    lines++;
    if ('error' in l) {
      errors++;
      continue;
    }
    const r = p.parseLine(l.text, ctx);
    if (r.kind === 'event') events++;
    else if (r.kind === 'error') errors++;
  }
  return [lines, events, errors];
}

export async function parseBaseline(file: string): Promise<number> {
  let n = 0;
  const rl = createInterface({ input: createReadStream(file, { highWaterMark: 256 * 1024 }), crlfDelay: Infinity });
  for await (const l of rl) {
    const o = JSON.parse(l) as { status?: unknown };
    if (o.status !== undefined) n++;
  }
  return n;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return [v, Number(process.hrtime.bigint() - t0) / 1e9];
}

/** Peak RSS of the Holdfast parse over `file`, in a fresh process. */
function childPeak(file: string): Promise<{ lines: number; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, INGEST_BENCH_CHILD: file },
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once("message", (m: unknown) => resolve(m as { lines: number; peakRssMb: number }));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`memory child exited with ${code}`));
    });
  });
}

if (process.env.INGEST_BENCH_CHILD && process.send) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const [lines] = await parseHoldfast(process.env.INGEST_BENCH_CHILD);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  process.send({ lines, peakRssMb: peak / 1024 / 1024 }, () => process.exit(0));
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-bench-ingest-'));
  try {
    const file = join(dir, 'access.json');
    const bytes = await generate(file, LINES);
    // Warm the page cache and the JIT on both paths, then interleave rounds and keep each
    // path's best: on a shared 2-core machine the worst rounds measure the neighbours.
    await parseBaseline(file);
    await parseHoldfast(file);
    let hold = 0;
    let baseRate = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const [base, tBase] = await timed(() => parseBaseline(file));
      const [[lines, events, errors], tHold] = await timed(() => parseHoldfast(file));
      if (lines !== LINES || events !== LINES || errors !== 0 || base !== LINES) {
        throw new Error(`parse count mismatch: lines ${lines}, events ${events}, errors ${errors}, baseline ${base}, expected ${LINES}`);
      }
      hold = Math.max(hold, lines / tHold);
      baseRate = Math.max(baseRate, base / tBase);
    }
    const results: BenchResult[] = [
      {
        name: 'ingest parse nginx-json lines/s',
        value: hold,
        unit: 'lines/s',
        baseline: { name: 'readline + JSON.parse', value: baseRate, unit: 'lines/s' },
        ratio: hold / baseRate,
        target: `≥ ${TARGET_RATIO}× baseline`,
        pass: hold / baseRate >= TARGET_RATIO,
        notes: `${LINES.toLocaleString('en-US')} lines, ${(bytes / 1024 / 1024).toFixed(0)} MiB, best of ${ROUNDS} interleaved rounds; 1 line in 10 carries a URL-encoded client certificate, 1 in 3 a DPoP proof`,
      },
    ];

    const small = await childPeak(file);
    rmSync(file);
    const bigFile = join(dir, 'access-big.json');
    const bigLines = LINES * MEM_FACTOR;
    const bigBytes = await generate(bigFile, bigLines);
    const big = await childPeak(bigFile);
    rmSync(bigFile);
    if (small.lines !== LINES || big.lines !== bigLines) throw new Error('memory child line count mismatch');
    results.push({
      name: `ingest parse peak RSS at ${MEM_FACTOR}× lines`,
      value: big.peakRssMb,
      unit: 'MiB',
      baseline: { name: `peak RSS at ${LINES.toLocaleString('en-US')} lines`, value: small.peakRssMb, unit: 'MiB' },
      ratio: big.peakRssMb / small.peakRssMb,
      target: `≤ ${MEM_FLAT_FACTOR}× (flat: streaming)`,
      pass: big.peakRssMb / small.peakRssMb <= MEM_FLAT_FACTOR,
      notes: `${bigLines.toLocaleString('en-US')} lines, ${(bigBytes / 1024 / 1024).toFixed(0)} MiB file; fresh process each, RSS sampled every 20 ms`,
    });
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
