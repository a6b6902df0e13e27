// Shared vocabulary of the pure core. Reasons are data: string-literal unions named after
// the standards' own terms, turned into words in one place (lib/domain/words.ts).

export const BINDINGS = ['bearer', 'mtls', 'dpop'] as const;
export type Binding = (typeof BINDINGS)[number];

export type Role = 'analyst' | 'operator' | 'auditor' | 'admin';
export const ROLES: readonly Role[] = ['analyst', 'operator', 'auditor', 'admin'];

/** Verdict for one logged gateway request (CONTRACT.md "Verdict values"). */
export type Verdict =
  | 'ok'
  | 'binding_mismatch'
  | 'proof_invalid'
  | 'no_proof_for_bound_token'
  | 'bearer_unbound'
  | 'bound_not_enforced'
  | 'binding_context_stripped'
  | 'cert_untrusted'
  | 'cert_revoked'
  | 'cert_expired'
  | 'token_expired'
  /** The certificate a backend received from a proxy is not the one the client presented at the edge. */
  | 'spoofed_client_cert'
  /** A gateway accepted a certificate its CA's CRL lists (it checks no CRL, e.g. Caddy). */
  | 'cert_revoked_unchecked';

export const VERDICTS: readonly Verdict[] = [
  'ok',
  'binding_mismatch',
  'proof_invalid',
  'no_proof_for_bound_token',
  'bearer_unbound',
  'bound_not_enforced',
  'binding_context_stripped',
  'cert_untrusted',
  'cert_revoked',
  'cert_expired',
  'token_expired',
  'spoofed_client_cert',
  'cert_revoked_unchecked',
];

/** Reasons refining `proof_invalid` (RFC 9449 §4.3 checks, in order). */
export type DpopFailureReason =
  /** More than one DPoP header (or one holding several values): §4.3 check 1. */
  | 'multiple_proofs'
  | 'malformed'
  | 'typ'
  | 'alg'
  | 'private_key_in_jwk'
  | 'signature'
  | 'htm'
  | 'htu'
  | 'nonce'
  | 'iat'
  | 'jti_replay'
  | 'ath'
  | 'jkt_mismatch'
  | 'bearer_scheme_for_dpop_token';

/** What a gateway/AS log line tells us about one request, normalised across formats. */
export interface NormalizedEvent {
  /** Format that produced it, e.g. 'nginx-json'. */
  format: string;
  occurredAt: Date;
  requestId: string | null;
  gateway: string | null;
  method: string | null;
  /** Full URL when known, else the path. */
  url: string | null;
  clientIp: string | null;
  httpStatus: number | null;
  /** `Bearer` | `DPoP` | other scheme as logged; null when no Authorization header. */
  authScheme: string | null;
  /** A DPoP header was present on the request. */
  hasDpop: boolean;
  /** The DPoP proof itself when the gateway logged it (verified, then dropped — never stored). */
  dpopProof: string | null;
  /** SHA-256 base64url of the access token when the gateway logged it (raw token dropped). */
  tokenFingerprint: string | null;
  /** Claims decoded from a logged JWT access token, when available (no raw token). */
  tokenClaims: Record<string, unknown> | null;
  /** Identity hints: client_id, sub, SPIFFE ID, consumer, certificate subject. */
  identityHint: string | null;
  /** Client certificate facts, whichever the source logs. */
  cert: {
    x5tS256: string | null;
    sha1Hex: string | null;
    subjectDn: string | null;
    issuerDn: string | null;
    serial: string | null;
    notBefore: Date | null;
    notAfter: Date | null;
    /** Gateway's own verification outcome: 'SUCCESS' | 'FAILED:<reason>' | 'NONE' | null. */
    verify: string | null;
  } | null;
  /** Source-specific failure detail, e.g. Envoy `jwt_authn_access_denied{Jwt_is_expired}` or Keycloak error. */
  failureDetail: string | null;
  /** A verdict the source states itself (e.g. Keycloak `invalid_dpop_proof`), if any. */
  sourceVerdict: { verdict: Verdict; reason: string | null } | null;
  /** The line with Authorization, DPoP, cookies and key material redacted. */
  redactedRaw: string;
  /** JWK thumbprint (RFC 7638) the source states for the token or proof, e.g. OCSF `unmapped.jkt`. */
  jkt?: string | null;
  /** Request id propagated between hops (`X-Request-ID` by default), when logged: joins one request's hops. */
  correlationId?: string | null;
  /**
   * The client certificate as a TLS-terminating hop forwarded it to this one in a header (RFC 9440
   * `Client-Cert`, Envoy `x-forwarded-client-cert`, NGINX escaped PEM, AWS ALB `X-Amzn-Mtls-Clientcert`),
   * read from this hop's log; `header` names the header it came from.
   */
  forwardedCert?: (NonNullable<NormalizedEvent['cert']> & { header: string }) | null;
  /**
   * The TCP peer that sent the request to this hop, when the format logs it apart from any address
   * a proxy header rewrote (NGINX `$realip_remote_addr`, Apache `%{c}a`, HAProxy `%ci`, Caddy
   * `remote_ip`; `$remote_addr` / `%a` only where the configuration rewrites nothing). Undefined when
   * unknown: a forwarded certificate is then not judged by its peer (lib/hops trusted-proxies.ts).
   */
  peerIp?: string | null;
  /**
   * Facts the source's log format does not carry at all (set by bring-your-own formats): a field
   * the format lacks is unknown, not empty, so no verdict may read its absence as "none presented".
   * `thumbprint`: this hop terminated TLS and logs the client certificate's identity (CN, serial) but
   * no thumbprint (Caddy without the echoed SHA-256): nothing was stripped, the binding cannot be compared.
   * `cnf`: the token's claims were read at the gateway by a format that logs one `cnf` member but not
   * the other, and the one it logs was empty: the token may be bound by the other, so its claims do
   * not make it bearer (its binding is unknown).
   */
  notLogged?: { certificate: boolean; dpop: boolean; thumbprint?: boolean; cnf?: boolean } | null;
  /**
   * How many DPoP headers the request carried, when the log counts them (HAProxy
   * `req.hdr_cnt(DPoP)`) and they were more than one: RFC 9449 §4.3 allows exactly one.
   */
  dpopHeaderCount?: number | null;
  /** Host the request was addressed to (Host, :authority or SNI), when logged. */
  host?: string | null;
  /** Fields of a bring-your-own log format Holdfast does not interpret, kept as labels. */
  labels?: Record<string, string> | null;
}

