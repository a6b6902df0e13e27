// The pipeline's parse call (openParseStream: line batches → parser, with the per-line check for
// NUL and lone surrogates that PostgreSQL cannot store) against the same driver without that
// check, over the nginx-json log of ingest-parse.bench.ts.
// BENCH_LINES (default 200,000) lines, BENCH_ROUNDS (default 5) interleaved rounds, best of each.
// The check is one indexOf for NUL and one for a backslash per line: it must cost under 10 %.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLineBatches } from '../lib/ingest/line-reader.ts';
import { openParseStream, type ParsedLine } from '../lib/ingest/parse-stream.ts';
import { finalizeResult, PARSERS } from '../lib/ingest/registry.ts';
import { createParseContext, err } from '../lib/ingest/types.ts';
import { generate } from './ingest-parse.bench.ts';
import type { BenchResult } from './types.ts';

const LINES = Number(process.env.BENCH_LINES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_RATIO = 0.9;

const open = (file: string) => createReadStream(file, { highWaterMark: 256 * 1024 });

/** openParseStream, as lib/services/ingest calls it; returns [lines, events]. */
async function viaStream(file: string): Promise<[number, number]> {
  const { batches } = await openParseStream(open(file), { format: 'nginx-json' });
  let lines = 0;
  let events = 0;
  for await (const b of batches) {
    lines += b.length;
    for (const p of b) if (p.result.kind === 'event') events++;
  }
  return [lines, events];
}

/**
 * The stream driver as it was before the check (lib/ingest/parse-stream.ts parseBatch without the
 * unsafe-line test): the same batches, one ParsedLine per line, pending results drained.
 */
async function withoutCheck(file: string): Promise<[number, number]> {
  const parser = PARSERS['nginx-json'];
  const ctx = createParseContext();
  let lines = 0;
  let events = 0;
  for await (const items of readLineBatches(open(file))) {
    const out: ParsedLine[] = [];
    for (const item of items) {
      if ('error' in item) {
        out.push({ lineNo: item.lineNo, result: err(item.error, item.message) });
        continue;
      }
      out.push({ lineNo: item.lineNo, result: parser.parseLine(item.text, ctx) });
      if (ctx.pending.length) for (const r of ctx.pending.splice(0)) out.push({ lineNo: item.lineNo, result: finalizeResult(r) });
    }
    lines += out.length;
    for (const p of out) if (p.result.kind === 'event') events++;
  }
  return [lines, events];
}

async function timed(fn: () => Promise<[number, number]>): Promise<[[number, number], number]> {
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return [v, Number(process.hrtime.bigint() - t0) / 1e9];
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-bench-stream-'));
  try {
    const file = join(dir, 'access.json');
    await generate(file, LINES);
    await withoutCheck(file);
    await viaStream(file);
    let stream = 0;
    let base = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const [[bl, be], tb] = await timed(() => withoutCheck(file));
      const [[sl, se], ts] = await timed(() => viaStream(file));
      if (bl !== LINES || sl !== LINES || be !== LINES || se !== LINES) throw new Error(`count mismatch: direct ${bl}/${be}, stream ${sl}/${se}, expected ${LINES}`);
      base = Math.max(base, LINES / tb);
      stream = Math.max(stream, LINES / ts);
    }
    return [
      {
        name: 'ingest parse stream (with NUL/surrogate line check) lines/s',
        value: stream,
        unit: 'lines/s',
        baseline: { name: 'the same driver without the line check', value: base, unit: 'lines/s' },
        ratio: stream / base,
        target: `≥ ${TARGET_RATIO}× baseline`,
        pass: stream / base >= TARGET_RATIO,
        notes: `${LINES.toLocaleString('en-US')} nginx-json lines, best of ${ROUNDS} interleaved rounds`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
