// Trust anchors and CRLs Holdfast judges client certificates against (issue #16 item 4), as the
// ingest pipeline sees them: a snapshot loaded once per batch, and a review of each request's
// verdict against it. A gateway that ACCEPTED a certificate its CA's CRL lists (Caddy checks no
// CRL at all; Envoy and others reload CRLs only on restart) gets `cert_revoked_unchecked`
// (the rule: lib/trust/revocation-index.ts); one whose certificate names no anchor as its issuer,
// or names one but (the line carrying the certificate) was not signed by its key, where nothing
// verified it, gets `cert_untrusted` (judgeAgainstAnchors). The signature checks are the batch's
// own (TrustSnapshot.signatures, one per certificate); the index is shared.
//
// Cheap per batch: one query reads a stamp of the anchors' and CRLs' ids (new ids whenever one
// is added, replaced or removed, and never the same in two databases), and the index built from
// them is kept per process under that stamp. Certificates Holdfast knows whose issuer and serial
// a CRL lists (the x5t#S256 path) are read again at most once a minute.
import type { SqlExecutor } from '../../db/bulk.ts';
import type { NormalizedEvent, Verdict } from '../../domain/types.ts';
import { revokedKnownCertificates, type CrlRevokedCertificate } from './mark-revoked-certificates.ts';
import { singleDer } from '../../trust/pem.ts';
import { buildRevocationIndex, judgeAgainstAnchors, judgeAgainstCrls, type AnchorRevocations, type KnownCertificate, type RevocationIndex, type SignatureChecks } from '../../trust/revocation-index.ts';

/** What the batch knows of the configured trust anchors and their CRLs. */
export interface TrustSnapshot {
  readonly index: RevocationIndex;
  /** The batch's signature checks of certificates naming an anchor as issuer, by x5t#S256 (one per certificate per batch). */
  readonly signatures?: SignatureChecks;
}

interface Cached {
  anchors: AnchorRevocations[];
  snapshot: TrustSnapshot;
  knownAt: number;
}

const KNOWN_CERTS_MAX_AGE_MS = 60_000;
const cache = new Map<string, Cached>();

/** Changes whenever an anchor or a CRL is added, replaced or removed; null when there is no anchor. */
async function trustStamp(exec: SqlExecutor): Promise<string | null> {
  const { rows } = await exec(
    `SELECT md5(string_agg(a.id::text || ':' || COALESCE(c.id::text, '-'), ',' ORDER BY a.id, c.id)) AS stamp
       FROM "TrustAnchor" a LEFT JOIN "Crl" c ON c."anchorId" = a.id`,
    [],
  );
  return (rows[0] as { stamp: string | null } | undefined)?.stamp ?? null;
}

async function loadAnchors(exec: SqlExecutor): Promise<AnchorRevocations[]> {
  const { rows: anchors } = await exec(`SELECT a.id::text AS id, a."subjectDn", a.pem, c.id::text AS "crlId" FROM "TrustAnchor" a LEFT JOIN "Crl" c ON c."anchorId" = a.id`, []);
  const { rows: entries } = await exec(`SELECT "crlId"::text AS "crlId", serial, "revocationDate", reason FROM "CrlEntry"`, []);
  const byCrl = new Map<string, AnchorRevocations['revocations'][number][]>();
  for (const e of entries as Array<{ crlId: string; serial: string; revocationDate: Date | string; reason: string | null }>) {
    let list = byCrl.get(e.crlId);
    if (!list) byCrl.set(e.crlId, (list = []));
    list.push({ serial: e.serial, revocationDate: new Date(e.revocationDate), reason: e.reason });
  }
  return (anchors as Array<{ id: string; subjectDn: string; pem: string; crlId: string | null }>).map((a) => ({
    anchorId: a.id,
    subjectDn: a.subjectDn,
    revocations: a.crlId ? (byCrl.get(a.crlId) ?? []) : [],
    der: anchorDer(a.pem),
  }));
}

/** The stored anchor certificate's DER (stored as read, so it parses); null if it somehow does not. */
function anchorDer(pem: string): Buffer | null {
  try {
    return singleDer(Buffer.from(pem), ['CERTIFICATE'], 'the trust anchor');
  } catch {
    return null;
  }
}

/** Certificates Holdfast already knows (by x5t#S256) whose serial some CRL lists: the index keeps those that chain to its anchor. */
async function loadKnownCertificates(exec: SqlExecutor, anchors: readonly AnchorRevocations[]): Promise<KnownCertificate[]> {
  const serials = [...new Set(anchors.flatMap((a) => a.revocations.map((r) => r.serial)))];
  if (!serials.length) return [];
  const { rows } = await exec(
    `SELECT "x5tS256", "issuerDn", serial FROM "Certificate"
      WHERE "issuerDn" IS NOT NULL AND serial IS NOT NULL
        AND COALESCE(NULLIF(ltrim(upper(replace(serial, ':', '')), '0'), ''), '0') = ANY($1::text[])`,
    [serials],
  );
  return rows as KnownCertificate[];
}

/**
 * Certificates Holdfast holds that a current CRL lists, by their stored issuer DN and serial,
 * read fresh (no cache): for a CRL just stored, in its transaction.
 */
export async function crlRevokedKnownCertificates(exec: SqlExecutor): Promise<CrlRevokedCertificate[]> {
  const anchors = await loadAnchors(exec);
  return revokedKnownCertificates(buildRevocationIndex(anchors, await loadKnownCertificates(exec, anchors)));
}

/** Loads the trust snapshot for a batch (inside its transaction); null when no anchor is configured. */
export async function loadTrustSnapshot(exec: SqlExecutor): Promise<TrustSnapshot | null> {
  const stamp = await trustStamp(exec);
  if (!stamp) return null;
  const now = Date.now();
  const hit = cache.get(stamp);
  // The index is shared by the batches of this process; the signature checks are the batch's own.
  if (hit && now - hit.knownAt < KNOWN_CERTS_MAX_AGE_MS) return { index: hit.snapshot.index, signatures: new Map() };
  const anchors = hit?.anchors ?? (await loadAnchors(exec));
  const snapshot = { index: buildRevocationIndex(anchors, await loadKnownCertificates(exec, anchors)) };
  // A handful of stamps at most: a change of anchors leaves the old one behind for good.
  if (!hit && cache.size >= 8) cache.delete(cache.keys().next().value!);
  cache.set(stamp, { anchors, snapshot, knownAt: now });
  return { index: snapshot.index, signatures: new Map() };
}

/** Reasons of a cert_untrusted the anchors' review gave (the gateway's own refusals have others). */
export { UNTRUSTED_BY_ANCHORS } from '../../trust/revocation-index.ts';

/** The verdict once the trust anchors have had their say. */
export function reviewWithTrust(
  trust: TrustSnapshot, ev: NormalizedEvent, verdict: { verdict: Verdict; reason: string | null; accepted?: boolean | null },
): { verdict: Verdict; reason: string | null } {
  // A certificate no anchor issued is untrusted, unless a CRL or the binding says something worse.
  return judgeAgainstAnchors(trust.index, ev, judgeAgainstCrls(trust.index, ev, verdict, trust.signatures), trust.signatures);
}
