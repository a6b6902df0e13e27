// The server's maintenance clock drops what retention ended without any ingest to trigger it, and
// records the drop; stop() waits for a run in progress. On both runtimes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { startEvidenceMaintenance } from './maintenance.ts';

describe.each(RUNTIMES)('evidence maintenance clock on %s', (runtime) => {
  let t: TestDatabase | null = null;
  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
  });
  afterAll(async () => t?.drop());

  it('drops a partition past its retention on its own, on the record', async () => {
    if (!t) return;
    // A ledger day of 2020, long past any window (left detached, as an interrupted drop leaves it).
    await t.db.query(`CREATE TABLE "evidence"."Request_20200101" (LIKE "evidence"."Request" INCLUDING ALL)`);
    const lines: string[] = [];
    const loop = startEvidenceMaintenance(t.db, { log: (l) => lines.push(l), everyMs: 50 });
    try {
      await expect
        .poll(async () => (await t!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname = 'Request_20200101'`))[0]!.n, { timeout: 20_000 })
        .toBe(0);
    } finally {
      await loop.stop();
    }
    const audit = await t.db.query<{ actor: string; target: string }>(`SELECT actor, target FROM "AuditEntry" WHERE action = 'evidence.partition_dropped'`);
    expect(audit).toEqual([{ actor: 'system:evidence-retention', target: 'evidence:Request_20200101' }]);
    expect(lines.join('\n')).toContain('Request_20200101');
  }, 60_000);
});
