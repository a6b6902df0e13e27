// The configured retention holds in the running server (`next start`), not only in the process
// that read the configuration: the route handlers Next bundles have module instances of their own,
// and a retention kept in a module variable left them on the defaults — an ingest through the API
// judged what it keeps by 400 days, and the maintenance it triggered dropped partitions the
// configuration kept. On both runtimes: the Settings API says the configured retention, and a
// failure 600 days old is kept under a 3,660-day notable retention, through the ingest and the
// maintenance the ingest runs.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTestDatabase, postgresAvailable, RUNTIMES } from '../../testing/databases.ts';
import { hasBuild, runCli, startServerProcess, type ServerProcess } from '../../testing/processes.ts';
import { nginxJsonLine } from '../ingest/testing/generate.ts';
import type { EvidenceStorageView } from './storage.ts';

const RUN = hasBuild() || process.env.CI === 'true';
const DAY = 86_400_000;
const dayStart = (ms: number) => Math.floor(ms / DAY) * DAY;

describe.runIf(RUN)('configured evidence retention through the real server', { timeout: 300_000 }, () => {
  describe.each(RUNTIMES)('%s', (runtime) => {
    let server: ServerProcess | null = null;
    let key = '';
    let dataDir = '';
    let drop: () => Promise<void> = async () => {};

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-retention-server-'));
      let env: Record<string, string> = {
        HOLDFAST_DATA_DIR: dataDir, HOLDFAST_DEMO: 'never', DATABASE_URL: '',
        HOLDFAST_REQUEST_WINDOW_DAYS: '30', HOLDFAST_USAGE_RETENTION_DAYS: '400', HOLDFAST_NOTABLE_RETENTION_DAYS: '3660',
      };
      if (runtime === 'postgres') {
        const pg = await createPostgresTestDatabase({ migrated: true });
        drop = pg.drop;
        env = { ...env, DATABASE_URL: pg.url, HOLDFAST_SECRET_KEY: randomBytes(32).toString('base64') };
      }
      const k = await runCli(['apikey', 'create', '--name', 'admin', '--role', 'admin', '--json'], { env });
      expect(k.code, k.stderr).toBe(0);
      key = (JSON.parse(k.stdout) as { key: string }).key;
      server = await startServerProcess(env);
    }, 240_000);

    afterAll(async () => {
      await server?.stop();
      await drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const get = async <T,>(p: string): Promise<T> => {
      const res = await fetch(`${server!.url}${p}`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status, p).toBe(200);
      return (await res.json()) as T;
    };

    it('keeps what the configuration keeps: the API says so, an old failure is kept and outlives the maintenance an ingest runs', async () => {
      if (!server) return;
      const view = await get<EvidenceStorageView>('/api/v1/evidence/storage');
      expect(view.retention).toEqual({ requestWindowDays: 30, usageRetentionDays: 400, notableRetentionDays: 3660 });
      expect(Object.fromEntries(view.stores.map((s) => [s.table, s.keptDays]))).toEqual({ Request: 30, Usage: 400, Notable: 3660, Hop: 30, HopUsage: 400 });

      // Line 4 of the generator is a failure (FAILED:certificate revoked), line 2 an accepted bearer request.
      expect(JSON.parse(nginxJsonLine(4)).ssl_client_verify).toBe('FAILED:certificate revoked');
      const now = Date.now();
      const oldFailure = nginxJsonLine(4, dayStart(now) - 600 * DAY + 3_600_000);
      const tenDaysAgo = dayStart(now) - 10 * DAY + 3_600_000;
      const res = await fetch(`${server.url}/api/v1/ingest?format=nginx-json&source=edge-retention`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
        body: [oldFailure, nginxJsonLine(2, tenDaysAgo)].join('\n') + '\n',
      });
      const summary = (await res.json()) as { accepted: number; rejected: number; errors: unknown[] };
      expect([res.status, summary.accepted, summary.rejected], JSON.stringify(summary.errors)).toEqual([200, 2, 0]);

      // The ingest's after-commit job evaluates findings (an audit entry), then runs the hourly maintenance.
      const evaluated = async () => {
        const text = await (await fetch(`${server!.url}/api/v1/audit/entries`, { headers: { authorization: `Bearer ${key}` } })).text();
        return text.split('\n').filter(Boolean).some((l) => (JSON.parse(l) as { action: string }).action === 'findings.evaluate');
      };
      await expect.poll(evaluated, { timeout: 60_000, interval: 250 }).toBe(true);
      await new Promise((r) => setTimeout(r, 3_000));
      // A maintenance run on the default 400 days would have dropped the old failure's notable month.
      const after = await get<EvidenceStorageView>('/api/v1/evidence/storage');
      const notable = after.stores.find((s) => s.table === 'Notable')!;
      const month = new Date(dayStart(now) - 600 * DAY);
      expect(notable.oldestFrom).toBe(new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)).toISOString());
      // Its hour is past the 400-day usage retention: counted into no usage month (none made, none dropped).
      expect(after.drops).toEqual([]);
      expect(after.stores.find((s) => s.table === 'Usage')!.oldestFrom).not.toBe(notable.oldestFrom);
      const requestId = (JSON.parse(oldFailure) as { request_id: string }).request_id;
      const events = await (await fetch(`${server.url}/api/v1/events?requestId=${requestId}`, { headers: { authorization: `Bearer ${key}` } })).json() as { items: Array<{ verdict: string }> };
      expect(events.items.map((e) => e.verdict)).toEqual(['cert_revoked']);
    });
  });
});
