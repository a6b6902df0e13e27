import type { Binding, NormalizedEvent, Verdict } from '../domain/types.ts';
import { classifyToken } from './classify-token.ts';
import { isBindingError } from './errors.ts';
import { verifyDpopProof, type DpopProofVerification, type VerifyDpopProofDeps } from './verify-dpop-proof.ts';
import { verifyMtlsBinding, type MtlsBindingVerification } from './verify-mtls-binding.ts';
import { VERDICT_WORDS } from './words.ts';

/** What we know of the token behind an event (from inventory, introspection or its JWT). */
export interface TokenBindingFacts {
  binding: Binding;
  cnfJkt?: string | null;
  cnfX5tS256?: string | null;
  expiresAt?: Date | null;
  bindingAnomaly?: boolean;
}

/** Replay store, key cache and DPoP config for proofs found in logs; the clock is the event's time. */
export type DecideVerdictDeps = Omit<VerifyDpopProofDeps, 'now'>;

export interface VerdictDecision {
  verdict: Verdict;
  /** Refines the verdict: a DpopFailureReason, an mTLS reason, or a short code for the evidence. */
  reason: string | null;
  /** Whether the gateway answered 2xx; null when the status was not logged. */
  accepted: boolean | null;
  explanation: string;
  dpop: DpopProofVerification | null;
  mtls: MtlsBindingVerification | null;
}

function acceptedOf(status: number | null): boolean | null {
  return status === null ? null : status >= 200 && status < 300;
}

async function factsFromEvent(event: NormalizedEvent): Promise<TokenBindingFacts | null> {
  if (!event.tokenClaims) return null;
  try {
    const c = await classifyToken({ kind: 'introspection', response: { active: true, ...event.tokenClaims } });
    return { binding: c.binding, cnfJkt: c.cnfJkt, cnfX5tS256: c.cnfX5tS256, expiresAt: c.expiresAt, bindingAnomaly: c.bindingAnomaly };
  } catch (e) {
    if (isBindingError(e)) return null;
    throw e;
  }
}

/**
 * Decides the enforcement verdict for one logged request: what the request presented against
 * what its token requires, and what the gateway answered. The worst case it looks for is
 * `bound_not_enforced`: a 2xx for a sender-bound token whose proof or certificate was missing or
 * wrong — a key on the client side but no proof check at the resource server.
 */
export async function decideVerdict(
  event: NormalizedEvent,
  token: TokenBindingFacts | null,
  deps: DecideVerdictDeps = {},
): Promise<VerdictDecision> {
  const accepted = acceptedOf(event.httpStatus);
  const at = event.occurredAt.getTime();
  let dpop: DpopProofVerification | null = null;
  let mtls: MtlsBindingVerification | null = null;
  const out = (verdict: Verdict, reason: string | null): VerdictDecision => ({
    verdict,
    reason,
    accepted,
    explanation: VERDICT_WORDS[verdict],
    dpop,
    mtls,
  });
  // A bound token that the gateway let through despite the failure is the finding; a rejection
  // is the gateway doing its job.
  const failed = (rejectedVerdict: Verdict, reason: string): VerdictDecision =>
    accepted ? out('bound_not_enforced', reason) : out(rejectedVerdict, reason);

  const facts = token ?? (await factsFromEvent(event));
  const scheme = event.authScheme?.toLowerCase() ?? null;

  const expiresAt = facts?.expiresAt ?? null;
  if (expiresAt && expiresAt.getTime() <= at) return out('token_expired', accepted ? 'accepted_after_expiry' : null);

  let binding: Binding | null = facts?.binding ?? null;
  // A DPoP-scheme request carries a DPoP-bound token even when we hold nothing else about it.
  if (binding === null && scheme === 'dpop') binding = 'dpop';

  if (binding === 'dpop') {
    const jkt = facts?.cnfJkt ?? null;
    if (scheme === 'bearer') return failed('proof_invalid', 'bearer_scheme_for_dpop_token');
    if (!event.hasDpop) {
      if (accepted) return out('bound_not_enforced', 'no_proof');
      // The client used the DPoP scheme, yet no proof reached the gateway: something removed it.
      if (scheme === 'dpop') return out('binding_context_stripped', 'dpop_header_missing');
      return out('no_proof_for_bound_token', null);
    }
    if (!event.dpopProof) {
      if (event.sourceVerdict) return out(event.sourceVerdict.verdict, event.sourceVerdict.reason);
      return out('ok', 'proof_not_logged');
    }
    dpop = await verifyDpopProof(
      {
        proof: event.dpopProof,
        method: event.method,
        url: event.url,
        accessTokenHash: event.tokenFingerprint,
        expectedJkt: jkt,
        authScheme: event.authScheme,
      },
      { ...deps, now: () => at },
    );
    if (!dpop.ok && dpop.reason) return failed('proof_invalid', dpop.reason);
    return out('ok', null);
  }

  if (binding === 'mtls') {
    const cert = event.cert;
    const hasComparable = !!cert?.x5tS256;
    const hasSha1 = !!cert?.sha1Hex;
    if (!cert || (!hasComparable && !hasSha1)) {
      const certSeen = !!cert && (cert.verify === 'SUCCESS' || !!cert.subjectDn || !!cert.serial);
      if (certSeen) return out('binding_context_stripped', 'certificate_not_forwarded');
      if (accepted) return out('bound_not_enforced', 'no_certificate');
      return out('no_proof_for_bound_token', null);
    }
    mtls = await verifyMtlsBinding(
      { presented: { fingerprint: (cert.x5tS256 ?? cert.sha1Hex) as string }, expectedX5tS256: facts?.cnfX5tS256 ?? null },
      { now: () => at },
    );
    if (mtls.reason === 'fingerprint_not_comparable') return out('binding_context_stripped', 'fingerprint_not_comparable');
    if (mtls.reason === 'malformed_certificate') return out('binding_context_stripped', 'certificate_unreadable');
    if (mtls.reason === 'x5t_mismatch') return failed('binding_mismatch', 'x5t_mismatch');
    if (cert.notAfter && cert.notAfter.getTime() < at) return out('cert_expired', 'cert_expired');
    if (cert.notBefore && cert.notBefore.getTime() > at) return out('cert_expired', 'cert_not_yet_valid');
    if (cert.verify?.startsWith('FAILED')) {
      return /revok/i.test(cert.verify) ? out('cert_revoked', cert.verify) : out('cert_untrusted', cert.verify);
    }
    return out('ok', null);
  }

  if (binding === 'bearer') return out('bearer_unbound', facts?.bindingAnomaly ? 'cnf_anomaly' : null);

  // Nothing known about the token.
  if (event.sourceVerdict) return out(event.sourceVerdict.verdict, event.sourceVerdict.reason);
  if (scheme === 'bearer' && !event.cert) return out('bearer_unbound', 'binding_unknown');
  return out('ok', 'binding_unknown');
}
