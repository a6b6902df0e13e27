// A certificate a trusted CA's CRL lists is revoked, whether or not a gateway checked: its stored
// status says so (the certificate page, lists, exports and the finding rules read it), with the
// CRL's revocation time and reason. Done where Holdfast learns either half of the fact — when a
// batch brings a certificate the CRL lists (batch-writer.ts), and when a CRL arrives that lists a
// certificate Holdfast already holds (store.ts). A CRL revocation is never undone here: a later
// CRL without the entry (certificateHold released) leaves the stored status as it is.
import type { SqlExecutor } from '../../db/bulk.ts';
import { revocationReason, type RevocationIndex, type RevocationMatch } from '../../trust/revocation-index.ts';

/** One certificate, by x5t#S256, and the CRL entry that lists it. */
export interface CrlRevokedCertificate {
  x5tS256: string;
  match: RevocationMatch;
}

/**
 * Marks the certificates revoked (status, revokedAt = the CRL's revocation time, revocationReason
 * `crl:<reason>`); a certificate already revoked keeps its record, unless it has no time (a gateway
 * refused it as revoked: the CRL says when and why). Returns how many changed.
 */
export async function markCertificatesRevokedByCrl(exec: SqlExecutor, list: readonly CrlRevokedCertificate[]): Promise<number> {
  const byX5t = new Map<string, RevocationMatch>();
  for (const { x5tS256, match } of list) {
    const had = byX5t.get(x5tS256);
    if (!had || match.revocation.revocationDate < had.revocation.revocationDate) byX5t.set(x5tS256, match);
  }
  if (!byX5t.size) return 0;
  const x5ts = [...byX5t.keys()];
  const res = await exec(
    `UPDATE "Certificate" c SET status = 'revoked', "revokedAt" = u.at, "revocationReason" = u.reason
       FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS u(x5t, at, reason)
      WHERE c."x5tS256" = u.x5t AND (c.status <> 'revoked' OR (c."revokedAt" IS NULL AND c."revocationReason" IS NULL))
      RETURNING c.id`,
    [x5ts, x5ts.map((x) => byX5t.get(x)!.revocation.revocationDate.toISOString()), x5ts.map((x) => revocationReason(byX5t.get(x)!))],
  );
  return res.rows.length;
}

/** Known certificates the index's CRLs list (those it was built with, by their stored issuer DN and serial). */
export function revokedKnownCertificates(index: RevocationIndex): CrlRevokedCertificate[] {
  return [...index.byX5t].map(([x5tS256, hit]) => ({ x5tS256, match: { ...hit, basis: 'issuer' as const } }));
}
