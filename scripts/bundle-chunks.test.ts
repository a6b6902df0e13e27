// The CLI bundle is split at dynamic imports so that a command loads only its own code: these check
// the chunk graph esbuild makes with the options scripts/build-bundles.mjs uses (nothing is written).
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module of the scripts, without types
import { bundleOptions } from './build-bundles.mjs';

let meta: Metafile;
beforeAll(async () => {
  meta = (await build({ ...bundleOptions('cli'), write: false })).metafile!;
});

/** The output chunk whose entry (the entry point or a dynamic import) is `source`. */
function chunkOf(source: string): string {
  const found = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === source);
  if (!found) throw new Error(`no chunk has ${source} as its entry`);
  return found[0];
}

/** Source files and packages a process loads once it has imported these chunks (static imports followed, dynamic ones not). */
function loaded(chunks: string[]): { sources: Set<string>; packages: Set<string> } {
  const seen = new Set<string>();
  const sources = new Set<string>();
  const packages = new Set<string>();
  const visit = (chunk: string) => {
    if (seen.has(chunk)) return;
    seen.add(chunk);
    const out = meta.outputs[chunk]!;
    for (const s of Object.keys(out.inputs)) sources.add(s);
    for (const i of out.imports) {
      if (i.kind !== 'import-statement') continue;
      if (i.external) packages.add(i.path);
      else visit(i.path);
    }
  };
  chunks.forEach(visit);
  return { sources, packages };
}

// What every command that opens the database loads (lib/cli/main.ts, withDb).
const WITH_DB = ['lib/db/open.ts', 'lib/db/migrations.ts', 'lib/services/evidence/maintenance.ts', 'lib/audit/anchoring.ts'];
const HEAVY_PACKAGES = ['@electric-sql/pglite', '@prisma/client/runtime/client', 'pg', 'pglite-prisma-adapter', '@peculiar/x509', 'pg-copy-streams', 'pdfkit'];

describe('CLI bundle chunks', () => {
  // Command modules may import the zod schemas of what they send and receive (trust/schemas.ts,
  // evidence/hold-schemas.ts, evidence/storage-schemas.ts): zod and a few checks, none of the
  // services behind them.
  it('--help and usage errors load no database driver, Prisma, X.509 or command code', () => {
    const { sources, packages } = loaded([chunkOf('lib/cli/main.ts')]);
    for (const p of HEAVY_PACKAGES) expect(packages, p).not.toContain(p);
    const commandCode = [...sources].filter((s) => /^lib\/(services\/(?!trust\/schemas|evidence\/(hold|storage)-schemas)|ingest\/formats|revocation|seed|frameworks\/export\/(?!types)|db\/generated)/.test(s));
    expect(commandCode).toEqual([]);
    expect(sources.size).toBeLessThan(40);
  });

  it('summary loads the database and its own query, not ingest, exports, revocation or the demo seed', () => {
    const { sources, packages } = loaded([chunkOf('lib/cli/main.ts'), ...WITH_DB.map(chunkOf), chunkOf('lib/services/summary.ts')]);
    expect(sources).toContain('lib/services/summary.ts');
    expect(sources).toContain('lib/db/open.ts');
    expect(packages).not.toContain('pdfkit');
    expect(packages).not.toContain('pg-copy-streams');
    for (const s of ['lib/services/ingest/index.ts', 'lib/ingest/index.ts', 'lib/frameworks/export/pdf.ts', 'lib/revocation/run-revocation-worker.ts', 'lib/seed/seed-demo.ts']) {
      expect(sources, s).not.toContain(s);
    }
  });

  it('ingest and export keep their code in chunks of their own', () => {
    const main = loaded([chunkOf('lib/cli/main.ts')]).sources;
    expect(loaded([chunkOf('lib/cli/commands/ingest-run.ts')]).sources).toContain('lib/services/ingest/index.ts');
    expect(main).not.toContain('lib/services/ingest/index.ts');
    expect(loaded([chunkOf('lib/services/frameworks/index.ts')]).sources).toContain('lib/frameworks/export/pdf.ts');
    expect(main).not.toContain('lib/frameworks/export/pdf.ts');
  });
});
