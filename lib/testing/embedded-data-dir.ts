// Test-only: a CLI or server process started by a test on a new embedded data directory starts
// from a migrated copy instead of running PGlite's initdb and every migration itself (4-8 s of CPU
// per directory, paid by ~35 test files; measured: first CLI run on a new directory 7.1 s, on a
// migrated one 2.5 s). The template cluster is made once per machine, keyed like the in-memory
// template (lib/testing/databases.ts) by the migrations and the PGlite version, built under a
// temporary name and renamed, so racing test processes never copy half of one. The copy is what the
// first process would have left: a migrated, empty database - the code under test still opens it,
// checks the migrations and runs its maintenance as on any start.
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pgliteTemplateKey } from './template-key.ts';

async function templateCluster(): Promise<string> {
  const root = path.join(os.tmpdir(), `holdfast-pglite-datadir-${pgliteTemplateKey()}`);
  const cluster = path.join(root, 'pgdata');
  if (existsSync(cluster)) return cluster;
  const building = mkdtempSync(`${root}.build-`);
  const { openDatabase } = await import('../db/open.ts');
  const { migrateDatabase } = await import('../db/migrations.ts');
  const db = await openDatabase({ kind: 'pglite', dataDir: building });
  try {
    await migrateDatabase(db);
  } finally {
    await db.close();
  }
  rmSync(path.join(building, 'holdfast.lock'), { force: true });
  try {
    renameSync(building, root);
  } catch {
    // Another test process finished one first: use it.
    rmSync(building, { recursive: true, force: true });
  }
  return cluster;
}

/**
 * Gives the embedded data directory named by `env` (HOLDFAST_DATA_DIR, unless DATABASE_URL picks
 * PostgreSQL) a migrated cluster when the directory exists and has none yet; anything else is left as it is.
 */
export async function seedEmbeddedDataDir(env: Record<string, string | undefined>): Promise<void> {
  const merged = { ...process.env, ...env };
  const dir = merged.HOLDFAST_DATA_DIR;
  if (!dir || merged.DATABASE_URL) return;
  // Only a directory the test made: a command that never opens the database must not find one
  // created for it (verify.test.ts checks the pure verbs leave no data directory behind).
  const pgdata = path.join(dir, 'pgdata');
  if (!existsSync(dir) || existsSync(pgdata)) return;
  cpSync(await templateCluster(), pgdata, { recursive: true });
}
