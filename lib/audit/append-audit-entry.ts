// Appends audit entries inside the caller's transaction, so an entry commits with the change it
// records or not at all. A transaction-scoped advisory lock serialises appends: two app instances
// never chain onto the same previous entry, and sequence numbers are taken under the lock, so
// they rise in chain order and each entry's MAC can cover its own seq.
import type { Prisma } from '../db/generated/client.ts';
import type { SqlExecutor } from '../db/bulk.ts';
import { noteAuditAppend } from './anchoring.ts';
import { auditEntryHash, GENESIS_HASH } from './hash.ts';
import { auditEntryMac, auditKeys } from './mac.ts';

type Tx = Prisma.TransactionClient;

export interface AuditInput {
  actor: string;
  action: string;
  target?: string | null;
  details?: Record<string, unknown>;
}

export const AUDIT_LOCK_KEY = 727_001;

/** The two kinds of statement an append needs, over a Prisma transaction or a raw SQL executor. */
interface AuditSql {
  run(sql: string, params: unknown[]): Promise<void>;
  rows<T>(sql: string, params: unknown[]): Promise<T[]>;
}

function prismaSql(tx: Tx): AuditSql {
  return {
    // $executeRaw: pg_advisory_xact_lock returns void, which $queryRaw cannot deserialise.
    run: async (sql, params) => void (await tx.$executeRawUnsafe(sql, ...params)),
    rows: (sql, params) => tx.$queryRawUnsafe(sql, ...params),
  };
}

function execSql(exec: SqlExecutor): AuditSql {
  return {
    run: async (sql, params) => void (await exec(sql, params)),
    rows: async <T>(sql: string, params: unknown[]) => (await exec(sql, params)).rows as T[],
  };
}

/**
 * The one append: lock, read the head, take one sequence number per entry, hash and MAC each
 * entry onto the one before, insert them in one statement. Returns the new head.
 */
async function appendRows(sql: AuditSql, inputs: readonly AuditInput[]): Promise<{ seq: bigint; hash: string }> {
  const key = auditKeys().entry;
  await sql.run(`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`, []);
  // The head and the sequence numbers in one statement (one round trip less while every append
  // waits on this lock), after the lock's own: a statement sees what committed before it began.
  // nextval under the lock: a rolled-back append leaves a gap, never a number out of order.
  const [chain] = await sql.rows<{ hash: string | null; seqs: string[] }>(
    `SELECT (SELECT hash FROM "AuditEntry" ORDER BY seq DESC LIMIT 1) AS hash,
            ARRAY(SELECT nextval(pg_get_serial_sequence('"AuditEntry"', 'seq'))::text FROM generate_series(1, $1::int)) AS seqs`,
    [inputs.length],
  );
  const seqs = (chain?.seqs ?? []).map((s) => BigInt(s)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // Millisecond precision: the column is timestamptz(3), and the hash must survive a round trip.
  const at = new Date(Math.floor(Date.now()));
  let prevHash = chain?.hash ?? GENESIS_HASH;
  const rows = inputs.map((input, i) => {
    const seq = seqs[i]!;
    const content = { at, actor: input.actor, action: input.action, target: input.target ?? null, details: input.details ?? {} };
    const hash = auditEntryHash(prevHash, content);
    const row = { seq: seq.toString(), ...content, at: at.toISOString(), prevHash, hash, mac: auditEntryMac(key, { seq, prevHash, hash }) };
    prevHash = hash;
    return row;
  });
  // One statement, one parameter: the rows as JSON, the same through Prisma, pg and PGlite.
  await sql.run(
    `INSERT INTO "AuditEntry" (seq, at, actor, action, target, details, "prevHash", hash, mac)
     SELECT seq, at, actor, action, target, details, "prevHash", hash, mac
     FROM jsonb_to_recordset($1::jsonb) AS r(seq bigint, at timestamptz, actor text, action text, target text, details jsonb, "prevHash" text, hash text, mac text)
     ORDER BY seq`,
    [JSON.stringify(rows)],
  );
  const head = { seq: seqs[seqs.length - 1]!, hash: prevHash };
  noteAuditAppend(head.seq);
  return head;
}

export async function appendAuditEntry(tx: Tx, input: AuditInput): Promise<{ seq: bigint; hash: string }> {
  return appendRows(prismaSql(tx), [input]);
}

/**
 * Appends several entries, in order, inside the caller's transaction: one lock, one read of the
 * chain's head, one multi-row insert. The chain is the same as appending them one by one.
 */
export async function appendAuditEntries(tx: Tx, inputs: readonly AuditInput[]): Promise<void> {
  if (!inputs.length) return;
  await appendRows(prismaSql(tx), inputs);
}

/** appendAuditEntry for raw-SQL transactions (the ingest pipeline's batch on a pg client or PGlite). */
export async function appendAuditEntryRaw(exec: SqlExecutor, input: AuditInput): Promise<{ seq: bigint; hash: string }> {
  return appendRows(execSql(exec), [input]);
}
