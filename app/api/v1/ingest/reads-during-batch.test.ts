// Issue #14 item 7: on the embedded database (one PGlite connection) a large ingest batch held
// every other request until it committed (a 300,000-line batch made sign-in take 11 s). Through the
// real server: while a batch of ~150,000 lines is being written, the summary, the token list and
// an API read answer long before the batch commits, and the batch still commits whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_CHUNK_LINES } from '@/lib/services/ingest/pipeline.ts';
import { nginxJsonLine } from '@/lib/services/ingest/testing/generate.ts';
import { hasBuild, type ServerProcess } from '@/lib/testing/processes.ts';
import { startRuntimeServer, type RuntimeServer } from '@/lib/testing/runtime-server.ts';

const LINES = 150_000;

describe.runIf(hasBuild() || process.env.CI === 'true')('reads during an embedded ingest batch, through the server', () => {
  let running: RuntimeServer | undefined;
  let server: ServerProcess | undefined;
  let key = '';

  beforeAll(async () => {
    running = await startRuntimeServer('pglite');
    ({ server, key } = running);
  }, 240_000);

  afterAll(async () => {
    await running?.stop();
  });

  const get = async (path: string) => {
    const t0 = performance.now();
    const r = await fetch(`${server!.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    await r.text();
    return { status: r.status, ms: performance.now() - t0, at: performance.now() };
  };

  it('the summary, the token list and the batch list answer while the batch is written; the batch commits whole', { timeout: 600_000 }, async () => {
    const lines: string[] = [];
    for (let i = 0; i < LINES; i++) lines.push(nginxJsonLine(5_000_000 + i));
    const body = lines.join('\n') + '\n';
    // Warm the routes (first compilation of each page's code) before the batch starts, then the
    // same reads with no batch running: the baseline of this run.
    const PATHS = ['/api/v1/summary', '/api/v1/tokens?limit=20', '/api/v1/ingest/batches?limit=5'];
    for (const p of PATHS) expect((await get(p)).status).toBe(200);
    const idle: number[] = [];
    for (let i = 0; i < 3; i++) for (const p of PATHS) idle.push((await get(p)).ms);
    idle.sort((a, b) => a - b);

    const started = performance.now();
    let committedAt = 0;
    const ingest = fetch(`${server!.url}/api/v1/ingest?format=nginx-json&source=big-batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
      body,
    }).then(async (r) => {
      committedAt = performance.now();
      return { status: r.status, json: (await r.json()) as { linesRead: number; accepted: number } };
    });

    // Reads while it runs: one every 200 ms, from 1 s after the upload started until it commits.
    await new Promise((r) => setTimeout(r, 1000));
    const reads: Array<{ status: number; ms: number; at: number }> = [];
    while (!committedAt) {
      for (const p of PATHS) {
        if (committedAt) break;
        reads.push(await get(p));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const result = await ingest;
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ linesRead: LINES, accepted: LINES });
    const during = reads.filter((r) => r.at < committedAt);
    // The batch ran long enough to prove something: several reads were answered before it committed.
    expect(during.length, `batch took ${Math.round(committedAt - started)} ms`).toBeGreaterThanOrEqual(5);
    for (const r of during) expect(r.status).toBe(200);
    const sorted = during.map((r) => r.ms).sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
    console.info(`reads during a ${LINES}-line embedded batch (${Math.round(committedAt - started)} ms): ${during.length} reads, p50 ${Math.round(sorted[Math.floor(sorted.length / 2)]!)} ms, p95 ${Math.round(p95)} ms; the same reads with no batch: p50 ${Math.round(idle[Math.floor(idle.length / 2)]!)} ms, p95 ${Math.round(idle[idle.length - 1]!)} ms`);
    // Each read waited at most a statement or two of the batch, never the batch: under a second at
    // p95 (issue #14), or five times this run's idle p95 when the machine is so loaded that idle
    // reads are already slow, or twice the mean time of one chunk of the batch when the machine
    // got loaded during the batch (CI shares two cores between several test files: one run saw
    // p95 1.1 s with idle reads at 42 ms and chunks at 0.9 s). A read waiting for the batch itself
    // would wait many chunks.
    const idleP95 = idle[idle.length - 1]!;
    const chunkMs = (committedAt - started) / Math.ceil(LINES / EMBEDDED_CHUNK_LINES);
    expect(p95).toBeLessThan(Math.max(1000, 5 * idleP95, 2 * chunkMs));
    expect(p95).toBeLessThan((committedAt - started) / 3);
  });
});
