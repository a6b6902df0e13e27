// Test databases: every integration test that touches storage runs against both runtimes.
// PGlite in memory, and a fresh database on the PostgreSQL server at 127.0.0.1:5432 that is
// created for the test file and dropped after. With CI=true a missing server fails the run
// instead of skipping.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pgliteTemplateKey } from './template-key.ts';
import { migrateDatabase } from '../db/migrations.ts';
import { openDatabase, type Database } from '../db/open.ts';

export const PG_ADMIN_URL = process.env.HOLDFAST_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function postgresAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`CI=true but PostgreSQL is not reachable at ${PG_ADMIN_URL}`);
    return false;
  }
}

export interface TestDatabase {
  db: Database;
  /** postgresql URL of the throwaway database (postgres runtime only). */
  url?: string;
  drop(): Promise<void>;
}

function postgresUrl(name: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs one statement as the admin, retrying while PostgreSQL says a database is in use (55006). */
async function adminQuery(sql: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(sql);
      return;
    } catch (e) {
      // A pool just closed can leave its backends exiting for a moment; a template in use refuses a copy.
      if ((e as { code?: string }).code !== '55006' || attempt >= 50) throw e;
    } finally {
      await admin.end();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

let postgresTemplate: Promise<string> | undefined;

/**
 * The name of a migrated, empty PostgreSQL database to copy (CREATE DATABASE ... TEMPLATE): running
 * the migrations costs ~5 s per database on the busy CI machine, a copy ~1.5 s. Made once per
 * server and migrations (keyed like the PGlite templates), under a temporary name and renamed, so
 * racing test processes never copy half of one; nobody connects to it after.
 */
async function postgresTemplateName(): Promise<string> {
  const name = `holdfast_template_${pgliteTemplateKey()}`;
  postgresTemplate ??= (async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]).finally(() => c.end());
    if (found.rowCount) return name;
    const building = `${name}_build_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE DATABASE "${building}"`);
    try {
      const db = await openDatabase({ kind: 'postgres', url: postgresUrl(building), poolSize: 1 });
      try {
        await migrateDatabase(db);
      } finally {
        await db.close();
      }
      await adminQuery(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    } catch (e) {
      await adminQuery(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      // Another test process renamed its copy first: use that one.
      if ((e as { code?: string }).code !== '42P04') throw e;
    }
    return name;
  })();
  postgresTemplate.catch(() => (postgresTemplate = undefined));
  return postgresTemplate;
}

/**
 * A new database on the PostgreSQL server, dropped by `drop()`: empty, or with `migrated: true` a
 * copy of a migrated, empty one (what the first process to open it would have left; the code under
 * test still checks the migrations on open).
 */
export async function createPostgresTestDatabase(opts: { migrated?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `holdfast_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(opts.migrated ? `CREATE DATABASE "${name}" TEMPLATE "${await postgresTemplateName()}"` : `CREATE DATABASE "${name}"`);
  return {
    url: postgresUrl(name),
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

function pgliteTemplateFile(): string {
  return path.join(os.tmpdir(), `holdfast-pglite-template-${pgliteTemplateKey()}.tar`);
}

/**
 * A migrated, empty PGlite cluster, dumped once per machine and restored by every test file:
 * PGlite's initdb plus the migrations cost seconds of CPU per test file (tens of seconds when the
 * two cores are busy) and dominated the suite; restoring the dump costs a fraction. The dump is
 * written to a temporary name and renamed, so test processes racing to make it never read half.
 */
async function pgliteTemplate(): Promise<Blob> {
  const file = pgliteTemplateFile();
  if (existsSync(file)) return new Blob([readFileSync(file)]);
  const db = await openDatabase({ kind: 'memory' });
  try {
    await migrateDatabase(db);
    const dump = await db.pglite!.dumpDataDir('none');
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, file);
    return dump;
  } finally {
    await db.close();
  }
}

/** Opens a migrated, empty database of the given runtime. */
export async function openTestDatabase(kind: 'pglite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await openDatabase({ kind: 'memory', loadDataDir: await pgliteTemplate() });
    // Up to date already (the template is keyed by the migrations); checked, never assumed.
    await migrateDatabase(db);
    return { db, drop: () => db.close() };
  }
  const created = await createPostgresTestDatabase({ migrated: true });
  const db = await openDatabase({ kind: 'postgres', url: created.url, poolSize: 4 });
  // Up to date already (a copy of the migrated template); checked, never assumed.
  await migrateDatabase(db);
  return {
    db,
    url: created.url,
    async drop() {
      await db.close();
      await created.drop();
    },
  };
}

/** The runtimes an integration test runs against: both, always in CI. */
export const RUNTIMES: ReadonlyArray<'pglite' | 'postgres'> = ['pglite', 'postgres'];

/**
 * Runs `fn` on a fresh database of each runtime, dropped afterwards: the answer per runtime, or
 * null for PostgreSQL when it is not reachable (a failure under CI=true). For tests that gather
 * what a real gateway wrote once and store it on both runtimes.
 */
export async function onEachRuntime<T>(fn: (t: TestDatabase) => Promise<T>): Promise<Map<'pglite' | 'postgres', T | null>> {
  const out = new Map<'pglite' | 'postgres', T | null>();
  for (const runtime of RUNTIMES) {
    if (runtime === 'postgres' && !(await postgresAvailable())) {
      if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
      out.set(runtime, null);
      continue;
    }
    const t = await openTestDatabase(runtime);
    try {
      out.set(runtime, await fn(t));
    } finally {
      await t.drop();
    }
  }
  return out;
}
