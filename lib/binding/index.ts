// Pure binding engine: classify tokens, compute thumbprints, verify DPoP proofs (RFC 9449) and
// certificate bindings (RFC 8705), and decide enforcement verdicts for logged requests.
// No Next.js, React, Prisma or process.env here; clocks and stores are injected.
export { BindingError, isBindingError, type BindingErrorCode } from './errors.ts';
export { decodeBase64url, encodeBase64url, isCanonicalBase64url } from './base64url.ts';
export { computeJwkThumbprint, jwkThumbprintInput, thumbprintJwk } from './jwk-thumbprint.ts';
export {
  classifyFingerprint,
  parseCertificate,
  parseX5tS256,
  thumbprintCert,
  x5tS256FromHexSha256,
  x5tS256OfDer,
  type ParsedCertificate,
  type PresentedFingerprint,
} from './certificate-thumbprint.ts';
export { fingerprintToken } from '../credentials/fingerprint.ts';
export { normalizeHtu, normalizeHtuPath } from './normalize-htu.ts';
export { MemoryReplayStore, type ReplayStore } from './replay-store.ts';
export { KeyCache } from './key-cache.ts';
export { rfcErrorFor } from './rfc-error.ts';
export {
  DEFAULT_DPOP_CONFIG,
  displayAlg,
  proofReplayKey,
  verifyDpopProof,
  type DpopProofVerification,
  type VerifyDpopProofDeps,
  type VerifyDpopProofInput,
} from './verify-dpop-proof.ts';
export {
  verifyMtlsBinding,
  type MtlsBindingVerification,
  type PresentedCertificate,
  type VerifyMtlsBindingDeps,
  type VerifyMtlsBindingInput,
} from './verify-mtls-binding.ts';
export {
  bindingOfClaims,
  classifyToken,
  decodeJwt,
  type ClaimsBinding,
  type BindingAnomaly,
  type ClassifiedToken,
  type ClassifyTokenOptions,
  type TokenSource,
} from './classify-token.ts';
export {
  certFailureOfOpensslCode,
  certFailureOfVerify,
  gatewayCertFailure,
  KNOWN_CERT_FAILURE_TEXTS,
  type CertFailureVerdict,
  type GatewayCertFailure,
} from '../credentials/cert-failure.ts';
export { decideVerdict, decideVerdictNow, type DecideVerdictDeps, type TokenBindingFacts, type VerdictDecision } from './decide-verdict.ts';
export {
  verifyDpopRequest,
  verifyMtlsRequest,
  type VerifyDpopRequestInput,
  type VerifyDpopRequestResult,
  type VerifyMtlsRequestInput,
  type VerifyMtlsRequestResult,
  type VerifyRequestDeps,
} from './verify-request.ts';
export { DPOP_REASON_WORDS, MTLS_REASON_WORDS, VERDICT_WORDS, explainDpop, explainDpopAlg, explainMtls } from './words.ts';
export type { BindingCheck, DpopRfcError, DpopVerifyConfig, MtlsFailureReason } from './types.ts';
