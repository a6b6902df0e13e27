import type { Binding, DpopFailureReason, NormalizedEvent, Verdict } from '../domain/types.ts';
import { classifyToken } from './classify-token.ts';
import { isBindingError } from './errors.ts';
import { gatewayCertFailure } from '../credentials/cert-failure.ts';
import { verifyDpopProofAt, type DpopProofVerification, type VerifyDpopProofDeps } from './verify-dpop-proof.ts';
import { verifyMtlsBinding, type MtlsBindingVerification } from './verify-mtls-binding.ts';
import { explainDpop, VERDICT_WORDS } from './words.ts';

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

/** What an event's own claims say of its token: the binding null when they cannot say (notLogged.cnf). */
type EventTokenFacts = Omit<TokenBindingFacts, 'binding'> & { binding: Binding | null };

async function factsFromEvent(event: NormalizedEvent): Promise<EventTokenFacts | null> {
  if (!event.tokenClaims) return null;
  try {
    const c = await classifyToken({ kind: 'introspection', response: { active: true, ...event.tokenClaims } });
    // A format that logs one cnf member, found empty, cannot say the other did not bind the token.
    const binding = c.binding === 'bearer' && !c.bindingAnomaly && event.notLogged?.cnf ? null : c.binding;
    return { binding, cnfJkt: c.cnfJkt, cnfX5tS256: c.cnfX5tS256, expiresAt: c.expiresAt, bindingAnomaly: c.bindingAnomaly };
  } catch (e) {
    if (isBindingError(e)) return null;
    throw e;
  }
}

function decision(
  verdict: Verdict, reason: string | null, accepted: boolean | null, dpop: DpopProofVerification | null, mtls: MtlsBindingVerification | null,
): VerdictDecision {
  return { verdict, reason, accepted, explanation: VERDICT_WORDS[verdict], dpop, mtls };
}

/** A bound token that the gateway let through despite the failure is the finding; a rejection is the gateway doing its job. */
function failedDecision(
  rejectedVerdict: Verdict, reason: string, accepted: boolean | null, dpop: DpopProofVerification | null, mtls: MtlsBindingVerification | null,
): VerdictDecision {
  return accepted ? decision('bound_not_enforced', reason, accepted, dpop, mtls) : decision(rejectedVerdict, reason, accepted, dpop, mtls);
}

/**
 * Decides the enforcement verdict for one logged request: what the request presented against
 * what its token requires, and what the gateway answered. The worst case it looks for is
 * `bound_not_enforced`: a 2xx for a sender-bound token whose proof or certificate was missing or
 * wrong — a key on the client side but no proof check at the resource server.
 *
 * Precedence, first match wins:
 * 1. The client certificate failed: the gateway's own verification (NGINX `FAILED:<reason>`,
 *    a parser's certificate verdict) → `cert_revoked` / `cert_expired` / `cert_untrusted`, else a
 *    certificate outside its validity window at the event's time → `cert_expired`. Whatever the
 *    token: TLS client verification happens in the handshake, before any token is looked at, and
 *    a revoked certificate still being presented (a key declared compromised) is what an analyst
 *    must see — reporting the token's `bearer_unbound` instead hid it. This also wins over an
 *    expired token: the request failed at the certificate first, and the token's expiry stays on
 *    the token record (`expiresAt`) for the token-level findings.
 * 2. The token had expired → `token_expired`.
 * 3. The token's binding (from the token record, else its logged claims) against the proof or
 *    certificate the request presented.
 * The token's binding is never changed by this decision: it is a fact of the token.
 */
