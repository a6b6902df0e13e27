// The worker in a child process is SIGKILLed mid-job and started again: every leg ends
// confirmed exactly once, none is lost, and the peer never sees more calls for a leg than the
// attempts Holdfast records for it (a call cut short by the kill counts as a retry).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../db/migrations.ts';
import { openDatabase, type Database } from '../db/open.ts';
import { createPostgresTestDatabase, postgresAvailable, RUNTIMES } from '../testing/databases.ts';
import { REPO_ROOT } from '../testing/processes.ts';
import { createConnector } from './connector-store.ts';
import { requestRevocation } from './request-revocation.ts';
import { makeIdentity, makeToken, startWebhookReceiver } from './testing/fixtures.ts';

const key = randomBytes(32);
const HMAC = 'sigkill-webhook-secret-000';
const CHILD = path.join(REPO_ROOT, 'lib', 'revocation', 'testing', 'worker-child.ts');
const LEGS = 24;

function startChild(env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: REPO_ROOT, env: { ...process.env, ...env, HOLDFAST_SECRET_KEY: key.toString('base64') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, output: () => out };
}

for (const runtime of RUNTIMES) {
  describe(`SIGKILL mid-job on ${runtime}`, async () => {
    const available = runtime === 'pglite' || (await postgresAvailable());
    const cleanups: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it.skipIf(!available)('the restarted worker completes the job: all legs confirmed once, calls at the peer ≤ attempts, one completion', async () => {
      const hook = await startWebhookReceiver(HMAC);
      cleanups.push(() => hook.close());
      let env: Record<string, string>;
      let open: () => Promise<Database>;
      if (runtime === 'postgres') {
        const pg = await createPostgresTestDatabase();
        cleanups.push(() => pg.drop());
        env = { DATABASE_URL: pg.url };
        open = () => openDatabase({ kind: 'postgres', url: pg.url, poolSize: 2 });
      } else {
        const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-sigkill-'));
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        env = { HOLDFAST_DATA_DIR: dir };
        open = () => openDatabase({ kind: 'pglite', dataDir: dir });
      }
      // Prepare the job, then let go of the database (PGlite: one process at a time).
      let db = await open();
      await migrateDatabase(db);
      await createConnector(db, key, { name: 'hook', kind: 'webhook', matchIssuer: '*', config: { url: hook.url }, secrets: { hmacSecret: HMAC } }, 'test');
      const id = await makeIdentity(db);
      const tokenIds: string[] = [];
      for (let i = 0; i < LEGS; i++) tokenIds.push((await makeToken(db, id.id)).token.id);
      const rev = await requestRevocation(db, key, { tokenIds, reason: 'sigkill drill', actor: 'test' });
      await db.close();

      // Slow peer, so the kill lands while calls are in flight.
      hook.delayMs = 150;
      const first = startChild(env);
      const until = Date.now() + 60_000;
      while (hook.calls.length < 6 && Date.now() < until && first.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      expect(first.child.exitCode, first.output()).toBeNull();
      first.child.kill('SIGKILL');
      await first.exited;
      const callsAtKill = hook.calls.length;
      expect(callsAtKill).toBeGreaterThanOrEqual(6);
      expect(callsAtKill).toBeLessThan(LEGS);

      const second = startChild(env);
      expect(await second.exited, second.output()).toBe(0);

      db = await open();
      try {
        const legs = await db.prisma.revocationLeg.findMany({ where: { revocationId: rev.id } });
        expect(legs).toHaveLength(LEGS);
        expect(legs.filter((l) => l.state !== 'confirmed')).toEqual([]);
        const callsPerLeg = new Map<string, number>();
        for (const c of hook.calls) callsPerLeg.set(c.legId, (callsPerLeg.get(c.legId) ?? 0) + 1);
        for (const l of legs) {
          const calls = callsPerLeg.get(l.id) ?? 0;
          expect(calls, `leg ${l.id}`).toBeGreaterThanOrEqual(1);
          expect(calls, `leg ${l.id} calls vs attempts`).toBeLessThanOrEqual(l.attempts);
        }
        // The legs the killed worker held were taken again after their lease (batch 4).
        expect(legs.some((l) => l.attempts > 1)).toBe(true);
        expect(legs.filter((l) => l.attempts > 1).length).toBeLessThanOrEqual(4);
        expect([...callsPerLeg.keys()].every((k) => legs.some((l) => l.id === k))).toBe(true);
        const r = await db.prisma.revocation.findUniqueOrThrow({ where: { id: rev.id } });
        expect(r.state).toBe('confirmed');
        expect(await db.prisma.auditEntry.count({ where: { action: 'revocation.complete', target: `revocation:${rev.id}` } })).toBe(1);
      } finally {
        await db.close();
      }
    }, 180_000);
  });
}
