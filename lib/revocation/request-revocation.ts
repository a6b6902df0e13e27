// Records a revocation decision: the Revocation row, one leg per credential, the certificates
// marked revoked in Holdfast at once (tokens only once their issuer confirmed), and the audit
// entry — one transaction (outbox): the worker (run-revocation-worker.ts) then carries each leg
// to its peer.
import { randomUUID } from 'node:crypto';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { fingerprintToken } from '../credentials/fingerprint.ts';
import { sealSecret } from '../crypto/seal.ts';
import type { Database } from '../db/open.ts';
import { HoldfastError } from '../errors.ts';
import { connectorCoverage } from './connector-store.ts';

export interface RequestRevocationOptions {
  tokenIds?: string[];
  certificateIds?: string[];
  /** Also revoke the certificate each token is bound to (RFC 8705). */
  withCertificate?: boolean;
  reason: string;
  /** The raw token, for an RFC 7009 peer; only with exactly one token id. Sealed, never logged. */
  rawToken?: string | null;
  /**
   * Raw tokens for a bulk revocation at an RFC 7009 peer, by token id (each one of `tokenIds`,
   * each must match that token's fingerprint). Sealed per leg, never logged. Not with `rawToken`.
   */
  rawTokens?: Readonly<Record<string, string>>;
  actor: string;
  now?: Date;
}

export interface RequestedRevocation {
  id: string;
  legs: { id: string; kind: 'token' | 'certificate'; tokenId: string | null; certificateId: string | null }[];
}

export const legTokenAad = (legId: string) => `leg:${legId}`;
const MAX_LEGS = 5000;

