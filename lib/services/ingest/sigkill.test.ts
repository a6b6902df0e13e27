// The real CLI ingests a large generated NGINX log as a child process and is SIGKILLed in the
// middle of the batch (after it reported chunks written inside the transaction): nothing of
// the batch is visible afterwards, and re-sending the file yields exactly the full data. On
// both runtimes (PGlite recovers its data directory; PostgreSQL rolls the transaction back).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/open.ts';
import { createPostgresTestDatabase, postgresAvailable, RUNTIMES } from '../../testing/databases.ts';
import { CLI, REPO_ROOT, runCli } from '../../testing/processes.ts';
import { writeNginxJsonLog } from './testing/generate.ts';

const LINES = Number(process.env.INGEST_SIGKILL_LINES ?? 30_000);

async function counts(db: Database) {
  const [r] = await db.query<{ events: number; batches: number; committed: number; identities: number; certificates: number }>(`SELECT
    (SELECT count(*)::int FROM "evidence"."Request") AS events, (SELECT count(*)::int FROM "IngestBatch") AS batches,
    (SELECT count(*)::int FROM "IngestBatch" WHERE state = 'committed') AS committed,
    (SELECT count(*)::int FROM "Identity") AS identities, (SELECT count(*)::int FROM "Certificate") AS certificates`);
  return r!;
}

for (const runtime of RUNTIMES) {
  describe(`SIGKILL in the middle of an ingest batch on ${runtime}`, async () => {
    const available = runtime === 'pglite' || (await postgresAvailable());
    const cleanups: Array<() => Promise<void> | void> = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it.skipIf(!available)('leaves no partial batch; re-sending yields exactly the full data', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-ingest-kill-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const file = path.join(dir, 'access.json');
      await writeNginxJsonLog(file, LINES);
      let env: Record<string, string>;
      let open: () => Promise<Database>;
      if (runtime === 'postgres') {
        const pg = await createPostgresTestDatabase();
        cleanups.push(() => pg.drop());
        env = { DATABASE_URL: pg.url, HOLDFAST_DATA_DIR: path.join(dir, 'unused'), HOLDFAST_SECRET_KEY: randomBytes(32).toString('base64') };
        open = () => openDatabase({ kind: 'postgres', url: pg.url, poolSize: 2 });
      } else {
        env = { HOLDFAST_DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '' };
        open = () => openDatabase({ kind: 'pglite', dataDir: path.join(dir, 'data') });
      }
      const migrated = await runCli(['migrate', '--json'], { env, timeoutMs: 120_000 });
      expect(migrated.code, migrated.stderr).toBe(0);

      // Small chunks so that several are written inside the one transaction before the kill.
      const child = spawn(process.execPath, [CLI, 'ingest', file, '--format', 'nginx-json', '--source', 'big', '--json', '--progress'], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env, HOLDFAST_INGEST_CHUNK: '2000' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
      const linesAtKill = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no progress within 120 s: ${stderr}`)), 120_000);
        child.stderr.on('data', (d) => {
          stderr += d;
          const seen = [...stderr.matchAll(/progress: (\d+) lines/g)].map((m) => Number(m[1]));
          const lines = Math.max(0, ...seen);
          // Chunks of 2,000 were written; the file holds many more.
          if (lines >= 6000 && lines < LINES) {
            clearTimeout(timer);
            child.kill('SIGKILL');
            resolve(lines);
          }
        });
        child.on('exit', () => {
          clearTimeout(timer);
          reject(new Error(`the ingest finished before it could be killed (raise INGEST_SIGKILL_LINES): ${stdout} ${stderr}`));
        });
      });
      const how = await exited;
      expect(how.signal).toBe('SIGKILL');
      expect(linesAtKill).toBeLessThan(LINES);
      expect(stdout).toBe('');

      let db = await open();
      try {
        expect(await counts(db)).toEqual({ events: 0, batches: 0, committed: 0, identities: 0, certificates: 0 });
      } finally {
        await db.close();
      }

      const again = await runCli(['ingest', file, '--format', 'nginx-json', '--source', 'big', '--json'], { env, timeoutMs: 600_000 });
      expect(again.code, again.stderr).toBe(0);
      const summary = JSON.parse(again.stdout) as { linesRead: number; accepted: number; rejected: number; duplicates: number };
      expect(summary).toMatchObject({ linesRead: LINES, accepted: LINES, rejected: 0, duplicates: 0 });
      db = await open();
      try {
        const c = await counts(db);
        expect(c).toMatchObject({ events: LINES, batches: 1, committed: 1 });
        // 200 workloads in the generated log; 40 of them only ever call without a certificate
        // (nothing names them), the other 160 by their certificate's CN.
        expect(c.identities).toBe(160);
        const [dupes] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT "key" FROM "evidence"."Request" GROUP BY 1 HAVING count(*) > 1) d`);
        expect(dupes!.n).toBe(0);
      } finally {
        await db.close();
      }
    }, 900_000);
  });
}
