// The evidence tables can be sharded by `ns` (docs/DEPLOYMENT.md, Citus): a distributed table's
// unique keys must contain its distribution column, or each shard could not enforce them alone.
// Every unique index of a partitioned evidence table (and of each of its partitions) must hold "ns"
// (or a namespace column named for its role, e.g. a hop table's "edgeNs").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { maintainEvidence } from './maintenance.ts';

describe.each(RUNTIMES)('evidence tables shard by ns (%s)', (runtime) => {
  let t: TestDatabase | null = null;
  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
    await maintainEvidence(t.db, { now: new Date() });
  }, 120_000);
  afterAll(async () => t?.drop());

  it('every unique index of a partitioned evidence table and its partitions contains ns', async (ctx) => {
    if (!t) return ctx.skip();
    const rows = await t.db.query<{ root: string; index: string; columns: string[] }>(
      `SELECT root.relname AS root, i.relname AS index,
              array(SELECT a.attname::text FROM unnest(x.indkey) k JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k) AS columns
         FROM pg_class root
         JOIN pg_namespace n ON n.oid = root.relnamespace AND n.nspname = 'evidence'
         CROSS JOIN LATERAL pg_partition_tree(root.oid) pt
         JOIN pg_index x ON x.indrelid = pt.relid AND x.indisunique
         JOIN pg_class i ON i.oid = x.indexrelid
        WHERE root.relkind = 'p'`,
    );
    const roots = new Set(rows.map((r) => r.root));
    // Ledger, usage and notable at least (more partitioned tables are held to the same rule).
    for (const r of ['Request', 'Usage', 'Notable']) expect(roots, r).toContain(r);
    const withoutNs = rows.filter((r) => !r.columns.some((c) => c === 'ns' || /^[a-z]+Ns$/.test(c))).map((r) => `${r.root}: ${r.index} (${r.columns.join(', ')})`);
    expect(withoutNs).toEqual([]);
  });
});
