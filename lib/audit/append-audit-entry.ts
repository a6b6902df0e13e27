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
