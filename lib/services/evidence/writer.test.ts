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

  it('keeps one ledger row per request, every non-ok one in full, and usage that sums to the requests', async () => {
    if (!t) return;
    const s = await ingest(createReadStream(file));
    expect(s).toMatchObject({ linesRead: LINES, accepted: LINES, rejected: 0, duplicates: 0 });
    const [ledger] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM evidence."Request"`);
    expect(ledger!.n).toBe(LINES);
    const [usage] = await t.db.query<{ n: number; rows: number }>(`SELECT sum(count)::int AS n, count(*)::int AS rows FROM evidence."Usage"`);
    expect(usage!.n).toBe(LINES);
    expect(usage!.rows).toBeLessThan(LINES);
    const [notable] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM evidence."Notable"`);
    const [notOk] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM evidence."Request" WHERE verdict <> 0`);
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
});
