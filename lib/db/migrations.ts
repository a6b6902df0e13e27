// Reads prisma/migrations and applies it, or computes the next migration, through the WASM
// schema engine. Keeps Prisma's own `_prisma_migrations` table, so `prisma migrate deploy`
// on a connected machine agrees with what ran here.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import type { Database } from './open.ts';
import { openSchemaEngine } from './schema-engine.ts';

// Resolved from this file when run from source (CLI, server, tests); from the working
// directory when bundled by Next.js (where this file's own URL points into .next/).
function findPrismaDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '..', '..', 'prisma'), path.resolve(process.cwd(), 'prisma')];
  return candidates.find((d) => existsSync(path.join(d, 'schema.prisma'))) ?? candidates[0]!;
}

export const PRISMA_DIR = findPrismaDir();
export const SCHEMA_PATH = path.join(PRISMA_DIR, 'schema.prisma');
export const MIGRATIONS_DIR = path.join(PRISMA_DIR, 'migrations');

const EMPTY_FILTERS = { externalTables: [], externalEnums: [] };

/** Loads prisma/migrations in the shape the schema engine expects. */
export async function loadMigrationsList(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const lockPath = path.join(dir, 'migration_lock.toml');
  const names = existsSync(dir)
    ? (await readdir(dir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok' as const, value: await readFile(path.join(dir, name, 'migration.sql'), 'utf8') },
      },
    })),
  );
  return {
    baseDir: dir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

async function engineFor(adapterFactory: SqlMigrationAwareDriverAdapterFactory, log?: (l: string) => void) {
  const schemaText = await readFile(SCHEMA_PATH, 'utf8');
  return openSchemaEngine({ schemaPath: SCHEMA_PATH, schemaText, adapterFactory, log });
}

/** Applies every migration not yet recorded in `_prisma_migrations`; returns their names. */
export async function applyMigrations(adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const engine = await engineFor(adapterFactory);
  try {
    const migrationsList = await loadMigrationsList();
    const out = await engine.applyMigrations({ migrationsList, filters: EMPTY_FILTERS });
    return out.appliedMigrationNames;
  } finally {
    engine.free();
  }
}

/** SQL that takes the database described by prisma/migrations to prisma/schema.prisma. */
export async function diffMigrationsToSchema(adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<string> {
  const engine = await engineFor(adapterFactory);
  try {
    const schemaText = await readFile(SCHEMA_PATH, 'utf8');
    const migrationsList = await loadMigrationsList();
    const res = await engine.diff({
      from: migrationsList.migrationDirectories.length
        ? { tag: 'migrations', ...migrationsList }
        : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content: schemaText }] },
      script: true,
      exitCode: null,
      filters: EMPTY_FILTERS,
    });
    return res.stdout ?? "";
  } finally {
    engine.free();
  }
}

/**
 * True when every migration in prisma/migrations is recorded as applied and none is failed or
 * half-done: then there is nothing for the schema engine to do. Starting it (a WebAssembly
 * engine) only to learn that took ~0.4-0.5 s of every CLI command and server start. Anything
 * else — a fresh database, a new migration, a failed one — goes to the engine, which applies,
 * locks and reports exactly as before (`migrate deploy` semantics: applied migrations are not
 * re-checked either way).
 */
async function upToDate(db: Pick<Database, 'query'>): Promise<boolean> {
  const names = existsSync(MIGRATIONS_DIR)
    ? (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)
    : [];
  let rows: Array<{ migration_name: string; done: boolean }>;
  try {
    rows = await db.query(
      `SELECT migration_name, (finished_at IS NOT NULL) AS done FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
  } catch {
    return false; // no migrations table yet
  }
  if (rows.some((r) => !r.done)) return false;
  const applied = new Set(rows.map((r) => r.migration_name));
  return names.every((n) => applied.has(n));
}

/** Brings a database up to prisma/migrations. Run by the server at start and by the CLI. */
export async function migrateDatabase(db: Pick<Database, 'adapterFactory' | 'query'>): Promise<string[]> {
  if (await upToDate(db)) return [];
  return applyMigrations(db.adapterFactory);
}
