// Test-only: the name of a migrated PGlite template (in-memory dump, lib/testing/databases.ts; data
// directory, lib/testing/embedded-data-dir.ts). What a template holds is decided by the migrations'
// contents and the PGlite version, so a changed migration or upgrade makes a new one.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every file under a directory, relative paths sorted. */
function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel))
    .sort()
    .flatMap((name) => (statSync(path.join(dir, rel, name)).isDirectory() ? filesUnder(dir, path.join(rel, name)) : [path.join(rel, name)]));
}

export function pgliteTemplateKey(): string {
  const h = createHash('sha256');
  const migrations = path.join(ROOT, 'prisma', 'migrations');
  for (const f of filesUnder(migrations)) h.update(f).update('\0').update(readFileSync(path.join(migrations, f))).update('\0');
  h.update((JSON.parse(readFileSync(path.join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string }).version);
  return h.digest('hex').slice(0, 16);
}
