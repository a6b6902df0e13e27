import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchmarks, table } from './run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = `export async function run() {
  return { name: 'fast thing', value: 200, unit: 'ops/s', baseline: { name: 'slow thing', value: 50, unit: 'ops/s' }, ratio: 4, target: '≥ 2×', pass: true };
}`;
writeFileSync(path.join(dir, 'a-good.bench.ts'), good);
writeFileSync(path.join(dir, 'b-broken.bench.ts'), `export async function run() { throw new Error('database exploded'); }`);
writeFileSync(path.join(dir, 'c-empty.bench.ts'), `export const nothing = 1;`);
writeFileSync(path.join(dir, 'helper.ts'), `export const notABench = true;`);

describe('bench runner', () => {
  it('runs every *.bench.ts, turns a throwing or run-less module into an error row, and writes JSON', async () => {
    const outFile = path.join(dir, 'out', 'latest.json');
    const { rows } = await runBenchmarks({ dir, outFile });
    expect(rows.map((r) => [r.module, r.error ?? null])).toEqual([
      ['a-good', null],
      ['b-broken', 'database exploded'],
      ['c-empty', 'c-empty.bench.ts exports no run()'],
    ]);
    const json = JSON.parse(readFileSync(outFile, 'utf8')) as { node: string; cpus: number; results: Array<{ value: number | null; pass?: boolean }> };
    expect(json.node).toBe(process.version);
    expect(json.cpus).toBeGreaterThan(0);
    expect(json.results[0]).toMatchObject({ name: 'fast thing', value: 200, ratio: 4, pass: true });
    // NaN is not JSON: an error row's numbers are null.
    expect(json.results[1]).toMatchObject({ value: null, pass: false });
    const printed = table(rows);
    expect(printed).toMatch(/fast thing\s+200 ops\/s\s+slow thing: 50 ops\/s\s+4\.00×\s+≥ 2×\s+yes/);
    expect(printed).toMatch(/b-broken\s+ERROR\s+database exploded/);
  });

  it('runs only the modules whose file name contains the filter', async () => {
    const { rows } = await runBenchmarks({ dir, filter: 'good', outFile: path.join(dir, 'f.json') });
    expect(rows.map((r) => r.module)).toEqual(['a-good']);
  });
});