export function decideVerdict(
  event: NormalizedEvent,
  token: TokenBindingFacts | null,
  deps: DecideVerdictDeps = {},
): Promise<VerdictDecision> {
  try {
    return Promise.resolve(decideVerdictNow(event, token, deps));
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

/**
 * decideVerdict without the promise when none is needed. Most logged requests need no
 * asynchronous step; a promise comes back only for token claims to classify, a certificate to
 * check, or a replay store that answers asynchronously. Per-event callers (log ingest) await
 * only then: an await per event costs more than the verdict logic.
 */
export function decideVerdictNow(
  event: NormalizedEvent,
  token: TokenBindingFacts | null,
  deps: DecideVerdictDeps = {},
): VerdictDecision | Promise<VerdictDecision> {
  const failed = certificateFailure(event);
  if (failed) return failed;
  if (!token && event.tokenClaims) return factsFromEvent(event).then((facts) => decideWithFacts(event, facts, deps));
  return decideWithFacts(event, token, deps);
}

/** Step 1 of the precedence: the presented certificate failed, by the gateway's word or by its dates. */
function certificateFailure(event: NormalizedEvent): VerdictDecision | null {
  const gateway = gatewayCertFailure(event);
  const cert = event.cert;
  if (!gateway && !cert?.notAfter && !cert?.notBefore) return null;
  const accepted = acceptedOf(event.httpStatus);
  if (gateway) return decision(gateway.verdict, gateway.reason, accepted, null, null);
  const at = event.occurredAt.getTime();
  if (cert?.notAfter && cert.notAfter.getTime() < at) return decision('cert_expired', 'cert_expired', accepted, null, null);
  if (cert?.notBefore && cert.notBefore.getTime() > at) return decision('cert_expired', 'cert_not_yet_valid', accepted, null, null);
  return null;
}

// Module-level helpers, not closures: this runs once per logged request, and closures per call
// (each with its name defined, under tsx) cost more than the verdict logic itself.
function decideWithFacts(
  event: NormalizedEvent,
  facts: EventTokenFacts | null,
  deps: DecideVerdictDeps,
): VerdictDecision | Promise<VerdictDecision> {
  const accepted = acceptedOf(event.httpStatus);
  const at = event.occurredAt.getTime();
  const scheme = event.authScheme?.toLowerCase() ?? null;

  const expiresAt = facts?.expiresAt ?? null;
  if (expiresAt && expiresAt.getTime() <= at) return decision('token_expired', accepted ? 'accepted_after_expiry' : null, accepted, null, null);

  let binding: Binding | null = facts?.binding ?? null;
  // A DPoP-scheme request carries a DPoP-bound token even when we hold nothing else about it.
  if (binding === null && scheme === 'dpop') binding = 'dpop';

  if (binding === 'dpop') {
    const jkt = facts?.cnfJkt ?? null;
    if (scheme === 'bearer') return failedDecision('proof_invalid', 'bearer_scheme_for_dpop_token', accepted, null, null);
    if (!event.hasDpop) {
      // The log format carries no DPoP header or presence flag: whether a proof came is unknown.
      if (event.notLogged?.dpop) return decision('ok', 'proof_not_logged', accepted, null, null);
      if (accepted) return decision('bound_not_enforced', 'no_proof', accepted, null, null);
      // The DPoP scheme without a DPoP header: one line cannot tell a client that sent none from a
      // hop that removed it, and the gateway refused it either way.
      return decision('no_proof_for_bound_token', scheme === 'dpop' ? 'dpop_header_missing' : null, accepted, null, null);
    }
    // RFC 9449 §4.3 check 1: a log that counts the DPoP headers (HAProxy req.hdr_cnt) saw several.
    if (multipleDpopHeaders(event)) return failedDecision('proof_invalid', 'multiple_proofs', accepted, null, null);
    if (!event.dpopProof) {
      if (event.sourceVerdict) return decision(event.sourceVerdict.verdict, event.sourceVerdict.reason, accepted, null, null);
      return decision('ok', 'proof_not_logged', accepted, null, null);
    }
    const dpop = verifyLoggedProof(event, event.dpopProof, jkt, deps, at);
    return dpop instanceof Promise ? dpop.then((d) => dpopDecision(d, accepted, event.url, false)) : dpopDecision(dpop, accepted, event.url, false);
  }

  if (binding === 'mtls') {
    const cert = event.cert;
    const hasComparable = !!cert?.x5tS256;
    const hasSha1 = !!cert?.sha1Hex;
    // The log format carries nothing about client certificates: whether one came is unknown.
    if (!cert && event.notLogged?.certificate) return decision('ok', 'certificate_not_logged', accepted, null, null);
    // The hop that terminated TLS logs the certificate it received (verify result, DN, serial,
    // SHA-1) but no thumbprint that gives x5t#S256: nothing was stripped, the binding cannot be
    // compared (a SHA-1 cannot become x5t#S256). The issuer+serial join may have given it one since.
    if (cert && !hasComparable && event.notLogged?.thumbprint && certificatePresented(cert)) return decision('ok', 'certificate_not_logged', accepted, null, null);
    if (!cert || (!hasComparable && !hasSha1)) {
      const certSeen = !!cert && (cert.verify === 'SUCCESS' || !!cert.subjectDn || !!cert.serial);
      if (certSeen) return decision('binding_context_stripped', 'certificate_not_forwarded', accepted, null, null);
      if (accepted) return decision('bound_not_enforced', 'no_certificate', accepted, null, null);
      return decision('no_proof_for_bound_token', null, accepted, null, null);
    }
    return verifyMtlsBinding(
      { presented: { fingerprint: (cert.x5tS256 ?? cert.sha1Hex) as string }, expectedX5tS256: facts?.cnfX5tS256 ?? null },
      { now: () => at },
    ).then((mtls) => mtlsDecision(mtls, accepted));
  }

  if (binding === 'bearer') return decision('bearer_unbound', facts?.bindingAnomaly ? 'cnf_anomaly' : null, accepted, null, null);

  // Nothing known about the token.
  if (event.sourceVerdict) return decision(event.sourceVerdict.verdict, event.sourceVerdict.reason, accepted, null, null);
  // The format logs the DPoP proof but not the Authorization header: the proof's own checks (all
  // but jkt, and ath without a token fingerprint) still run. A client that sends a DPoP proof uses
  // DPoP (RFC 9449 §7.1): one that fails them answers whether the gateway verifies DPoP at all.
  if (scheme === null && multipleDpopHeaders(event)) return proofFailureOfUnknownToken('multiple_proofs', accepted, null);
  if (scheme === null && event.dpopProof) {
    const dpop = verifyLoggedProof(event, event.dpopProof, null, deps, at);
    return dpop instanceof Promise ? dpop.then((d) => dpopDecision(d, accepted, event.url, true)) : dpopDecision(dpop, accepted, event.url, true);
  }
  // No certificate presented: no certificate record, or one that says so (NGINX's `$ssl_client_verify`
  // NONE, HAProxy's ssl_c_used 0) and names no certificate.
  if (scheme === 'bearer' && !certificatePresented(event.cert)) return decision('bearer_unbound', 'binding_unknown', accepted, null, null);
  return decision('ok', 'binding_unknown', accepted, null, null);
}

function certificatePresented(cert: NormalizedEvent['cert']): boolean {
  if (!cert) return false;
  if (cert.x5tS256 || cert.sha1Hex || cert.subjectDn || cert.serial) return true;
  return cert.verify !== null && cert.verify.toUpperCase() !== 'NONE';
}

function multipleDpopHeaders(event: NormalizedEvent): boolean {
  return (event.dpopHeaderCount ?? 0) > 1;
}

function verifyLoggedProof(
  event: NormalizedEvent, proof: string, jkt: string | null, deps: DecideVerdictDeps, at: number,
): DpopProofVerification | Promise<DpopProofVerification> {
  return verifyDpopProofAt(
    { proof, method: event.method, url: event.url, accessTokenHash: event.tokenFingerprint, expectedJkt: jkt, authScheme: event.authScheme },
    deps,
    at,
  );
}

/** Said first when the token's scheme was not logged: why a failed proof still makes the request a DPoP one. */
const SCHEME_NOT_LOGGED =
  'The log carries the DPoP proof but not the Authorization header, so the token itself is unknown; a client that sends a DPoP proof uses DPoP-bound tokens (RFC 9449 §7.1), and a gateway that accepts a proof failing the checks that need no token does not verify DPoP.';

function proofFailureOfUnknownToken(reason: DpopFailureReason, accepted: boolean | null, dpop: DpopProofVerification | null): VerdictDecision {
  const d = failedDecision('proof_invalid', reason, accepted, dpop, null);
  d.explanation = `${SCHEME_NOT_LOGGED} ${d.explanation} ${explainDpop(reason, dpop?.alg ?? null)}`;
  return d;
}

/**
 * `schemeUnknown`: the token's scheme and binding were not logged; a proof that passes is then
 * `ok` / `binding_unknown` (its key cannot be compared with the token's cnf.jkt).
 */
function dpopDecision(dpop: DpopProofVerification, accepted: boolean | null, url: string | null, schemeUnknown: boolean): VerdictDecision {
  if (!dpop.ok && dpop.reason) {
    if (schemeUnknown) return proofFailureOfUnknownToken(dpop.reason, accepted, dpop);
    const d = failedDecision('proof_invalid', dpop.reason, accepted, dpop, null);
    // The verdict's words, then which check failed: an `alg: none` proof reads as the forgery attempt it is.
    d.explanation = `${d.explanation} ${explainDpop(dpop.reason, dpop.alg)}`;
    return d;
  }
  if (schemeUnknown) return decision('ok', 'binding_unknown', accepted, dpop, null);
  // A log with the path only (no scheme and host): the proof's htu was compared on its path.
  const pathOnly = url !== null && url.startsWith('/');
  return decision('ok', pathOnly ? 'htu_path_only' : null, accepted, dpop, null);
}

// Certificate failures (gateway verdict, validity dates) were decided before the binding.
function mtlsDecision(mtls: MtlsBindingVerification, accepted: boolean | null): VerdictDecision {
  if (mtls.reason === 'fingerprint_not_comparable') return decision('binding_context_stripped', 'fingerprint_not_comparable', accepted, null, mtls);
  if (mtls.reason === 'malformed_certificate') return decision('binding_context_stripped', 'certificate_unreadable', accepted, null, mtls);
  if (mtls.reason === 'x5t_mismatch') return failedDecision('binding_mismatch', 'x5t_mismatch', accepted, null, mtls);
  return decision('ok', null, accepted, null, mtls);
}