export async function requestRevocation(db: Database, key: Buffer, opts: RequestRevocationOptions): Promise<RequestedRevocation> {
  const reason = opts.reason?.trim() ?? '';
  if (!reason) throw new HoldfastError('validation_failed', 'a reason is required');
  if (reason.length > 500) throw new HoldfastError('validation_failed', 'reason: at most 500 characters');
  const tokenIds = [...new Set(opts.tokenIds ?? [])];
  const certificateIds = [...new Set(opts.certificateIds ?? [])];
  if (tokenIds.length + certificateIds.length === 0) throw new HoldfastError('validation_failed', 'name at least one token or certificate');
  if (opts.rawToken != null && (tokenIds.length !== 1 || certificateIds.length > 0)) {
    throw new HoldfastError('validation_failed', 'a raw token can be supplied only when revoking exactly one token');
  }
  const rawTokens = new Map(Object.entries(opts.rawTokens ?? {}));
  if (rawTokens.size && opts.rawToken != null) throw new HoldfastError('validation_failed', 'supply either rawToken or rawTokens, not both');
  for (const [id, raw] of rawTokens) {
    if (!tokenIds.includes(id)) throw new HoldfastError('validation_failed', `rawTokens: ${id.slice(0, 40)} is not one of the tokens to revoke`);
    if (typeof raw !== 'string' || !raw) throw new HoldfastError('validation_failed', 'rawTokens: each raw token must be a non-empty string');
  }
  if (opts.rawToken != null) rawTokens.set(tokenIds[0]!, opts.rawToken);
  const now = opts.now ?? new Date();
  const uuid = /^[0-9a-f-]{36}$/i;
  for (const id of [...tokenIds, ...certificateIds]) if (!uuid.test(id)) throw new HoldfastError('validation_failed', `not an id: ${id.slice(0, 40)}`);

  return db.prisma.$transaction(async (tx) => {
    const tokens = await tx.token.findMany({ where: { id: { in: tokenIds } }, select: { id: true, fingerprint: true, certificateId: true, cnfX5tS256: true } });
    if (tokens.length !== tokenIds.length) throw new HoldfastError('not_found', 'one or more tokens do not exist');
    const certs = await tx.certificate.findMany({ where: { id: { in: certificateIds } }, select: { id: true, x5tS256: true } });
    if (certs.length !== certificateIds.length) throw new HoldfastError('not_found', 'one or more certificates do not exist');
    const fingerprints = new Map(tokens.map((t) => [t.id, t.fingerprint]));
    for (const [id, raw] of rawTokens) {
      if (fingerprintToken(raw) !== fingerprints.get(id)) {
        throw new HoldfastError('validation_failed', opts.rawToken != null ? 'the raw token does not match the token you selected (fingerprint differs)' : `rawTokens: the raw token for ${id} does not match its fingerprint`);
      }
    }

    const { tokenLegIds, certLegIds } = await expandCredentials(tx, tokens, certificateIds, !!opts.withCertificate);
    if (tokenLegIds.size + certLegIds.size > MAX_LEGS) throw new HoldfastError('validation_failed', `at most ${MAX_LEGS} credentials per revocation`);

    const revocationId = randomUUID();
    const legs: RequestedRevocation['legs'] = [
      ...[...tokenLegIds].map((id) => ({ id: randomUUID(), kind: 'token' as const, tokenId: id, certificateId: null })),
      ...[...certLegIds].map((id) => ({ id: randomUUID(), kind: 'certificate' as const, tokenId: null, certificateId: id })),
    ];
    await tx.revocation.create({ data: { id: revocationId, reason, requestedBy: opts.actor, createdAt: now } });
    // Set-based: one INSERT … SELECT FROM unnest and one UPDATE … = ANY for any number of legs
    // (a bulk revocation has up to MAX_LEGS; row-by-row parameters were most of its cost).
    await tx.$executeRawUnsafe(
      `INSERT INTO "RevocationLeg" (id, "revocationId", kind, "tokenId", "certificateId", "nextAttemptAt", "sealedToken")
       SELECT l.id, $1::uuid, l.kind, l."tokenId", l."certificateId", $2::timestamptz, l.sealed
         FROM unnest($3::uuid[], $4::text[], $5::uuid[], $6::uuid[], $7::text[]) AS l(id, kind, "tokenId", "certificateId", sealed)`,
      revocationId,
      now.toISOString(),
      legs.map((l) => l.id),
      legs.map((l) => l.kind),
      legs.map((l) => l.tokenId),
      legs.map((l) => l.certificateId),
      legs.map((l) => (l.tokenId && rawTokens.has(l.tokenId) ? sealSecret(key, rawTokens.get(l.tokenId)!, legTokenAad(l.id)) : null)),
    );
    // Tokens stay as they are: a token is revoked when its issuer confirmed it (the worker
    // marks it then, run-revocation-worker.ts); until then it is "revocation pending" / "in progress", and
    // "revocation failed" if no peer confirms (token-revocation-state.ts). Certificates are
    // marked now: the built-in CRL connector publishes the CA's revoked certificates.
    await tx.$executeRawUnsafe(
      `UPDATE "Certificate" SET status = 'revoked', "revokedAt" = $2::timestamptz WHERE id = ANY($1::uuid[]) AND status <> 'revoked'`,
      [...certLegIds],
      now.toISOString(),
    );
    await appendAuditEntry(tx, {
      actor: opts.actor,
      action: 'revocation.request',
      target: `revocation:${revocationId}`,
      details: {
        reason,
        tokenIds: [...tokenLegIds].slice(0, 100),
        certificateIds: [...certLegIds].slice(0, 100),
        legs: legs.length,
        rawTokenSupplied: rawTokens.size > 0,
        ...(opts.rawTokens ? { rawTokensSupplied: rawTokens.size } : {}),
      },
    });
    return { id: revocationId, legs };
  });
}

type Tx = Parameters<Parameters<Database['prisma']['$transaction']>[0]>[0];

/**
 * What a revocation covers: the named tokens; with `withCertificate`, the certificate each is
 * bound to; the named certificates; and every still-active token bound to any of those
 * certificates (a revoked certificate stops a bound token only where the chain is checked,
 * RFC 8705 §6.3, so each gets its own leg).
 */
