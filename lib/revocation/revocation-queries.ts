// Reading and retrying revocations: the shapes the API, CLI and pages show.
import { z } from 'zod';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { fingerprintToken } from '../credentials/fingerprint.ts';
import { sealSecret } from '../crypto/seal.ts';
import type { Prisma } from '../db/generated/client.ts';
import type { Database } from '../db/open.ts';
import { enumParam, intParam } from '../domain/query-params.ts';
import { HoldfastError } from '../errors.ts';
import { legTokenAad } from './request-revocation.ts';
import { deriveRevocationState } from './revocation-state.ts';
import { isUuid } from '../domain/uuid.ts';

export interface LegView {
  id: string;
  kind: 'token' | 'certificate';
  state: string;
  attempts: number;
  lastError: string | null;
  tokenId: string | null;
  certificateId: string | null;
  /** What the leg revokes, for people: identity and token fingerprint stub, or certificate subject. */
  label: string;
  connector: string | null;
  nextAttemptAt: string | null;
  confirmedAt: string | null;
  /**
   * An unconfirmed token leg of an RFC 7009 peer (an `oauth` connector) that holds no raw token:
   * the one it was given is erased once the leg fails, so a retry needs it again.
   */
  needsRawToken: boolean;
}

export interface RevocationView {
  id: string;
  state: string;
  reason: string;
  requestedBy: string;
  createdAt: string;
  completedAt: string | null;
  legs: LegView[];
}


const include = {
  legs: {
    orderBy: [{ kind: 'desc' }, { id: 'asc' }],
    include: {
      token: { select: { fingerprint: true, identity: { select: { name: true } } } },
      certificate: { select: { subjectDn: true, serial: true } },
    },
  },
} satisfies Prisma.RevocationInclude;

type Row = Awaited<ReturnType<typeof findRows>>[number];
function findRows(client: Pick<Database['prisma'], 'revocation'>, where: object, take: number, skip = 0) {
  return client.revocation.findMany({ where, include, orderBy: { createdAt: 'desc' }, take, skip });
}

/**
 * Revocations with their legs as of one moment. Prisma reads the legs in a second statement: on
 * PostgreSQL a worker committing between the two would show a leg `failed` under a revocation
 * still `in_progress` (what the worker wrote together, in one transaction). One REPEATABLE READ
 * snapshot holds both reads; PGlite has one connection, so nothing commits between them.
 */
function fetchRows(db: Database, where: object, take: number, skip = 0): Promise<Row[]> {
  if (db.kind !== 'postgres') return findRows(db.prisma, where, take, skip);
  return db.prisma.$transaction((tx) => findRows(tx, where, take, skip), { isolationLevel: 'RepeatableRead' });
}

async function connectorNames(db: Database, rows: Row[]): Promise<Map<string, { name: string; kind: string }>> {
  const ids = [...new Set(rows.flatMap((r) => r.legs.map((l) => l.connectorId)).filter((x): x is string => !!x))];
  if (!ids.length) return new Map();
  const cs = await db.prisma.connector.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, kind: true } });
  return new Map(cs.map((c) => [c.id, { name: c.name, kind: c.kind }]));
}

function view(r: Row, names: Map<string, { name: string; kind: string }>): RevocationView {
  const pending = (s: string) => s === 'pending' || s === 'in_progress';
  return {
    id: r.id,
    state: r.state,
    reason: r.reason,
    requestedBy: r.requestedBy,
    createdAt: r.createdAt.toISOString(),
    completedAt: r.completedAt?.toISOString() ?? null,
    legs: r.legs.map((l) => ({
      id: l.id,
      kind: l.kind as LegView['kind'],
      state: l.state,
      attempts: l.attempts,
      lastError: l.lastError,
      tokenId: l.tokenId,
      certificateId: l.certificateId,
      label: l.token
        ? `${l.token.identity.name} · token ${l.token.fingerprint.slice(0, 10)}…`
        : l.certificate
          ? `${l.certificate.subjectDn ?? 'certificate'} · serial ${(l.certificate.serial ?? '?').slice(0, 16)}`
          : '(deleted)',
      connector: l.connectorId ? (names.get(l.connectorId)?.name ?? null) : null,
      nextAttemptAt: pending(l.state) ? l.nextAttemptAt.toISOString() : null,
      confirmedAt: l.confirmedAt?.toISOString() ?? null,
      needsRawToken: l.kind === 'token' && l.state !== 'confirmed' && !l.sealedToken && !!l.connectorId && names.get(l.connectorId)?.kind === 'oauth',
    })),
  };
}

