// One certificate: fingerprints (x5t#S256, SHA-1), DNs, serial, validity, status, owner identity,
// every token bound to it (cnf x5t#S256 = its x5t#S256, or linked by certificateId), the recent
// gateway events that presented it (by x5t#S256, or SHA-1 for gateways that log only that), and
// the findings on it. Never a raw token (none is stored) nor an event's redactedRaw.
import type { Database } from '../../db/open.ts';
import { derToPem } from '../../credentials/certificate.ts';
import { HoldfastError } from '../../errors.ts';
import { iso } from './query.ts';
import { isUuid } from '../../domain/uuid.ts';
import { listEvents, parseEventFilters, toFindingRow, type EventRow, type FindingRow, type FindingSqlRow } from './lists.ts';

export interface CertificateDetail {
  certificate: {
    id: string;
    x5tS256: string;
    sha1Hex: string | null;
    subjectDn: string | null;
    issuerDn: string | null;
    serial: string | null;
    notBefore: string | null;
    notAfter: string | null;
    status: string;
    caName: string | null;
    createdAt: string;
    revokedAt: string | null;
    /** `crl:<reason>` when a trusted CA's CRL lists it (revokedAt is the CRL's time); null when Holdfast revoked it or it is not revoked. */
    revocationReason: string | null;
    /** The certificate as PEM, when a gateway line carried it whole; null when its logs gave only its facts. */
    pem: string | null;
  };
  identity: { id: string; name: string; kind: string } | null;
  tokens: { id: string; fingerprint: string; identityId: string; identity: string; binding: string; status: string; issuer: string | null; expiresAt: string | null; lastSeenAt: string | null }[];
  tokensTruncated: boolean;
  /** The newest requests that presented it (notable ones in full, the rest from the ledger while its window lasts). */
  events: EventRow[];
  findings: FindingRow[];
}

const TOKEN_LIMIT = 500;
const EVENT_LIMIT = 50;

/** By id, or by x5t#S256 (base64url) when the argument is not a UUID. */
export async function getCertificateDetail(db: Database, idOrX5t: string, now = new Date()): Promise<CertificateDetail> {
  const byId = isUuid(idOrX5t);
  if (!byId && !/^[A-Za-z0-9_-]{43}$/.test(idOrX5t)) throw new HoldfastError('not_found', 'no such certificate');
  const [c] = await db.query<{
    id: string; x5tS256: string; sha1Hex: string | null; subjectDn: string | null; issuerDn: string | null; serial: string | null;
    notBefore: Date | string | null; notAfter: Date | string | null; status: string; caName: string | null; createdAt: Date | string; revokedAt: Date | string | null; revocationReason: string | null; der: Uint8Array | null;
    iid: string | null; iname: string | null; ikind: string | null;
  }>(
    `SELECT c.id::text, c."x5tS256", c."sha1Hex", c."subjectDn", c."issuerDn", c.serial, c."notBefore", c."notAfter", c.status, c."caName",
            c."createdAt", c."revokedAt", c."revocationReason", c.der, i.id::text AS iid, i.name AS iname, i.kind AS ikind
       FROM "Certificate" c LEFT JOIN "Identity" i ON i.id = c."identityId"
      WHERE ${byId ? 'c.id = $1::uuid' : 'c."x5tS256" = $1'}`,
    [idOrX5t],
  );
  if (!c) throw new HoldfastError('not_found', 'no such certificate');
  const id = c.id;
  const x5t = c.x5tS256;
  const sha1 = c.sha1Hex;
  const tokenRows = await db.query<{
    id: string; fingerprint: string; identityId: string; identity: string; binding: string; status: string; issuer: string | null; expiresAt: Date | string | null; lastSeenAt: Date | string | null;
  }>(
    `SELECT t.id::text, t.fingerprint, t."identityId"::text AS "identityId", i.name AS identity, t.binding::text AS binding, t.status, t.issuer, t."expiresAt", t."lastSeenAt"
       FROM "Token" t JOIN "Identity" i ON i.id = t."identityId"
      WHERE t."cnfX5tS256" = $1 OR t."certificateId" = $2::uuid
      ORDER BY (t.status = 'active') DESC, t."lastSeenAt" DESC NULLS LAST, t.id LIMIT ${TOKEN_LIMIT + 1}`,
    [x5t, id],
  );
  const events = (await listEvents(db, { ...parseEventFilters({}), cert: x5t, certSha1: sha1 ?? undefined, limit: EVENT_LIMIT }, {})).items;
  const findings = await db.query<FindingSqlRow>(
    `SELECT f.id::text, f."dedupeKey", f.rule, f.severity, f.status, f."identityId"::text AS "identityId", i.name AS identity,
            f."tokenId"::text AS "tokenId", f."certificateId"::text AS "certificateId", f.title, f.explanation, f.recommendation,
            f."blastRadius", f."firstSeenAt", f."lastSeenAt", f."resolvedAt", f."ackReason", f."ackUntil", f."ackBy"
       FROM "Finding" f LEFT JOIN "Identity" i ON i.id = f."identityId"
      WHERE f."certificateId" = $1::uuid
      ORDER BY (f.status = 'resolved'), f."lastSeenAt" DESC LIMIT 200`,
    [id],
  );
  return {
    certificate: {
      id,
      x5tS256: x5t,
      sha1Hex: sha1,
      subjectDn: c.subjectDn,
      issuerDn: c.issuerDn,
      serial: c.serial,
      notBefore: iso(c.notBefore),
      notAfter: iso(c.notAfter),
      status: c.status,
      caName: c.caName,
      createdAt: iso(c.createdAt)!,
      revokedAt: iso(c.revokedAt),
      revocationReason: c.revocationReason,
      pem: c.der ? derToPem(c.der) : null,
    },
    identity: c.iid ? { id: c.iid, name: String(c.iname), kind: String(c.ikind) } : null,
    tokens: tokenRows.slice(0, TOKEN_LIMIT).map((t) => ({
      ...t,
      expiresAt: iso(t.expiresAt),
      lastSeenAt: iso(t.lastSeenAt),
    })),
    tokensTruncated: tokenRows.length > TOKEN_LIMIT,
    events,
    findings: findings.map((r) => toFindingRow(r, now)),
  };
}
