// Plain-language explanations, in one place. Keyed by the typed reasons; never include token
// or proof material.
import type { DpopFailureReason, Verdict } from '../domain/types.ts';
import type { MtlsFailureReason } from './types.ts';

export const DPOP_REASON_WORDS: Record<DpopFailureReason, string> = {
  multiple_proofs: 'The request carried more than one DPoP proof (several DPoP headers, or one holding several values); RFC 9449 §4.3 allows exactly one, so none of them can be accepted.',
  malformed: 'The DPoP header is not a single, well-formed proof JWT with the required claims (jti, htm, htu, iat) and a public jwk.',
  typ: 'The proof is not typed "dpop+jwt", so it could be some other JWT replayed as a proof.',
  alg: 'The proof uses an algorithm that is not an allowed asymmetric one (never "none" or HMAC), or one that does not fit its key.',
  private_key_in_jwk: 'The proof carries a private key in its jwk header: the client has leaked its key and the proof is rejected.',
  signature: "The proof's signature does not verify with the public key it carries.",
  htm: "The proof was made for a different HTTP method than the request's.",
  htu: "The proof was made for a different URL than the request's (compared after RFC 3986 normalisation, ignoring query and fragment).",
  nonce: 'The server requires a DPoP nonce and the proof does not carry the current one; the client should retry with the nonce from the DPoP-Nonce header (use_dpop_nonce).',
  iat: "The proof's creation time is outside the accepted window: too old to trust, or too far in the future.",
  jti_replay: 'This proof (its jti) was already used for this URL within the window: a replay.',
  ath: 'The proof is not tied to this access token (ath missing or not the hash of the token).',
  jkt_mismatch: 'The proof was signed by a different key than the one the token is bound to (cnf.jkt): whoever holds the token does not hold its key.',
  bearer_scheme_for_dpop_token: 'A DPoP-bound token was sent with the Bearer scheme; RFC 9449 §7.2 requires rejecting it, or the binding is meaningless.',
};

export const MTLS_REASON_WORDS: Record<MtlsFailureReason, string> = {
  malformed_certificate: 'The presented certificate or fingerprint could not be read.',
  no_cnf: 'The token carries no certificate confirmation (cnf x5t#S256), so it is not certificate-bound.',
  x5t_mismatch: "The client certificate is not the one the token is bound to (its SHA-256 thumbprint differs from the token's cnf x5t#S256).",
  fingerprint_not_comparable: 'Only a SHA-1 fingerprint was available (as NGINX $ssl_client_fingerprint logs it); it cannot be compared with x5t#S256. Log the certificate ($ssl_client_escaped_cert) instead.',
  cert_expired: 'The client certificate has expired.',
  cert_not_yet_valid: 'The client certificate is not valid yet.',
  cert_untrusted: 'The client certificate does not chain to a trusted CA in the configured bundle.',
  cert_revoked: "The client certificate is on its issuer's revocation list.",
  revocation_unknown: "A revocation list is configured but cannot speak for this certificate (not signed by its issuer, out of date, or unreadable), so revocation status is unknown.",
};

export const VERDICT_WORDS: Record<Verdict, string> = {
  ok: 'The request presented what its token requires, and the gateway acted accordingly.',
  binding_mismatch: 'The request presented a certificate other than the one the token is bound to, and the gateway rejected it.',
  proof_invalid: 'The DPoP proof failed verification.',
  no_proof_for_bound_token: 'A sender-bound token arrived without its proof or certificate, and the gateway rejected it.',
  bearer_unbound: 'The token is a plain bearer token: anyone who copies it can use it.',
  bound_not_enforced: 'The gateway accepted a sender-bound token without a valid matching proof or certificate: the binding is not enforced at this resource server.',
  binding_context_stripped: 'The certificate or proof context needed to check the binding did not reach the point of verification (stripped by a proxy, or logged only in a form that cannot be compared).',
  cert_untrusted: 'The client certificate is not trusted.',
  cert_revoked: 'The client certificate is revoked.',
  cert_expired: 'The client certificate was expired (or not yet valid) at the time of the request.',
  token_expired: 'The access token had expired at the time of the request.',
  spoofed_client_cert:
    'The certificate the backend received in a forwarded header is not one the client presented at the edge: a client-supplied certificate header was passed through by a proxy, or sent straight to the backend from a peer that is not one of its trusted proxies, so certificate-bound tokens protect nothing on that path.',
  cert_revoked_unchecked:
    "A gateway accepted a client certificate that its CA's revocation list names: it checks no revocation list, so revoking the certificate did not stop its use.",
};

/**
 * Words for an `alg` refusal that say which attempt it was. `none` and HMAC are not client bugs a
 * real DPoP library makes (every one signs with the asymmetric key it proves possession of):
 * an unsigned proof is the classic JWT forgery, an HMAC one tries to turn the public jwk into a
 * shared secret. Both are attack signals worth their own words.
 */
export function explainDpopAlg(alg: string | null): string {
  if (alg !== null && alg.toLowerCase() === 'none') {
    return 'The proof declares alg "none": it is unsigned, so anyone could have written it, key and claims included. No DPoP client sends this; treat it as an attempt to forge a proof (RFC 9449 §4.3 requires an asymmetric signature).';
  }
  if (alg !== null && /^HS\d+$/i.test(alg)) {
    return `The proof declares the symmetric algorithm "${alg}" (HMAC): a DPoP proof must be signed with the client's private key, never a shared secret. This is a forged or badly broken proof; no DPoP client sends it.`;
  }
  const named = alg === null ? 'no algorithm' : `alg "${alg}"`;
  return `The proof declares ${named}, which is not an allowed asymmetric algorithm (or does not fit its key), so it is rejected (RFC 9449 §4.3 check 5).`;
}

/** One sentence for a DPoP verification outcome; `alg` is the header's, to name an `alg` refusal. */
export function explainDpop(reason: DpopFailureReason | null, alg: string | null = null): string {
  if (reason === 'alg' && alg !== null) return explainDpopAlg(alg);
  return reason ? DPOP_REASON_WORDS[reason] : 'The DPoP proof passed every RFC 9449 check performed.';
}

/** One sentence for an mTLS verification outcome. */
export function explainMtls(reason: MtlsFailureReason | null): string {
  return reason ? MTLS_REASON_WORDS[reason] : 'The client certificate passed every RFC 8705 check performed.';
}