export async function getRevocation(db: Database, id: string): Promise<RevocationView> {
  if (!isUuid(id)) throw new HoldfastError('not_found', 'no such revocation');
  const rows = await fetchRows(db, { id }, 1);
  if (!rows[0]) throw new HoldfastError('not_found', 'no such revocation');
  return view(rows[0], await connectorNames(db, rows));
}

/** GET /api/v1/revocations's query; the OpenAPI document shows it. */
export const RevocationListQuerySchema = z.object({
  limit: intParam(1, 200, 50).describe('at most this many, newest first (default 50)'),
  offset: intParam(0, 1_000_000, 0).describe('skip this many'),
  state: enumParam(['pending', 'in_progress', 'confirmed', 'partial', 'failed']).describe('only revocations in this state'),
});

export async function listRevocations(db: Database, opts: { limit?: number; offset?: number; state?: string } = {}): Promise<{ revocations: RevocationView[]; total: number }> {
  const where = opts.state ? { state: opts.state } : {};
  const [rows, total] = await Promise.all([fetchRows(db, where, Math.min(opts.limit ?? 50, 200), opts.offset ?? 0), db.prisma.revocation.count({ where })]);
  const names = await connectorNames(db, rows);
  return { revocations: rows.map((r) => view(r, names)), total };
}

/**
 * Puts failed legs back in the queue (with a fresh attempt budget) and waiting legs due now.
 * `rawToken`: the raw token again, for an RFC 7009 leg whose sealed copy was erased when it failed;
 * sealed into the unconfirmed token leg whose token it is (its fingerprint), never stored in clear.
 */
export async function retryRevocation(db: Database, id: string, actor: string, supplied?: { rawToken: string; key: Buffer }): Promise<RevocationView> {
  if (!isUuid(id)) throw new HoldfastError('not_found', 'no such revocation');
  await db.prisma.$transaction(async (tx) => {
    const rev = await tx.revocation.findUnique({ where: { id }, include: { legs: { include: { token: { select: { fingerprint: true } } } } } });
    if (!rev) throw new HoldfastError('not_found', 'no such revocation');
    const open = rev.legs.filter((l) => l.state !== 'confirmed');
    if (!open.length) throw new HoldfastError('conflict', 'every leg is already confirmed');
    if (supplied) {
      const fp = fingerprintToken(supplied.rawToken);
      const leg = open.find((l) => l.kind === 'token' && l.token?.fingerprint === fp);
      if (!leg) throw new HoldfastError('validation_failed', 'the raw token matches no unconfirmed token of this revocation (fingerprint differs)');
      await tx.revocationLeg.update({ where: { id: leg.id }, data: { sealedToken: sealSecret(supplied.key, supplied.rawToken, legTokenAad(leg.id)) } });
    }
    const now = new Date();
    await tx.revocationLeg.updateMany({ where: { revocationId: id, state: 'failed' }, data: { state: 'pending', attempts: 0, nextAttemptAt: now } });
    // Waiting out a backoff: due now. A leg held by a live worker keeps its lease.
    await tx.revocationLeg.updateMany({ where: { revocationId: id, state: 'in_progress', claimedBy: null }, data: { nextAttemptAt: now } });
    const legs = await tx.revocationLeg.findMany({ where: { revocationId: id }, select: { state: true, attempts: true } });
    await tx.revocation.update({ where: { id }, data: { state: deriveRevocationState(legs).state, completedAt: null } });
    await appendAuditEntry(tx, { actor, action: 'revocation.retry', target: `revocation:${id}`, details: { legs: open.length, rawTokenSupplied: !!supplied } });
  });
  return getRevocation(db, id);
}
