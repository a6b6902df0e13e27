// OSCAL export for N tokens (one positive-control check each) and N/10 findings
// (BENCH_TOKENS, default 200,000; the figure is 1,000,000 / 100,000): the streaming
// writer vs materialising the rows and the document and calling JSON.stringify once, as a naive
// exporter would. Each variant runs in its own child process so peak RSS (getrusage maxRSS) is
// its own; a third run at N/10 shows whether streaming memory stays flat as N grows.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOscalDocument, writeOscalExport } from '../lib/frameworks/export/oscal.ts';
import { syntheticCounts, syntheticSource } from '../lib/frameworks/export/synthetic.ts';
import type { ExportEvidenceRow, ExportFindingRow, ExportMeta, ExportSource } from '../lib/frameworks/export/types.ts';
import { requireBuiltinFramework } from '../lib/frameworks/registry.ts';
import type { BenchResult } from './types.ts';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 200_000);
/** Streaming peak RSS at N over that at N/10: flat memory means close to 1. */
const FLATNESS_TARGET = 1.5;

type Mode = 'stream' | 'stringify';
interface ChildResult {
  mode: Mode;
  tokens: number;
  findings: number;
  ms: number;
  bytes: number;
  maxRssMb: number;
  error?: string;
}

const self = fileURLToPath(import.meta.url);

function benchMeta(): ExportMeta {
  return {
    framework: requireBuiltinFramework('nist-csf-2.0'),
    generatedAt: new Date('2026-11-22T09:00:00.000Z'),
    generatedBy: 'bench@holdfast.local',
    tool: { name: 'Holdfast', version: 'bench' },
  };
}

async function child(mode: Mode, tokens: number): Promise<ChildResult> {
  const findings = Math.floor(tokens / 10);
  const opts = { tokens, findings };
  // Counts come from a GROUP BY in production; computed outside the timed section here.
  const evidence = syntheticCounts(opts);
  const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-bench-oscal-'));
  const file = path.join(dir, 'out.json');
  const t0 = performance.now();
  let error: string | undefined;
  try {
    if (mode === 'stream') {
      await writeOscalExport(benchMeta(), syntheticSource(opts, evidence), createWriteStream(file));
    } else {
      // Naive path: rows loaded like findMany() would, the document built, then one stringify.
      const fRows: ExportFindingRow[] = [];
      for await (const r of syntheticSource(opts, evidence).findings()) fRows.push(r);
      const eRows: ExportEvidenceRow[] = [];
      for await (const r of syntheticSource(opts, evidence).positiveEvidence?.() ?? []) eRows.push(r);
      const inMemory: ExportSource = {
        evidence,
        findings: async function* () {
          yield* fRows;
        },
        positiveEvidence: async function* () {
          yield* eRows;
        },
      };
      const doc = await buildOscalDocument(benchMeta(), inMemory);
      writeFileSync(file, `${JSON.stringify(doc)}\n`);
    }
  } catch (e) {
    error = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0];
  }
  const ms = performance.now() - t0;
  let bytes = 0;
  try {
    bytes = statSync(file).size;
  } catch {
    bytes = 0;
  }
  rmSync(dir, { recursive: true, force: true });
  // maxRSS is in kilobytes on Linux.
  return { mode, tokens, findings, ms, bytes, maxRssMb: process.resourceUsage().maxRSS / 1024, ...(error ? { error } : {}) };
}

function runChild(mode: Mode, tokens: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', self], {
      env: { ...process.env, BENCH_OSCAL_CHILD: mode, BENCH_OSCAL_CHILD_TOKENS: String(tokens) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ChildResult);
      } catch {
        // A child killed by the V8 heap limit prints no result: report it as that variant's error.
        resolve({ mode, tokens, findings: Math.floor(tokens / 10), ms: Number.NaN, bytes: 0, maxRssMb: Number.NaN, error: `exit ${code}: ${err.trim().split('\n').slice(-2).join(' ').slice(0, 200)}` });
      }
    });
  });
}

export async function run(): Promise<BenchResult[]> {
  const stream = await runChild('stream', TOKENS);
  const small = await runChild('stream', Math.max(1000, Math.floor(TOKENS / 10)));
  const naive = await runChild('stringify', TOKENS);
  const label = `${TOKENS.toLocaleString('en-US')} tokens / ${Math.floor(TOKENS / 10).toLocaleString('en-US')} findings`;
  const mb = (b: number) => (b / 1e6).toFixed(1);
  const naiveNote = naive.error ? `JSON.stringify failed: ${naive.error}` : `JSON.stringify wrote ${mb(naive.bytes)} MB`;
  if (stream.error) throw new Error(`streaming export failed: ${stream.error}`);
  const flat = stream.maxRssMb / small.maxRssMb;
  return [
    {
      name: `oscal export time, streaming (${label})`,
      value: stream.ms,
      unit: 'ms',
      baseline: { name: 'single JSON.stringify', value: naive.ms, unit: 'ms' },
      ratio: stream.ms / naive.ms,
      notes: `streaming wrote ${mb(stream.bytes)} MB; ${naiveNote}`,
    },
    {
      name: `oscal export peak RSS, streaming (${label})`,
      value: stream.maxRssMb,
      unit: 'MB',
      baseline: { name: 'single JSON.stringify', value: naive.maxRssMb, unit: 'MB' },
      ratio: stream.maxRssMb / naive.maxRssMb,
      target: '< 0.5× of JSON.stringify',
      pass: naive.error ? true : stream.maxRssMb < 0.5 * naive.maxRssMb,
      notes: naive.error ? `baseline did not complete (${naive.error}); its RSS is at the point of failure` : undefined,
    },
    {
      name: `oscal export peak RSS flatness, streaming N vs N/10`,
      value: stream.maxRssMb,
      unit: 'MB',
      baseline: { name: `streaming ${small.tokens.toLocaleString('en-US')} tokens`, value: small.maxRssMb, unit: 'MB' },
      ratio: flat,
      target: `≤ ${FLATNESS_TARGET}×`,
      pass: flat <= FLATNESS_TARGET,
    },
  ];
}

// Child entry: `node --import tsx bench/oscal-export.bench.ts` with BENCH_OSCAL_CHILD set.
const mode = process.env.BENCH_OSCAL_CHILD as Mode | undefined;
if (mode && process.argv[1] && path.resolve(process.argv[1]) === self) {
  const r = await child(mode, Number(process.env.BENCH_OSCAL_CHILD_TOKENS ?? TOKENS));
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
