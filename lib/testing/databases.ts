// Test databases: every integration test that touches storage runs against both runtimes.
// PGlite in memory, and a fresh database on the PostgreSQL server at 127.0.0.1:5432 that is
// created for the test file and dropped after. With CI=true a missing server fails the run
// instead of skipping.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
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

export async function createPostgresTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `holdfast_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Opens a migrated, empty database of the given runtime. */
export async function openTestDatabase(kind: 'pglite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await openDatabase({ kind: 'memory' });
    await migrateDatabase(db);
    return { db, drop: () => db.close() };
  }
  const created = await createPostgresTestDatabase();
  const db = await openDatabase({ kind: 'postgres', url: created.url, poolSize: 4 });
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
