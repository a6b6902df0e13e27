// Trust anchors and CRLs Holdfast judges client certificates against (issue #16 item 4), as the
// ingest pipeline sees them: a snapshot loaded once per batch, and a review of each request's
// verdict against it. A gateway that ACCEPTED a certificate its CA's CRL lists (Caddy checks no
// CRL at all; Envoy and others reload CRLs only on restart) gets `cert_revoked_unchecked`.
// (Placeholder wiring: no anchors are stored yet, so the review changes nothing.)
import type { SqlExecutor } from '../../db/bulk.ts';
import type { NormalizedEvent, Verdict } from '../../domain/types.ts';

/** What the batch knows of the configured trust anchors and their CRLs. */
export interface TrustSnapshot {
  readonly empty: true;
}

/** Loads the trust snapshot for a batch (inside its transaction); null when no anchor is configured. */
export async function loadTrustSnapshot(_exec: SqlExecutor): Promise<TrustSnapshot | null> {
  return null;
}

/** The verdict once the trust anchors have had their say. */
export function reviewWithTrust(_trust: TrustSnapshot, _ev: NormalizedEvent, verdict: { verdict: Verdict; reason: string | null }): { verdict: Verdict; reason: string | null } {
  return verdict;
}
