// How hop rows (evidence."Hop", evidence."HopUsage") store what is not a verdict: chain reasons and
// what a hop saw of the client's TLS, as small integers. Like verdict codes they are stored in every
// row and are forever: add new values at the end, never renumber or reuse one.
import type { NormalizedEvent } from '../../domain/types.ts';
import type { ChainReason } from '../../hops/index.ts';

const CHAIN_REASONS: readonly ChainReason[] = [
  'forwarded_intact',
  'no_client_certificate',
  'certificate_stripped',
  'certificate_replaced',
  'certificate_injected',
  'not_comparable',
  'ambiguous_hops',
  'single_hop',
];

export function chainReasonCode(r: ChainReason): number {
  const i = CHAIN_REASONS.indexOf(r);
  if (i < 0) throw new Error(`chain reason ${r} has no stored code (lib/services/evidence/hop-codes.ts)`);
  return i;
}

export function chainReasonOfCode(code: number): ChainReason {
  const r = CHAIN_REASONS[code];
  if (!r) throw new Error(`no chain reason has the stored code ${code}`);
  return r;
}

/**
 * What a hop's line says about the client's TLS certificate check. `absent`: the line has no TLS
 * facts at all (a backend over plain HTTP); `unlogged`: facts without a verify result.
 */
export type TlsView = 'absent' | 'unlogged' | 'none' | 'success' | 'failed';

/** Stored form (NULL for `absent`, so a backend's row costs nothing for it). */
export const TLS_CODES: Record<Exclude<TlsView, 'absent'>, number> = { unlogged: 0, none: 1, success: 2, failed: 3 };

/** The TLS view of a line's client certificate facts. */
export function tlsViewOf(cert: NormalizedEvent['cert']): TlsView {
  if (!cert) return 'absent';
  if (cert.verify === null) return 'unlogged';
  if (/^NONE$/i.test(cert.verify)) return 'none';
  return /^SUCCESS$/i.test(cert.verify) ? 'success' : 'failed';
}

export function tlsViewOfCode(code: number | null): TlsView {
  if (code === null) return 'absent';
  const hit = (Object.entries(TLS_CODES) as Array<[Exclude<TlsView, 'absent'>, number]>).find(([, c]) => c === code);
  return hit ? hit[0] : 'failed';
}

/** A verify value standing for a stored TLS view (what lib/hops reads of it: NONE, a result, or none logged). */
export function verifyOfTlsView(v: TlsView): string | null {
  return v === 'none' ? 'NONE' : v === 'success' ? 'SUCCESS' : v === 'failed' ? 'FAILED' : null;
}