export async function expandCredentials(
  tx: Tx,
  tokens: { id: string; certificateId: string | null; cnfX5tS256: string | null }[],
  certificateIds: string[],
  withCertificate: boolean,
): Promise<{ tokenLegIds: Set<string>; certLegIds: Set<string> }> {
  const tokenLegIds = new Set(tokens.map((t) => t.id));
  const certLegIds = new Set(certificateIds);
  if (withCertificate) {
    for (const t of tokens) {
      if (t.certificateId) certLegIds.add(t.certificateId);
      else if (t.cnfX5tS256) {
        const c = await tx.certificate.findUnique({ where: { x5tS256: t.cnfX5tS256 }, select: { id: true } });
        if (c) certLegIds.add(c.id);
      }
    }
  }
  const allCerts = await tx.certificate.findMany({ where: { id: { in: [...certLegIds] } }, select: { id: true, x5tS256: true } });
  if (allCerts.length) {
    const bound = await tx.token.findMany({
      where: {
        status: 'active',
        OR: [{ certificateId: { in: allCerts.map((c) => c.id) } }, { cnfX5tS256: { in: allCerts.map((c) => c.x5tS256) } }],
      },
      select: { id: true },
    });
    for (const b of bound) tokenLegIds.add(b.id);
  }
  return { tokenLegIds, certLegIds };
}

export interface RevocationPlan {
  /** `connector`: the connector that would carry the leg, null when none serves its issuer. */
  tokens: { id: string; identity: string; fingerprint: string; binding: string; status: string; issuer: string | null; connector: string | null }[];
  certificates: { id: string; subjectDn: string | null; serial: string | null; caName: string | null; status: string; connector: string | null }[];
  /** Issuers and CAs no connector serves: their legs would fail at once. */
  unserved: { issuers: string[]; cas: string[] };
}

/** The exact credentials a request would revoke, for the confirmation dialog. Changes nothing. */
export async function planRevocation(db: Database, opts: { tokenIds?: string[]; certificateIds?: string[]; withCertificate?: boolean }): Promise<RevocationPlan> {
  const tokenIds = [...new Set(opts.tokenIds ?? [])];
  const certificateIds = [...new Set(opts.certificateIds ?? [])];
  return db.prisma.$transaction(async (tx) => {
    const tokens = await tx.token.findMany({ where: { id: { in: tokenIds } }, select: { id: true, certificateId: true, cnfX5tS256: true } });
    if (tokens.length !== tokenIds.length) throw new HoldfastError('not_found', 'one or more tokens do not exist');
    const certs = await tx.certificate.count({ where: { id: { in: certificateIds } } });
    if (certs !== certificateIds.length) throw new HoldfastError('not_found', 'one or more certificates do not exist');
    const { tokenLegIds, certLegIds } = await expandCredentials(tx, tokens, certificateIds, !!opts.withCertificate);
    const [ts, cs] = await Promise.all([
      tx.token.findMany({ where: { id: { in: [...tokenLegIds] } }, select: { id: true, fingerprint: true, binding: true, status: true, issuer: true, identity: { select: { name: true } } } }),
      tx.certificate.findMany({ where: { id: { in: [...certLegIds] } }, select: { id: true, subjectDn: true, serial: true, caName: true, status: true } }),
    ]);
    return { ts, cs };
  }).then(async ({ ts, cs }) => {
    const cover = await connectorCoverage(db, { issuers: ts.map((t) => t.issuer), cas: cs.map((c) => c.caName) });
    const tokens = ts.map((t) => ({ id: t.id, identity: t.identity.name, fingerprint: t.fingerprint, binding: t.binding, status: t.status, issuer: t.issuer, connector: cover.issuers.get(t.issuer ?? '') ?? null }));
    const certificates = cs.map((c) => ({ ...c, connector: cover.cas.get(c.caName ?? '') ?? null }));
    return {
      tokens,
      certificates,
      unserved: {
        issuers: [...new Set(tokens.filter((t) => !t.connector).map((t) => t.issuer ?? '(no issuer)'))],
        cas: [...new Set(certificates.filter((c) => !c.connector).map((c) => c.caName ?? '(no CA name)'))],
      },
    };
  });
}