/** A token as an inventory, introspection dump or JWT tells us about it (never the raw token). */
export interface TokenRecord {
  fingerprint: string;
  identityName: string;
  tokenType: 'access' | 'refresh';
  jti: string | null;
  issuer: string | null;
  subject: string | null;
  clientId: string | null;
  audience: string[];
  scopes: string[];
  issuedAt: Date | null;
  expiresAt: Date | null;
  binding: Binding;
  cnfX5tS256: string | null;
  cnfJkt: string | null;
  bindingAnomaly: boolean;
  active: boolean | null;
  /** Where an inventory row says the token came from (inventory-csv `source` column). */
  source?: string | null;
}

/** A secret found by a scanner, reduced to its fingerprint. */
export interface ExposureRecord {
  fingerprint: string;
  scanner: 'gitleaks' | 'trufflehog';
  ruleId: string | null;
  location: string | null;
  commit: string | null;
  foundAt: Date;
}

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export type FindingRule =
  | 'unbound_high_risk'
  | 'bound_not_enforced'
  | 'binding_context_stripped'
  | 'replay_suspected'
  | 'replay_after_revocation'
  | 'ttl_over_policy'
  | 'exposed_active'
  | 'offboarding'
  | 'credential_shared'
  | 'fan_out'
  | 'cert_expiring'
  | 'failure_spike'
  /** A hop between the client and the backend stripped the client's certificate or passed a client-supplied one on. */
  | 'leaking_hop'
  /** A backend believed a forwarded client-certificate header from peers that are not its trusted proxies. */
  | 'forwarded_cert_from_untrusted_peer';

export const FINDING_RULES: readonly FindingRule[] = [
  'unbound_high_risk',
  'bound_not_enforced',
  'binding_context_stripped',
  'replay_suspected',
  'replay_after_revocation',
  'ttl_over_policy',
  'exposed_active',
  'offboarding',
  'credential_shared',
  'fan_out',
  'cert_expiring',
  'failure_spike',
  'leaking_hop',
  'forwarded_cert_from_untrusted_peer',
];

/** Positive controls: evidence that something is done right (mapped to frameworks too). */
export type PositiveControl =
  | 'sender_constrained_enforced'
  | 'ttl_within_policy'
  | 'certificate_unique_per_workload'
  | 'revocation_confirmed'
  /** A revocation receipt: every gateway that ever accepted the credential stopped accepting it. */
  | 'revocation_effective';

export const IDENTITY_KINDS = ['service', 'workload', 'pipeline', 'agent', 'partner'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];
export type Transport = 'mesh' | 'private_link' | 'public' | 'unknown';
