// Which usage hours changed, for readers that keep usage rows in memory (the simulation's columns,
// lib/services/simulation/usage-cache.ts): evidence."UsageVersion" holds, per hour and writer stripe,
// the id of the transaction that last wrote usage rows of that hour (migration 20261210100000).
// Every writer of usage rows stamps the hours it wrote in the same transaction, as its last
// statement before COMMIT — the ingest pipeline after its audit append, so under the audit lock:
// stamping adds no lock another batch could be waiting on while it holds one of ours.
import type { SqlExecutor } from '../../db/bulk.ts';

/** Stamps `hours` (epoch ms of whole hours) as written by the current transaction, on this connection's stripe. */
export async function stampUsageHours(exec: SqlExecutor, hours: Iterable<number>): Promise<void> {
  const list = [...new Set(hours)].sort((a, b) => a - b).map((h) => new Date(h).toISOString());
  if (!list.length) return;
  // In hour order: two writers on one stripe lock its rows in the same order.
  await exec(
    `INSERT INTO "evidence"."UsageVersion" ("hour", "stripe", "xid")
     SELECT h, (pg_backend_pid() % 8)::int2, pg_current_xact_id() FROM unnest($1::timestamptz[]) AS h ORDER BY 1
     ON CONFLICT ("hour", "stripe") DO UPDATE SET "xid" = excluded."xid"`,
    [list],
  );
}

/** Stamps every hour that holds usage rows: for writers that insert usage rows with SQL of their own (benchmarks, tests). */
export async function stampAllUsageHours(exec: SqlExecutor): Promise<void> {
  await exec(
    `INSERT INTO "evidence"."UsageVersion" ("hour", "stripe", "xid")
     SELECT DISTINCT "hour", 0::int2, pg_current_xact_id() FROM "evidence"."Usage" ORDER BY 1
     ON CONFLICT ("hour", "stripe") DO UPDATE SET "xid" = excluded."xid"`,
    [],
  );
}

/** Forgets the stamps of hours in [from, to): retention dropped their usage rows. */
export async function forgetUsageHours(exec: SqlExecutor, from: Date, to: Date): Promise<void> {
  await exec(`DELETE FROM "evidence"."UsageVersion" WHERE "hour" >= $1::timestamptz AND "hour" < $2::timestamptz`, [from.toISOString(), to.toISOString()]);
}
