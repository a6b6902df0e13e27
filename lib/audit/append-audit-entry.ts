// Appends an audit entry inside the caller's transaction, so the entry commits with the change
// it records or not at all. A transaction-scoped advisory lock serialises appends: two app
// instances never chain onto the same previous entry.
import type { Prisma } from '../db/generated/client.ts';
import { auditEntryHash, GENESIS_HASH } from './hash.ts';

type Tx = Prisma.TransactionClient;

export interface AuditInput {
  actor: string;
  action: string;
  target?: string | null;
  details?: Record<string, unknown>;
}

export const AUDIT_LOCK_KEY = 727_001;

export async function appendAuditEntry(tx: Tx, input: AuditInput): Promise<{ seq: bigint; hash: string }> {
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
  const last = await tx.auditEntry.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
  const prevHash = last?.hash ?? GENESIS_HASH;
  // Millisecond precision: the column is timestamptz(3), and the hash must survive a round trip.
  const at = new Date(Math.floor(Date.now()));
  const content = {
    at,
    actor: input.actor,
    action: input.action,
    target: input.target ?? null,
    details: input.details ?? {},
  };
  const hash = auditEntryHash(prevHash, content);
  const row = await tx.auditEntry.create({
    data: { ...content, details: content.details as Prisma.InputJsonValue, prevHash, hash },
    select: { seq: true, hash: true },
  });
  return row;
}

/**
 * Appends several entries, in order, inside the caller's transaction: one lock, one read of the
 * chain's head, one multi-row insert. The chain is the same as appending them one by one.
 */
export async function appendAuditEntries(tx: Tx, inputs: readonly AuditInput[]): Promise<void> {
  if (!inputs.length) return;
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
  const last = await tx.auditEntry.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
  let prevHash = last?.hash ?? GENESIS_HASH;
  const at = new Date(Math.floor(Date.now()));
  const rows = inputs.map((input) => {
    const content = { at, actor: input.actor, action: input.action, target: input.target ?? null, details: input.details ?? {} };
    const hash = auditEntryHash(prevHash, content);
    const row = { ...content, details: content.details as Prisma.InputJsonValue, prevHash, hash };
    prevHash = hash;
    return row;
  });
  // One INSERT … VALUES: the sequence numbers follow the order of the rows.
  await tx.auditEntry.createMany({ data: rows });
}
