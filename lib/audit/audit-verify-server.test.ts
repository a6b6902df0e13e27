// Issue #14 item 8 through the product as people run it: the real server (scripts/start.mjs) and
// the `holdfast` binary. A database writer deletes the newest audit entry, or rewrites it with a
// recomputed SHA-256; GET /api/v1/audit/verify and `holdfast audit verify` (directly on the
// database and through --server) both report it with the entry, and the CLI exits 1 with one
// line. An untouched chain still verifies after a server restart.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/open.ts';
import { createPostgresTestDatabase, postgresAvailable, RUNTIMES } from '../testing/databases.ts';
import { hasBuild, runCli, startServerProcess, type RunResult } from '../testing/processes.ts';
import { auditRows, rewriteEntry } from './testing/tamper.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Setup {
  env: Record<string, string>;
  anchorFile: string;
  /** Opens the database as an attacker with SQL access would (the server is stopped: PGlite has one owner). */
  open(): Promise<Database>;
  drop(): Promise<void>;
}

async function setUp(runtime: 'pglite' | 'postgres'): Promise<Setup> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-audit-server-'));
  dirs.push(dataDir);
  const base = { HOLDFAST_DATA_DIR: dataDir, HOLDFAST_DEMO: 'never', HOLDFAST_ADMIN_EMAIL: 'admin@example.com', HOLDFAST_ADMIN_PASSWORD: 'a long passphrase for tests' };
  if (runtime === 'pglite') {
    return { env: base, anchorFile: path.join(dataDir, 'audit-anchor.json'), open: () => openDatabase({ kind: 'pglite', dataDir }), drop: async () => {} };
  }
  const pg = await createPostgresTestDatabase({ migrated: true });
  const anchorFile = path.join(dataDir, 'anchor', 'audit-anchor.json');
  mkdirSync(path.dirname(anchorFile));
  return {
    env: { ...base, DATABASE_URL: pg.url, HOLDFAST_SECRET_KEY: randomBytes(32).toString('base64'), HOLDFAST_AUDIT_ANCHOR_FILE: anchorFile },
    anchorFile,
    open: () => openDatabase({ kind: 'postgres', url: pg.url, poolSize: 1 }),
    drop: pg.drop,
  };
}

function expectOneLineFailure(r: RunResult, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n').filter((l) => !/^npm warn/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

const newestOf = async (db: Database) => (await auditRows(db)).at(-1)!;

for (const runtime of RUNTIMES) {
  describe.runIf(hasBuild() || process.env.CI === 'true')(`audit verify through the server and the CLI on ${runtime}`, () => {
    it('reports a deleted newest entry as truncation and a rewritten one as a MAC mismatch; an untouched chain verifies after a restart', async (ctx) => {
      if (runtime === 'postgres' && !(await postgresAvailable())) ctx.skip();
      const s = await setUp(runtime);
      try {
        const key = await runCli(['apikey', 'create', '--name', 'auditor-bot', '--role', 'admin', '--json'], { env: s.env });
        expect(key.code, key.stderr).toBe(0);
        const apiKey = JSON.parse(key.stdout).key as string;
        const auth = { authorization: `Bearer ${apiKey}` };
        const verifyApi = async (url: string) => {
          const res = await fetch(`${url}/api/v1/audit/verify`, { headers: auth });
          expect(res.status).toBe(200);
          return (await res.json()) as { ok: boolean; entries: number; firstBadEntry: string | null; reason: string | null; problem: string | null };
        };
        const cliVerify = (extra: string[] = []) => runCli(['audit', 'verify', '--json', ...extra], { env: s.env });

        // First run: audited changes through the API; verification anchors the head outside the database.
        let server = await startServerProcess(s.env);
        try {
          for (const name of ['gw-a', 'gw-b']) {
            const res = await fetch(`${server.url}/api/v1/api-keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name, role: 'analyst' }) });
            expect(res.status, await res.clone().text()).toBeLessThan(300);
          }
          expect(await verifyApi(server.url)).toMatchObject({ ok: true, firstBadEntry: null });
        } finally {
          expect(await server.stop()).toBe(0);
        }
        expect(existsSync(s.anchorFile)).toBe(true);

        // A restart changes nothing.
        server = await startServerProcess(s.env);
        try {
          expect(await verifyApi(server.url)).toMatchObject({ ok: true, entries: 4, firstBadEntry: null });
        } finally {
          await server.stop();
        }
        expect(JSON.parse((await cliVerify()).stdout)).toMatchObject({ ok: true, entries: 4 });

        // The newest entry deleted.
        let db = await s.open();
        const newest = await newestOf(db);
        await db.query(`DELETE FROM "AuditEntry" WHERE seq = $1::bigint`, [newest.seq]);
        await db.close();
        const truncated = await cliVerify();
        expectOneLineFailure(truncated, new RegExp(`^holdfast: audit chain broken at entry ${newest.seq} \\(truncated\\): the chain ends at entry \\d+ but entry ${newest.seq} was anchored`));
        expect(JSON.parse(truncated.stdout)).toMatchObject({ ok: false, firstBadEntry: newest.seq, reason: 'truncated' });
        server = await startServerProcess(s.env);
        try {
          expect(await verifyApi(server.url)).toMatchObject({ ok: false, firstBadEntry: newest.seq, reason: 'truncated' });
          expectOneLineFailure(await cliVerify(['--server', server.url, '--api-key', apiKey]), new RegExp(`^holdfast: audit chain broken at entry ${newest.seq} \\(truncated\\)`));
        } finally {
          await server.stop();
        }

        // Put it back; then rewrite it and give it the SHA-256 its new content calls for.
        db = await s.open();
        await db.query(`INSERT INTO "AuditEntry" (seq, at, actor, action, target, details, "prevHash", hash, mac) VALUES ($1::bigint, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)`, [
          newest.seq, newest.at, newest.actor, newest.action, newest.target, JSON.stringify(newest.details), newest.prevHash, newest.hash, newest.mac,
        ]);
        await rewriteEntry(db, newest, { role: 'admin' });
        await db.close();
        const rewritten = await cliVerify();
        expectOneLineFailure(rewritten, new RegExp(`^holdfast: audit chain broken at entry ${newest.seq} \\(mac_mismatch\\): its MAC does not match`));
        expect(JSON.parse(rewritten.stdout)).toMatchObject({ ok: false, firstBadEntry: newest.seq, reason: 'mac_mismatch' });
        server = await startServerProcess(s.env);
        try {
          expect(await verifyApi(server.url)).toMatchObject({ ok: false, firstBadEntry: newest.seq, reason: 'mac_mismatch' });
          expectOneLineFailure(await cliVerify(['--server', server.url, '--api-key', apiKey]), /\(mac_mismatch\)/);
        } finally {
          await server.stop();
        }
      } finally {
        await s.drop();
      }
    }, 400_000); // four real server starts
  });
}
