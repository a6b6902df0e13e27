// What one short `holdfast` command costs on the embedded database: `holdfast user list --json` on
// a migrated data directory, run BENCH_CLI_RUNS times (default 6), its CPU (user + system, the
// process and its threads: V8 compiles on background threads) and wall time. Baseline, in the same
// run and alternated with it: the same command with node started with V8's default WebAssembly
// tiering budget (--wasm-tiering-budget=1800000), which the CLI leaves alone (lib/db/target.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedEmbeddedDataDir } from '../lib/testing/embedded-data-dir.ts';
import type { BenchResult } from './types.ts';

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 6);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'holdfast.mjs');
const TARGET = 0.75;

/** CPU seconds of this process's waited-for children (Linux: cutime + cstime in /proc/self/stat). */
function childrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function once(nodeFlags: string[], dataDir: string): { cpu: number; ms: number } {
  const cpu0 = childrenCpu();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeFlags, CLI, 'user', 'list', '--json'], { env: { ...process.env, HOLDFAST_DATA_DIR: dataDir, DATABASE_URL: '' }, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`holdfast user list exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  return { cpu: childrenCpu() - cpu0, ms };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-bench-cli-'));
  try {
    await seedEmbeddedDataDir({ HOLDFAST_DATA_DIR: dir, DATABASE_URL: '' });
    once([], dir); // the page cache warm for both
    const ours: Array<{ cpu: number; ms: number }> = [];
    const base: Array<{ cpu: number; ms: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(once([], dir));
      base.push(once(['--wasm-tiering-budget=1800000'], dir));
    }
    const cpu = mean(ours.map((r) => r.cpu));
    const cpuBase = mean(base.map((r) => r.cpu));
    const ms = mean(ours.map((r) => r.ms));
    const msBase = mean(base.map((r) => r.ms));
    return [
      {
        name: 'holdfast user list (embedded): CPU per command',
        value: Number(cpu.toFixed(2)),
        unit: 's',
        baseline: { name: "V8's default tiering budget", value: Number(cpuBase.toFixed(2)), unit: 's' },
        ratio: cpu / cpuBase,
        target: `≤ ${TARGET}×`,
        pass: cpu / cpuBase <= TARGET,
        notes: `${RUNS} runs each, alternated`,
      },
      {
        name: 'holdfast user list (embedded): wall time per command',
        value: Math.round(ms),
        unit: 'ms',
        baseline: { name: "V8's default tiering budget", value: Math.round(msBase), unit: 'ms' },
        ratio: ms / msBase,
        notes: `${RUNS} runs each, alternated`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
