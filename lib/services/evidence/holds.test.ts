// Evidence holds, on both runtimes with a moved clock: while a hold is in force retention drops no
// partition (and says which it kept), the storage view says so; once released the next maintenance
// drops what expired meanwhile, each on the record. A hold placed while a drop is under way (after
// PostgreSQL's DETACH … CONCURRENTLY) keeps that partition too, attached again. Bad input is a
// clear error that changes nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../audit/verify-audit-chain.ts';
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { nginxJsonLine } from '../ingest/testing/generate.ts';
import { holdReason } from './hold-schemas.ts';
import { listEvidenceHolds, placeEvidenceHold, releaseEvidenceHold } from './holds.ts';
import { maintainEvidence } from './maintenance.ts';
import { DEFAULT_RETENTION, dropExpiredPartitions } from './partitions.ts';
import { evidenceStorage } from './storage.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

async function attached(t: TestDatabase): Promise<string[]> {
  const rows = await t.db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'evidence' ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

const audit = (t: TestDatabase, action: string) =>
  t.db.query<{ actor: string; target: string; details: Record<string, unknown> }>(`SELECT actor, target, details FROM "AuditEntry" WHERE action = $1 ORDER BY seq`, [action]);

const exec = (t: TestDatabase) => async (sql: string, params?: unknown[]) => ({ rows: await t.db.query(sql, params) });

async function failsWith(p: Promise<unknown>, code: string): Promise<string> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(HoldfastError);
  expect((e as HoldfastError).code).toBe(code);
  return (e as HoldfastError).message;
}

describe('holdReason', () => {
  it('keeps a reason trimmed; refuses an empty one, one over 500 characters, control characters and bidirectional overrides', () => {
    expect(holdReason('  INC-2291: token theft\r\nsecond line ')).toBe('INC-2291: token theft\r\nsecond line');
    for (const bad of ['', '   ', 'x'.repeat(501), 'nul\u0000here', 'bell\u0007', 'tab\there', 'lone \ud800 surrogate', 'INC-1 \u202egnp.exe']) {
      expect(() => holdReason(bad)).toThrow(HoldfastError);
    }
  });
});

