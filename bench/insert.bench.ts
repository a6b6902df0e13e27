// Prisma `createMany` vs set-based `INSERT … SELECT FROM unnest(…)` for N token rows
// (BENCH_INSERT_ROWS, default 100,000), on PGlite in memory and on a throwaway PostgreSQL
// database. Same rows, same chunk size, both without an explicit transaction, each method on
// its own fresh database.
import { createHash } from 'node:crypto';
import type { Database } from '../lib/db/open.ts';
import { bulkInsert, type SqlExecutor } from '../lib/db/bulk.ts';
import { tokenColumns } from '../lib/seed/write-estate.ts';
import type { DemoToken } from '../lib/seed/demo-estate.ts';
import { Rng } from '../lib/seed/prng.ts';
import { openTestDatabase, postgresAvailable } from '../lib/testing/databases.ts';
import type { BenchResult } from './types.ts';

const ROWS = Number(process.env.BENCH_INSERT_ROWS ?? 100_000);
const CHUNK = Number(process.env.BENCH_INSERT_CHUNK ?? 5000);
const WARMUP = 1000;
/** Set-based SQL should beat the ORM path by a wide margin, or the hot paths are wrong. */
const TARGET_RATIO = 3;

function makeRows(n: number, identityId: string, salt: string): DemoToken[] {
  const rng = new Rng(`bench-insert:${salt}`);
  const now = Date.UTC(2026, 10, 1);
  const bindings = ['bearer', 'mtls', 'dpop'] as const;
  const rows: DemoToken[] = [];
  for (let i = 0; i < n; i++) {
    const binding = bindings[i % 3]!;
    const ttl = rng.pick([300, 3600, 86_400, 31_536_000]);
    const issuedAt = new Date(now - rng.int(0, 30 * 86_400) * 1000);
    rows.push({
      id: rng.uuid(),
      fingerprint: createHash('sha256').update(`${salt}:${i}:${rng.hex(16)}`).digest('base64url'),
      identityId,
      tokenType: 'access',
      jti: rng.base64url(22),
      issuer: 'https://auth.demo.example/realms/bench',
      subject: `service-account-bench-${i % 97}`,
      clientId: `bench-${i % 97}`,
      audience: ['https://api.internal.demo.example/bench'],
      scopes: i % 7 === 0 ? ['bench:read', 'bench:write'] : ['bench:read'],
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + ttl * 1000),
      ttlSeconds: ttl,
      binding,
      cnfX5tS256: binding === 'mtls' ? rng.base64url(43) : null,
      cnfJkt: binding === 'dpop' ? rng.base64url(43) : null,
      bindingAnomaly: false,
      status: 'active',
      exposure: 'none',
      privileged: i % 7 === 0,
      certificateId: null,
      // Token.sourceId has no foreign key; any uuid will do.
      sourceId: identityId,
      firstSeenAt: issuedAt,
      lastSeenAt: null,
      revokedAt: null,
    });
  }
  return rows;
}

async function viaPrisma(db: Database, rows: DemoToken[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db.prisma.token.createMany({ data: rows.slice(i, i + CHUNK) });
  }
}

async function viaUnnest(db: Database, rows: DemoToken[]): Promise<void> {
  const exec: SqlExecutor = async (sql, params) => ({ rows: await db.query(sql, params) });
  await bulkInsert(exec, 'Token', tokenColumns, rows, CHUNK);
}

/** Wall seconds, and this process's CPU seconds (all of PGlite's work; only the client's for PostgreSQL). */
async function timed(fn: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

type Method = (db: Database, rows: DemoToken[]) => Promise<void>;

/**
 * One method on its own fresh database: warm up (plans, Prisma's engine, JIT), empty the
 * table, then time N rows. Separate databases, so neither path inherits the other's table,
 * index and (for PGlite) WASM memory state.
 */
async function timeMethod(runtime: 'pglite' | 'postgres', method: Method, label: string): Promise<{ wall: number; cpu: number }> {
  const test = await openTestDatabase(runtime);
  try {
    const db = test.db;
    const [identity] = await db.query<{ id: string }>(
      `INSERT INTO "Identity" (name, kind) VALUES ('bench-identity', 'service') RETURNING id`,
    );
    const identityId = identity!.id;
    const count = async () => Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM "Token"'))[0]?.n);
    await method(db, makeRows(WARMUP, identityId, `warm-${label}`));
    await db.query('TRUNCATE "Token" CASCADE');
    const rows = makeRows(ROWS, identityId, 'run');
    const t = await timed(() => method(db, rows));
    const written = await count();
    if (written !== ROWS) throw new Error(`${label} path wrote ${written} rows, expected ${ROWS}`);
    return t;
  } finally {
    await test.drop();
  }
}

async function measure(runtime: 'pglite' | 'postgres'): Promise<BenchResult> {
  const prisma = await timeMethod(runtime, viaPrisma, 'prisma');
  const unnest = await timeMethod(runtime, viaUnnest, 'unnest');
  const setRate = ROWS / unnest.wall;
  const prismaRate = ROWS / prisma.wall;
  const ratio = setRate / prismaRate;
  return {
    name: `insert ${ROWS.toLocaleString('en-US')} tokens · ${runtime}`,
    value: setRate,
    unit: 'rows/s',
    baseline: { name: 'prisma createMany', value: prismaRate, unit: 'rows/s' },
    ratio,
    target: `≥ ${TARGET_RATIO}× prisma`,
    pass: ratio >= TARGET_RATIO,
    notes:
      `set-based ${unnest.wall.toFixed(2)} s (cpu ${unnest.cpu.toFixed(2)} s), prisma ${prisma.wall.toFixed(2)} s ` +
      `(cpu ${prisma.cpu.toFixed(2)} s), chunks of ${CHUNK}; cpu = this process only` +
      (runtime === 'postgres' ? ' (the server works in its own processes)' : ' (PGlite runs in it)'),
  };
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [await measure('pglite')];
  if (await postgresAvailable()) out.push(await measure('postgres'));
  else
    out.push({
      name: `insert ${ROWS.toLocaleString('en-US')} tokens · postgres`,
      value: Number.NaN,
      unit: 'rows/s',
      baseline: { name: 'prisma createMany', value: Number.NaN, unit: 'rows/s' },
      ratio: Number.NaN,
      target: `≥ ${TARGET_RATIO}× prisma`,
      notes: 'skipped: PostgreSQL not reachable at HOLDFAST_TEST_PG_URL',
    });
  return out;
}
