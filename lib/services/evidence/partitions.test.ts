// The hourly aggregates' partitions leave room on their pages, so that the upserts of batch after
// batch into the same hour are HOT updates (no index touched, old versions pruned in place) instead
// of new row versions in every index. Checked on both runtimes by a transaction's own counters,
// which no other session or background process moves (a partition's size after many batches
// depends on when pruning runs, and on PostgreSQL on what else holds back the vacuum horizon).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { nginxJsonLine } from '../ingest/testing/generate.ts';
import { withTransaction } from '../../db/bulk.ts';
import { partitionSet } from './partitions.ts';

const NOW = new Date(Date.UTC(2026, 10, 22, 12, 0, 0));
const LINES = 200;
const BATCHES = 30;

/** The same 200 requests (one hour, ~200 usage rows) with fresh request ids for batch `b`. */
function batch(b: number): string[] {
  return Array.from({ length: LINES }, (_, i) => nginxJsonLine(i).replace(/"request_id":"[0-9a-f]+"/, `"request_id":"${(b * LINES + i).toString(16).padStart(32, '0')}"`) + '\n');
}

describe.each(RUNTIMES)('aggregate partitions on %s', (runtime) => {
  let t: TestDatabase | null = null;
  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
    await ingest(0);
  });
  afterAll(async () => {
    await t?.drop();
  });

  const ingest = (b: number) => ingestStream(t!.db, batch(b), { format: 'nginx-json', sourceName: 'edge-1', actor: 'test', now: () => NOW });

  it('are made with fill factor 70 (usage and hop usage); the ledger and notable partitions are filled', async () => {
    if (!t) return;
    // This traffic has no correlated hops: make the month's hop usage partition as a hop would.
    await partitionSet(t.db).ensure(t.db, [{ table: 'HopUsage', key: NOW.getTime() }]);
    const rows = await t.db.query<{ name: string; options: string[] | null }>(
      `SELECT c.relname AS name, c.reloptions AS options FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'evidence' AND c.relkind = 'r' AND c.relname ~ '_[0-9]+$' ORDER BY 1`,
    );
    const fill = Object.fromEntries(rows.map((r) => [r.name.replace(/_\d+$/, ''), r.options ?? []]));
    expect(fill.Usage).toEqual(['fillfactor=70']);
    expect(fill.HopUsage).toEqual(['fillfactor=70']);
    expect(fill.Request).toEqual([]);
    expect(fill.Notable).toEqual([]);
  });

  it('take an update of an hour\'s rows on the same page, touching no index (HOT), and batch after batch adds up', async () => {
    if (!t) return;
    // 10 of the rows the first batch made (all on its first page), updated as the next batch's upsert
    // would (count, lastAt), in one transaction whose own counters say how many updates were HOT:
    // with full pages, none.
    const hot = await withTransaction(t.db, async (exec) => {
      await exec(`UPDATE evidence."Usage_202611" SET "count" = "count" + 1, "lastAt" = "lastAt" + interval '1 ms'
                    WHERE ctid IN (SELECT ctid FROM evidence."Usage_202611" ORDER BY ctid LIMIT 10)`, []);
      const { rows } = await exec(`SELECT pg_stat_get_xact_tuples_hot_updated('"evidence"."Usage_202611"'::regclass)::int AS n`, []);
      return (rows as Array<{ n: number }>)[0]!.n;
    });
    expect(hot).toBe(10);
    for (let b = 1; b < BATCHES; b++) expect((await ingest(b)).accepted).toBe(LINES);
    const [sum] = await t.db.query<{ n: number }>(`SELECT sum(count)::int AS n FROM evidence."Usage"`);
    expect(sum!.n).toBe(LINES * BATCHES + 10);
  });
});