describe.each(RUNTIMES)('evidence holds on %s', (runtime) => {
  let t: TestDatabase | null = null;
  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
  });
  afterAll(async () => t?.drop());

  it('keeps every partition past retention while a hold is in force, and drops them on the record once it is released', async () => {
    if (!t) return;
    const body = Array.from({ length: 50 }, (_, i) => nginxJsonLine(i, T0 - 3_600_000)).join('\n') + '\n';
    expect(await ingestStream(t.db, [body], { format: 'nginx-json', sourceName: 'edge-held', actor: 'test', now: () => new Date(T0) })).toMatchObject({ accepted: 50 });
    expect(await attached(t)).toEqual(expect.arrayContaining(['Request_20261122', 'Usage_202611', 'Notable_202611']));

    const { hold, inForce } = await placeEvidenceHold(t.db, { reason: '  INC-2291: suspected token theft ', actor: 'admin@example.test' });
    expect([hold.reason, hold.createdBy, hold.releasedAt, inForce]).toEqual(['INC-2291: suspected token theft', 'admin@example.test', null, 1]);
    const second = await placeEvidenceHold(t.db, { reason: 'Legal hold LH-7', actor: 'counsel@example.test' });
    expect(second.inForce).toBe(2);

    // Well past every retention: nothing goes, and maintenance names what it kept.
    const later = new Date(T0 + 900 * DAY);
    const kept = await maintainEvidence(t.db, { now: later, retention: DEFAULT_RETENTION });
    expect(kept.dropped).toEqual([]);
    expect(kept.held).toEqual(expect.arrayContaining(['Request_20261122', 'Usage_202611', 'Notable_202611']));
    expect(await attached(t)).toEqual(expect.arrayContaining(['Request_20261122', 'Usage_202611', 'Notable_202611']));
    expect(await audit(t, 'evidence.partition_dropped')).toEqual([]);
    const view = await evidenceStorage(t.db, { retention: DEFAULT_RETENTION, now: later });
    expect(view.held).toBe(true);
    expect(view.holds.map((h) => h.reason)).toEqual(['INC-2291: suspected token theft', 'Legal hold LH-7']);
    expect(view.stores.find((s) => s.table === 'Request')!.overdue).toBeGreaterThanOrEqual(1);

    // One hold released, the other still in force: still nothing goes.
    const released = await releaseEvidenceHold(t.db, { id: hold.id, actor: 'admin@example.test' });
    expect([released.alreadyReleased, released.inForce, released.hold.releasedBy]).toEqual([false, 1, 'admin@example.test']);
    expect((await maintainEvidence(t.db, { now: later, retention: DEFAULT_RETENTION })).dropped).toEqual([]);
    // Released twice: nothing changes, nothing is audited again.
    expect((await releaseEvidenceHold(t.db, { id: hold.id, actor: 'someone-else' })).alreadyReleased).toBe(true);

    // The last hold released: the next run drops what expired meanwhile, each drop audited.
    await releaseEvidenceHold(t.db, { id: second.hold.id, actor: 'counsel@example.test' });
    const r = await maintainEvidence(t.db, { now: later, retention: DEFAULT_RETENTION });
    expect(r.held).toEqual([]);
    expect(r.dropped).toEqual(expect.arrayContaining(['Request_20261122', 'Usage_202611', 'Notable_202611']));
    expect((await audit(t, 'evidence.partition_dropped')).map((d) => d.target)).toEqual(expect.arrayContaining(['evidence:Request_20261122', 'evidence:Usage_202611']));

    const placed = await audit(t, 'evidence.hold_placed');
    expect(placed.map((a) => [a.actor, a.details.reason])).toEqual([['admin@example.test', 'INC-2291: suspected token theft'], ['counsel@example.test', 'Legal hold LH-7']]);
    const ended = await audit(t, 'evidence.hold_released');
    expect(ended.map((a) => [a.actor, a.target, a.details.inForce])).toEqual([['admin@example.test', `evidence_hold:${hold.id}`, 1], ['counsel@example.test', `evidence_hold:${second.hold.id}`, 0]]);
    expect((await listEvidenceHolds(exec(t))).every((h) => h.releasedAt !== null)).toBe(true);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  }, 120_000);

  it('a hold that reaches back keeps the archived lines an ingest brings past retention, until it is released', async () => {
    if (!t) return;
    const now = T0 + 2000 * DAY;
    const clock = () => new Date(now);
    const lines = (n: number, at: number, from = 0) => Array.from({ length: n }, (_, i) => nginxJsonLine(from + i, at)).join('\n') + '\n';
    const archived = now - 600 * DAY; // past the 400 days of hourly usage and notable requests
    const month = `${new Date(archived).toISOString().slice(0, 7).replace('-', '')}`;
    const opts = (sourceName: string) => ({ format: 'nginx-json' as const, sourceName, actor: 'test', now: clock, retention: DEFAULT_RETENTION });

    // No hold: past retention, refused.
    const refused = await ingestStream(t.db, [lines(30, archived)], opts('archive-before'));
    expect([refused.accepted, refused.rejected]).toEqual([0, 30]);
    expect(refused.errors[0]).toMatchObject({ reason: 'beyond_retention' });
    expect(refused.errors[0]!.message).not.toContain('evidence holds');
    // A log that spans the retention's start, sent before the hold: its recent lines are kept.
    const spanning = lines(10, now - DAY, 1000) + lines(20, archived, 2000);
    const before = await ingestStream(t.db, [spanning], opts('archive-spanning'));
    expect([before.accepted, before.rejected]).toEqual([10, 20]);

    const { hold } = await placeEvidenceHold(t.db, { reason: 'INC-3001: replay from the old CI runners', since: new Date(now - 700 * DAY).toISOString().slice(0, 10), actor: 'admin@example.test', now: clock() });
    expect(hold.since).toBe(`${new Date(now - 700 * DAY).toISOString().slice(0, 10)}T00:00:00.000Z`);
    expect((await audit(t, 'evidence.hold_placed')).at(-1)!.details.since).toBe(hold.since);

    // Held: the archived lines are kept (each store), the batch says how many and why; a line from
    // before the hold's reach is still past retention.
    const held = await ingestStream(t.db, [lines(30, archived) + lines(2, now - 800 * DAY)], opts('archive-held'));
    expect([held.accepted, held.rejected]).toEqual([30, 2]);
    expect(held.errors.map((e) => e.reason)).toEqual(['beyond_retention', 'beyond_retention']);
    expect(held.errors[0]!.message).toContain(`the evidence holds in force keep lines from ${hold.since} on`);
    expect(held.warnings?.find((w) => w.includes('kept because an evidence hold'))).toBe(`30 lines older than the configured retention kept because an evidence hold in force reaches back to ${hold.since}; the first maintenance run after the last hold is released drops them`);
    expect((await audit(t, 'ingest.batch')).at(-1)!.details.keptUnderHold).toBe(30);
    expect(await attached(t)).toEqual(expect.arrayContaining([`Usage_${month}`, `Notable_${month}`]));
    const [usage] = await t.db.query<{ n: string }>(`SELECT coalesce(sum(count), 0)::text AS n FROM "evidence"."Usage_${month}"`);
    const [notable] = await t.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM "evidence"."Notable_${month}"`);
    expect(Number(usage!.n)).toBe(30);
    expect(Number(notable!.n)).toBeGreaterThan(0);

    // The spanning log sent again under the hold: a repeat stores nothing, and the lines it refused
    // then cannot be told from the rest, so it is refused whole, saying what to send instead.
    const again = await ingestStream(t.db, [spanning], opts('archive-spanning')).then(() => null, (e: unknown) => e);
    expect(again).toBeInstanceOf(HoldfastError);
    expect((again as HoldfastError).code).toBe('conflict');
    expect((again as HoldfastError).message).toMatch(new RegExp(`^this body repeats batch ${before.batchId}, which refused its lines dated before \\S+ as past retention; .*send those lines alone`));
    // The archived lines alone are new: kept, and the recent ones are not counted twice.
    const alone = await ingestStream(t.db, [lines(20, archived, 2000)], opts('archive-spanning'));
    expect([alone.accepted, alone.duplicates]).toEqual([20, 0]);
    const [spanned] = await t.db.query<{ n: string }>(
      `SELECT coalesce(sum(u.count), 0)::text AS n FROM "evidence"."Usage" u JOIN "evidence"."Dim" d ON d.id = u.ns WHERE d.value = (SELECT id::text FROM "Source" WHERE name = 'archive-spanning')`,
    );
    expect(Number(spanned!.n)).toBe(30);
    // Without the hold's reach nothing changed for a plain repeat: the same body again is all duplicates.
    expect(await ingestStream(t.db, [lines(20, archived, 2000)], opts('archive-spanning'))).toMatchObject({ accepted: 0, duplicates: 20 });

    // Maintenance keeps them while the hold is in force, drops them on the record once released.
    expect((await maintainEvidence(t.db, { now: clock(), retention: DEFAULT_RETENTION })).held).toEqual(expect.arrayContaining([`Usage_${month}`, `Notable_${month}`]));
    await releaseEvidenceHold(t.db, { id: hold.id, actor: 'admin@example.test' });
    expect((await maintainEvidence(t.db, { now: clock(), retention: DEFAULT_RETENTION })).dropped).toEqual(expect.arrayContaining([`Usage_${month}`, `Notable_${month}`]));
    // And the next archive batch is refused again.
    expect((await ingestStream(t.db, [lines(5, archived + 1000)], opts('archive-after'))).accepted).toBe(0);
  }, 120_000);

  it('refuses bad input with a clear error and changes nothing', async () => {
    if (!t) return;
    const before = (await listEvidenceHolds(exec(t))).length;
    const at = new Date(T0);
    for (const since of ['yesterday', '2024-02-31', '2024-13-01', '2026-11-23', '2026-11-22T13:00:00Z', '2024-01-01T00:00:00']) {
      expect(await failsWith(placeEvidenceHold(t.db, { reason: 'ok', since, actor: 'a', now: at }), 'validation_failed')).toMatch(/^since /);
    }
    expect(await failsWith(placeEvidenceHold(t.db, { reason: '  ', actor: 'a' }), 'validation_failed')).toContain('needs a reason');
    expect(await failsWith(placeEvidenceHold(t.db, { reason: 'x'.repeat(501), actor: 'a' }), 'validation_failed')).toContain('500');
    expect(await failsWith(releaseEvidenceHold(t.db, { id: randomUUID(), actor: 'a' }), 'not_found')).toContain('no evidence hold');
    expect(await failsWith(releaseEvidenceHold(t.db, { id: "1' OR 1=1 --", actor: 'a' }), 'not_found')).toContain('no evidence hold');
    expect((await listEvidenceHolds(exec(t))).length).toBe(before);
  });
});

// PGlite has one connection and no DETACH … CONCURRENTLY: the drop is one transaction there.
describe('evidence hold placed while a drop is under way (postgres)', () => {
  let t: TestDatabase | null = null;
  beforeAll(async () => {
    if (!(await postgresAvailable())) return;
    t = await openTestDatabase('postgres');
  });
  afterAll(async () => t?.drop());

  it('keeps a partition when a hold is placed after its DETACH … CONCURRENTLY, attached again', async () => {
    if (!t) return;
    const at = T0 + 40 * DAY;
    const body = Array.from({ length: 20 }, (_, i) => nginxJsonLine(i, at - 3_600_000)).join('\n') + '\n';
    await ingestStream(t.db, [body], { format: 'nginx-json', sourceName: 'edge-race', actor: 'test', now: () => new Date(at) });
    const day = new Date(at).toISOString().slice(0, 10).replace(/-/g, '');
    expect(await attached(t)).toContain(`Request_${day}`);
    // The hold commits between the DETACH (outside any transaction) and the drop's transaction.
    let placedId: string | null = null;
    const racing = new Proxy(t.db, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return async (sql: string, params?: unknown[]) => {
          const rows = await target.query(sql, params);
          if (!placedId && /DETACH PARTITION .* CONCURRENTLY/.test(sql)) placedId = (await placeEvidenceHold(target, { reason: 'placed mid-drop', actor: 'admin' })).hold.id;
          return rows;
        };
      },
    }) as Database;
    const r = await dropExpiredPartitions(racing, at + 30 * DAY, DEFAULT_RETENTION);
    expect(placedId).not.toBeNull();
    expect(r.dropped).toEqual([]);
    expect(r.held).toContain(`Request_${day}`);
    expect(await attached(t)).toContain(`Request_${day}`);
    // Still readable through the parent table.
    expect((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Request" WHERE day = $1`, [Math.floor((at - 3_600_000) / DAY)]))[0]!.n).toBeGreaterThan(0);
    await releaseEvidenceHold(t.db, { id: placedId!, actor: 'admin' });
  });
});
