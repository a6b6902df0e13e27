// The evidence writer through the ingest pipeline, on both runtimes: every request once in the
// ledger, non-ok ones kept in full, usage aggregated per hour, re-sends recognised exactly.
import { mkdtempSync, rmSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { nginxJsonLine, writeNginxJsonLog } from '../ingest/testing/generate.ts';
import { listEvents } from '../estate/list-events.ts';
import { storedRequests } from '../../testing/evidence.ts';
import { mtlsTraffic } from '../../testing/mtls-traffic.ts';

const NOW = new Date(Date.UTC(2026, 10, 22, 12, 0, 0));
const LINES = 3000;

describe.each(RUNTIMES)('evidence store on %s', (runtime) => {
  let t: TestDatabase | null = null;
  let dir = '';
  let file = '';
  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
    dir = mkdtempSync(path.join(tmpdir(), 'hf-evidence-'));
    file = path.join(dir, 'access.log');
    await writeNginxJsonLog(file, LINES);
  });
  afterAll(async () => {
    await t?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ingest = (src: NodeJS.ReadableStream | string[]) =>
    ingestStream(t!.db, Array.isArray(src) ? src.map((l) => l + '\n') : (src as never), {
      format: 'nginx-json', sourceName: 'edge-1', actor: 'test', now: () => NOW, chunkSize: 1000,
    });

  it('keeps one ledger row per request, every non-ok or refused one in full, and usage that sums to the requests', async () => {
    if (!t) return;
    const s = await ingest(createReadStream(file));
    expect(s).toMatchObject({ linesRead: LINES, accepted: LINES, rejected: 0, duplicates: 0 });
    const [ledger] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM evidence."Request"`);
    expect(ledger!.n).toBe(LINES);
    const [usage] = await t.db.query<{ n: number; rows: number }>(`SELECT sum(count)::int AS n, count(*)::int AS rows FROM evidence."Usage"`);
    expect(usage!.n).toBe(LINES);
    expect(usage!.rows).toBeLessThan(LINES);
    const [notable] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM evidence."Notable"`);
    // Every failure, and every request the gateway refused (401, 403, 495–497) whatever its verdict.
    const [notOk] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM evidence."Request" WHERE verdict <> 0 OR "httpStatus" IN (401, 403, 495, 496, 497)`);
    expect(notable!.n).toBe(notOk!.n);
    expect(notable!.n).toBeGreaterThan(0);
    const [roll] = await t.db.query<{ n: number }>(`SELECT sum(count)::int AS n FROM "EventRollup"`);
    expect(roll!.n).toBe(LINES);
  });

  it('recognises a re-sent batch and an overlapping file line by line, counting nothing twice', async () => {
    if (!t) return;
    const again = await ingest(createReadStream(file));
    expect(again).toMatchObject({ linesRead: LINES, accepted: 0, duplicates: LINES });
    const overlap = Array.from({ length: 20 }, (_, i) => nginxJsonLine(LINES - 10 + i));
    const s = await ingest(overlap);
    expect(s).toMatchObject({ accepted: 10, duplicates: 10 });
    const [usage] = await t.db.query<{ n: number }>(`SELECT sum(count)::int AS n FROM evidence."Usage"`);
    expect(usage!.n).toBe(LINES + 10);
  });

  it('recognises a late line re-sent on another day, whichever of the two days received it first', async () => {
    if (!t) return;
    const DAY = 86_400_000;
    // Occurred 10 days before NOW: received 3 days before NOW or at NOW, every line is late and
    // goes to the partition of the day it was received, so only the late-key lookup finds its first copy.
    const lines = (from: number) => Array.from({ length: 40 }, (_, i) => nginxJsonLine(800_000 + from + i, NOW.getTime() - 10 * DAY) + '\n');
    const at = (ms: number) => (src: string[]) => ingestStream(t!.db, src, { format: 'nginx-json', sourceName: 'edge-late', actor: 'test', now: () => new Date(ms), chunkSize: 1000 });
    const earlier = at(NOW.getTime() - 3 * DAY);
    const later = at(NOW.getTime());
    // Re-sent in another order: the same body again would be known as a whole (repeatsCommittedBatch).
    const again = (src: string[]) => [...src].reverse();
    // First received earlier (its copy sits in an older partition than the re-send's day) ...
    expect(await earlier(lines(0))).toMatchObject({ accepted: 40, duplicates: 0 });
    expect(await later(again(lines(0)))).toMatchObject({ accepted: 0, duplicates: 40 });
    // ... and first received later (a newer partition: a clock set back, a replayed archive).
    expect(await later(lines(100))).toMatchObject({ accepted: 40, duplicates: 0 });
    expect(await earlier(again(lines(100)))).toMatchObject({ accepted: 0, duplicates: 40 });
  });

  it('refuses lines older than the retention or dated far ahead, one rejected line each with its reason', async () => {
    if (!t) return;
    const old = JSON.parse(nginxJsonLine(999_001));
    old.time = '2020-01-01T00:00:00+00:00';
    const future = JSON.parse(nginxJsonLine(999_002));
    future.time = '2027-06-01T00:00:00+00:00';
    const s = await ingest([JSON.stringify(old), JSON.stringify(future), nginxJsonLine(999_003)]);
    expect(s.accepted).toBe(1);
    expect(s.rejected).toBe(2);
    expect(s.errors.map((e) => e.reason).sort()).toEqual(['beyond_retention', 'invalid_timestamp']);
  });

  it("leaves a request's identity out of its ledger row when its certificate names it, and every reader still finds it", async () => {
    if (!t) return;
    // Real certificates, URL-escaped as NGINX logs them: the line's x5t#S256 is the certificate's.
    const traffic = await mtlsTraffic({ workloads: 4, failureRate: 0.2, startMs: NOW.getTime() - 3_600_000, perSecond: 50 });
    const lines = Array.from({ length: 120 }, (_, i) => traffic.line(i) + '\n');
    const s = await ingestStream(t.db, lines, { format: 'nginx-json', sourceName: 'edge-certs', actor: 'test', now: () => NOW });
    expect(s).toMatchObject({ accepted: 120, rejected: 0 });
    // Stored: no identity on the rows whose certificate (by x5t#S256) carries it (no token either).
    const [row] = await t.db.query<{ n: number; bare: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE r."identityId" IS NULL)::int AS bare
         FROM evidence."Request" r JOIN evidence."Dim" ns ON ns.id = r.ns JOIN "Source" src ON src.id::text = ns.value WHERE src.name = 'edge-certs'`,
    );
    expect(row).toEqual({ n: 120, bare: 120 });
    // Read: each request's identity is its certificate's, on every reader of the ledger.
    const certs = await t.db.query<{ x5t: string; identityId: string; name: string }>(
      `SELECT c."x5tS256" AS x5t, c."identityId"::text AS "identityId", i.name FROM "Certificate" c JOIN "Identity" i ON i.id = c."identityId"`,
    );
    const byCert = new Map(certs.map((c) => [c.x5t, c]));
    const all = await storedRequests(t.db);
    const stored = all.filter((r) => r.x5tS256 && byCert.has(r.x5tS256) && !r.notable);
    expect(stored.length).toBeGreaterThan(50);
    for (const r of stored) expect(r.identityId).toBe(byCert.get(r.x5tS256!)!.identityId);
    const one = byCert.get(stored[0]!.x5tS256!)!;
    const page = await listEvents(t.db, { identity: one.name, limit: 500 }, {});
    const ledgerRows = page.items.filter((e) => e.kept === 'ledger');
    expect(ledgerRows.length).toBe(all.filter((r) => r.identityId === one.identityId && !r.notable).length);
    expect(ledgerRows.length).toBeGreaterThan(0);
    for (const e of page.items) expect({ id: e.identityId, name: e.identity }).toEqual({ id: one.identityId, name: one.name });
  });
});
