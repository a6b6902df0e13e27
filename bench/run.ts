// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose file name contains the
// filter), writes bench/results/latest.json and prints a short table. A module that throws
// becomes an error row; the others still run. Exit code 1 when any module errored, or, with
// BENCH_STRICT=1, when any result misses its target.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, BenchResult } from './types.ts';

export type Row = BenchResult & { module: string; error?: string };

const here = path.dirname(fileURLToPath(import.meta.url));

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return String(Number(n.toPrecision(3)));
}

export function table(rows: Row[]): string {
  const head = ['name', 'value', 'baseline', 'ratio', 'target', 'pass'];
  const body = rows.map((r) =>
    r.error
      ? [r.name, 'ERROR', r.error.slice(0, 60), '', '', 'no']
      : [
          r.name,
          `${fmt(r.value)} ${r.unit}`,
          `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.baseline.unit}`,
          Number.isFinite(r.ratio) && r.ratio !== 0 ? `${r.ratio.toFixed(2)}×` : '—',
          r.target ?? '',
          r.pass === undefined ? (r.notes?.startsWith('skipped') ? 'skipped' : '') : r.pass ? 'yes' : 'no',
        ],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export interface RunOptions {
  /** Substring of the file name; all benchmarks when absent. */
  filter?: string;
  /** Folder holding the *.bench.ts modules (tests point it elsewhere). */
  dir?: string;
  /** Where latest.json goes. */
  outFile?: string;
}

export async function runBenchmarks(options: RunOptions = {}): Promise<{ rows: Row[]; file: string }> {
  const { filter } = options;
  const benchDir = options.dir ?? here;
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !filter || f.includes(filter))
    .sort();
  const rows: Row[] = [];
  const started = Date.now();
  for (const f of files) {
    const module = f.replace(/\.bench\.ts$/, '');
    process.stderr.write(`bench: ${module}…\n`);
    try {
      const mod = (await import(pathToFileURL(path.join(benchDir, f)).href)) as Partial<BenchModule>;
      if (typeof mod.run !== 'function') throw new Error(`${f} exports no run()`);
      const out = await mod.run();
      for (const r of Array.isArray(out) ? out : [out]) rows.push({ ...r, module });
    } catch (e) {
      const message = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'error';
      rows.push({
        module,
        name: module,
        value: Number.NaN,
        unit: '',
        baseline: { name: '', value: Number.NaN, unit: '' },
        ratio: Number.NaN,
        pass: false,
        notes: `error: ${message}`,
        error: message,
      });
    }
  }
  const cpuList = cpus();
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? null,
    filter: filter ?? null,
    durationMs: Date.now() - started,
    // NaN is not JSON: errored rows carry null values and an `error` message.
    results: rows,
  };
  const file = options.outFile ?? path.join(here, 'results', 'latest.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  return { rows, file };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const filter = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const { rows, file } = await runBenchmarks({ filter });
  if (rows.length === 0) process.stderr.write(`bench: no benchmark matches ${filter ?? '(all)'}\n`);
  process.stdout.write(`${table(rows)}\n`);
  process.stderr.write(`bench: wrote ${path.relative(process.cwd(), file)}\n`);
  for (const r of rows) if (r.notes) process.stderr.write(`  ${r.name}: ${r.notes}\n`);
  if (rows.some((r) => r.error) || (process.env.BENCH_STRICT === '1' && rows.some((r) => r.pass === false))) process.exitCode = 1;
  // Database drivers may leave handles open; the results are written, so leave promptly.
  setTimeout(() => process.exit(), 100).unref();
}
