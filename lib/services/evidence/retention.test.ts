// Retention by dropping whole partitions, with a moved clock, on both runtimes: the ledger's day
// partitions go after the dedupe window, hourly usage and notable requests stay for their own
// retention; a batch re-sent byte for byte after the window is still recognised as a whole.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestKeyOfId } from '../../ingest/evidence/request-key.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { nginxJsonLine } from '../ingest/testing/generate.ts';
import { verifyAuditChain } from '../../audit/verify-audit-chain.ts';
import { maintainEvidence } from './maintenance.ts';
import { DEFAULT_RETENTION, RETENTION_ACTOR } from './partitions.ts';
import { evidenceStorage } from './storage.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const LINES = 400;

async function partitions(t: TestDatabase): Promise<string[]> {
  const rows = await t.db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'evidence' ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

const drops = (t: TestDatabase) =>
  t.db.query<{ actor: string; target: string; details: Record<string, unknown> }>(
    `SELECT actor, target, details FROM "AuditEntry" WHERE action = 'evidence.partition_dropped' ORDER BY seq`,
  );

const sums = async (t: TestDatabase) =>
  (await t.db.query<{ requests: number; usage: number; notable: number }>(
    `SELECT (SELECT count(*) FROM "evidence"."Request")::int AS requests, (SELECT coalesce(sum("count"), 0) FROM "evidence"."Usage")::int AS usage,
            (SELECT count(*) FROM "evidence"."Notable")::int AS notable`,
  ))[0]!;

describe.each(RUNTIMES)('evidence retention on %s', (runtime) => {
  let t: TestDatabase | null = null;
  const body = Array.from({ length: LINES }, (_, i) => nginxJsonLine(i, T0 - 3_600_000)).join('\n') + '\n';
  const ingest = (nowMs: number, text = body) =>
    ingestStream(t!.db, [text], { format: 'nginx-json', sourceName: 'edge-ret', actor: 'test', now: () => new Date(nowMs) });

  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
  });
  afterAll(async () => t?.drop());

  it('drops the ledger day after the window, keeps usage and notable requests, and still knows a re-sent body', async () => {
    if (!t) return;
    expect(await ingest(T0)).toMatchObject({ accepted: LINES, duplicates: 0 });
    const before = await sums(t);
    expect(before).toMatchObject({ requests: LINES, usage: LINES });
    expect(before.notable).toBeGreaterThan(0);
    expect(await partitions(t)).toContain('Request_20261122');

    // Inside the window the ledger refuses the re-send line by line.
    expect(await ingest(T0 + DAY)).toMatchObject({ accepted: 0, duplicates: LINES });

    // Nine days on: the day partition is dropped whole (never a mass DELETE), nothing else moves.
    const later = T0 + 9 * DAY;
    // What the store says before: the ledger's oldest day and when it goes.
    const view = await evidenceStorage(t.db, { retention: DEFAULT_RETENTION });
    const ledger = view.stores.find((x) => x.table === 'Request')!;
    expect(ledger).toMatchObject({ keptDays: 7, setting: 'HOLDFAST_REQUEST_WINDOW_DAYS', rows: LINES, rowsEstimated: false, oldestFrom: '2026-11-22T00:00:00.000Z' });
    expect(ledger.nextDrop).toEqual({ partition: 'Request_20261122', at: '2026-12-01T00:00:00.000Z' });
    expect(ledger.bytes).toBeGreaterThan(0);
    expect(view.stores.find((x) => x.table === 'Notable')).toMatchObject({ keptDays: 400, rows: before.notable, nextDrop: { partition: 'Notable_202611', at: new Date(Date.UTC(2026, 11, 1) + 400 * DAY).toISOString() } });
    expect(view.totalBytes).toBe(view.stores.reduce((a, x) => a + x.bytes, 0));
    // The day before the drop is due nothing goes; on the day it does.
    expect((await maintainEvidence(t.db, { now: new Date(Date.UTC(2026, 10, 30, 23, 59)), retention: DEFAULT_RETENTION })).dropped).not.toContain('Request_20261122');
    const { dropped } = await maintainEvidence(t.db, { now: new Date(later), retention: DEFAULT_RETENTION });
    expect(dropped).toContain('Request_20261122');
    expect(await partitions(t)).not.toContain('Request_20261122');
    expect(await sums(t)).toEqual({ requests: 0, usage: LINES, notable: before.notable });
    // Each drop is on the record, in the audit chain, with what it held.
    const ledgerDrop = (await drops(t)).find((d) => d.target === 'evidence:Request_20261122');
    expect(ledgerDrop).toMatchObject({
      actor: RETENTION_ACTOR,
      details: { table: 'Request', from: '2026-11-22T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z', rows: LINES, rowsEstimated: false, retention: { days: 7, setting: 'HOLDFAST_REQUEST_WINDOW_DAYS' } },
    });
    expect(ledgerDrop!.details.bytes).toBe(ledger.bytes);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
    expect((await evidenceStorage(t.db, { retention: DEFAULT_RETENTION })).drops.map((d) => d.partition)).toContain('Request_20261122');

    // The ledger forgot those lines; the same body from the same source is still a repeat.
    expect(await ingest(later)).toMatchObject({ accepted: 0, duplicates: LINES });
    expect(await sums(t)).toEqual({ requests: 0, usage: LINES, notable: before.notable });
    // A body that differs by one line is new as a whole: its ok lines count again (the ledger no
    // longer holds them), its notable ones do not (notable requests stay unique for their retention).
    const changed = body + nginxJsonLine(LINES, T0 - 3_600_000) + '\n';
    expect(await ingest(later, changed)).toMatchObject({ accepted: LINES + 1 - before.notable, duplicates: before.notable });

    // Past the usage and notable retention (400 days) their month partitions go too.
    const much = T0 + 432 * DAY;
    const r = await maintainEvidence(t.db, { now: new Date(much), retention: DEFAULT_RETENTION });
    expect(r.dropped).toEqual(expect.arrayContaining(['Usage_202611', 'Notable_202611']));
    expect(await sums(t)).toEqual({ requests: 0, usage: 0, notable: 0 });
    expect((await drops(t)).find((d) => d.target === 'evidence:Notable_202611')?.details).toMatchObject({ table: 'Notable', rows: before.notable, retention: { days: 400, setting: 'HOLDFAST_NOTABLE_RETENTION_DAYS' } });
  }, 120_000);

  it('drops a partition left detached by an interrupted drop once its retention has ended, on the record', async () => {
    if (!t) return;
    // What a crash between DETACH and DROP leaves: a plain table of the evidence schema, attached to nothing.
    await t.db.query(`CREATE TABLE "evidence"."Request_20260101" (LIKE "evidence"."Request" INCLUDING ALL)`);
    const { dropped } = await maintainEvidence(t.db, { now: new Date(T0 + 3 * DAY), retention: DEFAULT_RETENTION });
    expect(dropped).toContain('Request_20260101');
    expect((await drops(t)).find((d) => d.target === 'evidence:Request_20260101')?.details).toMatchObject({ table: 'Request', rows: 0, leftOver: true });
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  }, 120_000);

  it('keeps a request only in the stores whose retention holds it, and refuses one no store keeps', async () => {
    if (!t) return;
    const now = T0 + 20 * DAY;
    const longNotable = { ...DEFAULT_RETENTION, notableRetentionDays: 3660 };
    const at = (daysAgo: number) => now - daysAgo * DAY;
    const ingestAt = (text: string, retention: typeof DEFAULT_RETENTION) =>
      ingestStream(t!.db, [text + '\n'], { format: 'nginx-json', sourceName: 'edge-stores', actor: 'test', now: () => new Date(now), retention });
    const count = async (table: string, fromMs: number, toMs: number) =>
      (await t!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."${table}" WHERE "${table === 'Usage' ? 'hour' : 'occurredAt'}" >= $1 AND "${table === 'Usage' ? 'hour' : 'occurredAt'}" < $2`, [new Date(fromMs).toISOString(), new Date(toMs).toISOString()]))[0]!.n;
    const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7).replace('-', '');

    // 600 days ago, usage kept 400 days and notable requests 3,660: an accepted request has nowhere to go.
    const ok = await ingestAt(nginxJsonLine(2, at(600)), longNotable);
    expect([ok.accepted, ok.rejected]).toEqual([0, 1]);
    expect(ok.errors[0]).toMatchObject({ reason: 'beyond_retention' });
    expect(ok.errors[0]!.message).toContain('before the hourly usage retention (400 days); only failures and anomalies are kept longer (3660 days)');
    // A failure is kept one by one, and counted into no usage month that retention has already ended.
    const failed = await ingestAt(nginxJsonLine(4, at(600)), longNotable);
    expect([failed.accepted, failed.rejected]).toEqual([1, 0]);
    expect(await count('Notable', at(601), at(599))).toBe(1);
    expect(await partitions(t)).not.toContain(`Usage_${monthOf(at(600))}`);

    // A body holding such a failure, sent again, is a plain repeat (the failure was kept the first time)…
    const withOldFailure = `${nginxJsonLine(12, at(1))}\n${nginxJsonLine(24, at(600))}`;
    expect(await ingestAt(withOldFailure, longNotable)).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await ingestAt(withOldFailure, longNotable)).toMatchObject({ accepted: 0, duplicates: 2 });
    // …but one whose old ok request was refused, sent again once the usage retention is longer, would
    // keep what the first batch refused: refused whole (a repeat stores nothing), naming those lines,
    // which then come alone.
    const withOldOk = `${nginxJsonLine(22, at(1))}\n${nginxJsonLine(32, at(600))}`;
    const first = await ingestAt(withOldOk, longNotable);
    expect([first.accepted, first.rejected]).toEqual([1, 1]);
    const longerUsage = { ...longNotable, usageRetentionDays: 800 };
    const refusedWhole = await ingestAt(withOldOk, longerUsage).then(() => null, (e: unknown) => e as { code: string; message: string });
    expect(refusedWhole?.code).toBe('conflict');
    expect(refusedWhole?.message).toContain(`this body repeats batch ${first.batchId}, which refused its ok requests dated before ${new Date(at(400)).toISOString()} and failures before ${new Date(at(3660)).toISOString()} as past retention`);
    expect(await ingestAt(nginxJsonLine(32, at(600)), longerUsage)).toMatchObject({ accepted: 1, duplicates: 0 });

    // Notable requests kept 31 days, usage 400: a failure 100 days old is counted, not kept one by one.
    const shortNotable = { ...DEFAULT_RETENTION, notableRetentionDays: 31 };
    const counted = await ingestAt(nginxJsonLine(14, at(100)), shortNotable);
    expect([counted.accepted, counted.rejected]).toEqual([1, 0]);
    expect(await count('Usage', at(101), at(99))).toBe(1);
    expect(await count('Notable', at(101), at(99))).toBe(0);
    expect(await partitions(t)).not.toContain(`Notable_${monthOf(at(100))}`);
  });

  it('counts hop chains only inside the hourly usage retention, as it counts requests', async () => {
    if (!t) return;
    const now = T0 + 20 * DAY;
    const longNotable = { ...DEFAULT_RETENTION, notableRetentionDays: 3660 };
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, '+00:00');
    const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7).replace('-', '');
    const ingestAt = (line: string, sourceName: string) =>
      ingestStream(t!.db, [line + '\n'], { format: 'nginx-json', sourceName, actor: 'test', now: () => new Date(now), retention: longNotable });
    // An edge and its backend both refuse the request (403): kept one by one for the notable retention.
    const chainAt = async (ms: number) => {
      const corr = randomBytes(16).toString('hex');
      const edge = ingestAt(JSON.stringify({
        time: iso(ms), request_id: corr, correlation_id: corr, remote_addr: '10.1.2.3', method: 'GET', scheme: 'https', host: 'api.test', uri: '/v1/orders/7', status: 403, ssl_client_verify: 'NONE',
      }), 'edge-chain');
      expect(await edge).toMatchObject({ accepted: 1, rejected: 0 });
      const backend = await ingestAt(JSON.stringify({
        time: iso(ms + 100), request_id: randomBytes(16).toString('hex'), correlation_id: corr, remote_addr: '10.9.9.9', method: 'GET', scheme: 'http', host: 'orders.internal', uri: '/v1/orders/7', status: 403, http_client_cert: '',
      }), 'orders-chain');
      expect(backend).toMatchObject({ accepted: 1, rejected: 0 });
      // The chain is decided on both hops whatever its age.
      const decided = await t!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Hop" WHERE "corr" = $1 AND "chainVerdict" IS NOT NULL`, [requestKeyOfId(corr)]);
      expect(decided[0]!.n).toBe(2);
      return (await t!.db.query<{ n: number }>(`SELECT coalesce(sum("count"), 0)::int AS n FROM "evidence"."HopUsage" WHERE "hour" >= $1 AND "hour" < $2`, [new Date(ms - DAY).toISOString(), new Date(ms + DAY).toISOString()]))[0]!.n;
    };
    // Inside the usage retention the chain is counted per hour; 600 days ago (usage kept 400 days) it
    // is not, and no chain-usage month is made for the next maintenance to drop.
    expect(await chainAt(now - 100 * DAY)).toBe(1);
    expect(await chainAt(now - 600 * DAY)).toBe(0);
    expect(await partitions(t)).toContain(`HopUsage_${monthOf(now - 100 * DAY)}`);
    expect(await partitions(t)).not.toContain(`HopUsage_${monthOf(now - 600 * DAY)}`);
    await maintainEvidence(t.db, { now: new Date(now), retention: longNotable });
    expect((await drops(t)).filter((d) => d.target.startsWith('evidence:HopUsage_'))).toEqual([]);
  });

  it('refuses a retention shorter than what it drops by (configuration keeps it sane)', async () => {
    if (!t) return;
    // A one-day window keeps today and yesterday's partitions: nothing inside the window is dropped.
    const now = T0 + 3 * DAY;
    await ingest(now, nginxJsonLine(9000, now - 60_000) + '\n');
    const { dropped } = await maintainEvidence(t.db, { now: new Date(now), retention: { ...DEFAULT_RETENTION, requestWindowDays: 1 } });
    expect(dropped.filter((d) => d.startsWith('Request_'))).not.toContain(`Request_${new Date(now).toISOString().slice(0, 10).replaceAll('-', '')}`);
    expect((await sums(t)).requests).toBeGreaterThan(0);
  });
});
