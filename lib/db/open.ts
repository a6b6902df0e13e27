// One factory, two runtimes: PGlite in-process (embedded default, data in a directory,
// locked to one process) or a PostgreSQL server (DATABASE_URL). Same schema, same SQL.
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type pg from 'pg';
import { HoldfastError } from '../errors.ts';
import { PrismaClient } from './generated/client.ts';
import { acquireDataDirLock, type DataDirLock } from './lock.ts';
import { PgliteReadGate } from './read-gate.ts';

export type DbTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** `sharedBuffers`: PGlite's shared_buffers for this start (SHORT_LIVED_SHARED_BUFFERS in ./target.ts), else what initdb wrote (128MB). */
  | { kind: 'pglite'; dataDir: string; sharedBuffers?: string }
  /** In memory; `loadDataDir` restores a cluster dumped by PGlite's dumpDataDir instead of running initdb. */
  | { kind: 'memory'; loadDataDir?: Blob };

export interface Database {
  kind: 'pglite' | 'postgres';
  prisma: PrismaClient;
  /** Raw SQL with $1… parameters, for set-based hot paths and aggregates. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The underlying driver: a PGlite instance or a pg.Pool. */
  pglite?: PGlite;
  /** PGlite only: the batch transaction that serves GET requests' reads between its statements (lib/db/read-gate.ts). */
  readGate?: PgliteReadGate;
  pool?: pg.Pool;
  /** The Prisma driver adapter factory, for the schema engine (lib/db/migrations.ts). */
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}


function describePgError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err.code === 'ECONNREFUSED') return 'connection refused';
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return 'host not found';
  if (err.code === '3D000') return 'database does not exist';
  if (err.code === '28P01' || err.code === '28000') return 'authentication failed';
  return (err.message ?? String(e)).split('\n')[0] ?? 'unknown error';
}

// Each runtime's driver loads when it is opened: the embedded CLI never loads pg and its Prisma
// adapter (measured: their import took as long as PGlite's on this machine), a server on
// DATABASE_URL never loads PGlite.
async function openPostgres(url: string, poolSize = 10): Promise<Database> {
  const [{ default: pg }, { PrismaPg }] = await Promise.all([import('pg'), import('@prisma/adapter-pg')]);
  // int8 (counts, bigint ids) as JS numbers for the pg driver too; PGlite already does so for
  // values in the safe range. Ids above 2^53 are not reachable by this product's volumes.
  pg.types.setTypeParser(20, (v) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // An idle client's error (server restart) must not crash the process; the next query retries.
  pool.on('error', () => {});
  // A checked-out client loses the pool's idle listener: a server restart while it sits between
  // two queries (ingest parsing its next chunk inside a batch transaction) would emit an
  // unhandled 'error' and kill the process. The failure still reaches the caller through its next
  // query ("not queryable"), which rolls back and answers 503.
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    await pool.query('select 1');
  } catch (e) {
    await pool.end().catch(() => {});
    const host = (() => {
      try {
        const u = new URL(url);
        return `${u.hostname}:${u.port || 5432}${u.pathname}`;
      } catch {
        return 'the server';
      }
    })();
    throw new HoldfastError('db_unreachable', `cannot reach PostgreSQL at ${host}: ${describePgError(e)}`);
  }
  const factory = new PrismaPg(pool);
  const prisma = new PrismaClient({ adapter: factory });
  // Prisma's schema engine takes a session-level advisory lock for `migrate` and does not release
  // it: on a shared pool that connection stays open, and a second app instance starting on the
  // same database waits forever in pg_advisory_lock. Migrations get their own one-connection
  // pool whose idle connection closes a second later, which releases the lock.
  const migrationPool = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 1000, connectionTimeoutMillis: 5000 });
  migrationPool.on('error', () => {});
  const migrationFactory = new PrismaPg(migrationPool);
  return {
    kind: 'postgres',
    prisma,
    pool,
    async query<T>(sql: string, params: unknown[] = []) {
      const r = await pool.query(sql, params);
      return r.rows as T[];
    },
    adapterFactory: migrationFactory as unknown as SqlMigrationAwareDriverAdapterFactory,
    async close() {
      await prisma.$disconnect().catch(() => {});
      await pool.end().catch(() => {});
      await migrationPool.end().catch(() => {});
    },
  };
}

// mkdir -p by hand: Node 20's recursive mkdirSync never returns on some pseudo file systems
// (seen with /proc), which would hang start-up instead of reporting the bad directory.
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!existsSync(d)) {
    missing.unshift(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing) mkdirSync(m, { mode: 0o700 });
}

async function openPglite(dataDir: string | null, loadDataDir?: Blob, sharedBuffers?: string): Promise<Database> {
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  let lock: DataDirLock | undefined;
  if (dataDir) {
    try {
      makeDirs(dataDir);
      accessSync(dataDir, constants.W_OK);
    } catch (e) {
      throw new HoldfastError(
        'data_dir_unwritable',
        `data directory ${dataDir} is not writable (${(e as NodeJS.ErrnoException).code ?? 'error'}); set HOLDFAST_DATA_DIR to a writable folder`,
      );
    }
    lock = acquireDataDirLock(dataDir);
  }
  let db: PGlite;
  try {
    const startParams = sharedBuffers ? { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] } : {};
    db = dataDir ? new PGlite(`${dataDir}/pgdata`, startParams) : new PGlite(loadDataDir ? { loadDataDir } : undefined);
    await db.waitReady;
  } catch (e) {
    lock?.release();
    throw new HoldfastError('db_unreachable', `cannot open the embedded database in ${dataDir}: ${(e as Error).message}`);
  }
  // Before Prisma's adapter is made: it calls db.query, which the gate wraps.
  const readGate = new PgliteReadGate(db);
  const factory = new PrismaPGlite(db);
  const prisma = new PrismaClient({ adapter: factory });
  let closed = false;
  return {
    kind: 'pglite',
    prisma,
    pglite: db,
    readGate,
    async query<T>(sql: string, params: unknown[] = []) {
      const r = await db.query<T>(sql, params);
      return r.rows;
    },
    adapterFactory: factory as unknown as SqlMigrationAwareDriverAdapterFactory,
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect().catch(() => {});
      await db.close().catch(() => {});
      lock?.release();
    },
  };
}

/** Opens the database a target names. Throws HoldfastError with a one-line reason. */
export async function openDatabase(target: DbTarget): Promise<Database> {
  switch (target.kind) {
    case 'postgres':
      return openPostgres(target.url, target.poolSize);
    case 'pglite':
      return openPglite(target.dataDir, undefined, target.sharedBuffers);
    case 'memory':
      return openPglite(null, target.loadDataDir);
  }
}
