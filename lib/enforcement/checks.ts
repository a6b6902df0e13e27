// What each generated configuration checks and what it does not, in words, per gateway and
// requirement. These lists are shown next to the configuration (plan pages, the API), so they
// say exactly what the gateway's text does — each is pinned by a real-gateway test that sends a
// request failing it (lib/enforcement/*-real.test.ts).
import type { EnforcementCheck, EnforcementRequirement, RefusalReason } from './types.ts';

type Gateway = 'nginx' | 'haproxy';

const COMMON: EnforcementCheck[] = [
  { reason: 'no_token', description: 'A request in scope without an Authorization: Bearer or DPoP credential is refused (401 with a challenge and no error code, RFC 6750 §3.1).' },
  {
    reason: 'opaque_token',
    description: 'A token that is not a JWT is refused: its cnf is known only to its issuer, and this configuration does not call introspection.',
  },
  { reason: 'cnf_anomaly', description: 'A token whose cnf carries both jkt and x5t#S256 is refused (no issuer should mint one).' },
];

const BINDING_REQUIRED: Record<EnforcementRequirement, string> = {
  mtls: "The token's cnf must carry x5t#S256 (RFC 8705): a bearer token, or a DPoP-bound one, is refused.",
  dpop: "The token's cnf must carry jkt (RFC 9449): a bearer token, or a certificate-bound one, is refused.",
  bound: "The token's cnf must carry x5t#S256 or jkt: a bearer token is refused; each bound token is checked for its own kind of proof.",
};

const MTLS: Record<Gateway, EnforcementCheck[]> = {
  nginx: [
    {
      reason: 'no_certificate',
      description:
        "A certificate-bound token needs a client certificate that NGINX verified in the TLS handshake against the client CA (and the CRL when one is configured): $ssl_client_verify must be SUCCESS. A certificate that fails verification gets NGINX's own 400 before any token is read.",
    },
    {
      reason: 'x5t_mismatch',
      description: "base64url(SHA-256(DER of $ssl_client_raw_cert)), computed by njs, must equal the token's cnf.x5t#S256.",
    },
  ],
  haproxy: [
    {
      reason: 'no_certificate',
      description:
        'A certificate-bound token needs a client certificate that verified without error (ssl_c_used, ssl_c_verify, ssl_c_err and ssl_c_ca_err all 0, against ca-file and crl-file); a certificate that failed gets 403 first.',
    },
    { reason: 'x5t_mismatch', description: "ssl_c_der,sha2(256),ub64enc must equal the token's cnf.x5t#S256 read by jwt_payload_query." },
  ],
};

const DPOP_SHARED: EnforcementCheck[] = [
  { reason: 'bearer_scheme_for_dpop_token', description: 'A DPoP-bound token sent with the Bearer scheme is refused (RFC 9449 §7.2).' },
  { reason: 'no_proof', description: 'A DPoP-bound token needs a DPoP header; more than one is refused as malformed.' },
  { reason: 'typ', description: "The proof's typ header must be dpop+jwt." },
  { reason: 'private_key_in_jwk', description: "The proof's jwk must not carry a private member (d, p, q, dp, dq, qi, k, oth)." },
  { reason: 'htm', description: "The proof's htm must equal the request method." },
  { reason: 'ath', description: "The proof's ath must equal base64url(SHA-256(the access token))." },
  { reason: 'jkt_mismatch', description: "The RFC 7638 thumbprint of the proof's jwk must equal the token's cnf.jkt." },
];

const DPOP: Record<Gateway, EnforcementCheck[]> = {
  nginx: [
    ...DPOP_SHARED,
    { reason: 'malformed', description: 'The proof must be one JWT whose header and payload are JSON objects, with a jwk object and jti, htm, htu (strings) and iat (number).' },
    { reason: 'alg', description: 'The proof alg must be ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384 or RS512, with a jwk of that key type and curve (RSA at least 2048 bits).' },
    {
      reason: 'htu',
      description:
        "The proof's htu must equal the request's scheme, Host header and path after RFC 3986 normalisation of scheme and host case, default port and percent-encoding (dot segments are compared as sent).",
    },
    { reason: 'iat', description: "The proof's iat must lie between now − the proof window (dpopMaxAgeSeconds, default 300 s) and now + 5 s." },
    { reason: 'signature', description: "The proof's signature must verify with its own jwk (WebCrypto in njs)." },
  ],
  haproxy: [
    ...DPOP_SHARED,
    { reason: 'malformed', description: 'The proof must be a JWT whose header carries a jwk and whose payload carries jti, htm, htu and iat.' },
    { reason: 'alg', description: 'The proof alg must be ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384 or RS512 (never none or HMAC).' },
    { reason: 'htu', description: "The proof's htu must equal https:// + the Host header + the path, compared as exact strings (no normalisation)." },
    { reason: 'iat', description: "The proof's iat must lie between now − the proof window (dpopMaxAgeSeconds, default 300 s) and now + 5 s." },
    {
      reason: 'jti_replay',
      description: "A proof jti already seen by this HAProxy process within the proof window is refused (a stick table of jtis; other instances do not share it).",
    },
  ],
};

const TTL: EnforcementCheck[] = [
  { reason: 'ttl_unknown', description: 'With a maximum TTL, a token without a numeric exp is refused.' },
  { reason: 'ttl_over_policy', description: 'With a maximum TTL, a token whose exp − iat (without iat: exp − now) exceeds it is refused.' },
];

const NOT_CHECKED_COMMON = [
  "The access token's own signature, issuer, audience and expiry: the gateway reads the claims as presented. The upstream must still validate the token; a forged token could name any cnf.",
  'DPoP nonces: the configuration issues no DPoP-Nonce.',
  'Requests outside the scope (other hosts, paths outside the prefix) pass unchecked.',
];

const NOT_CHECKED: Record<Gateway, string[]> = {
  nginx: [
    ...NOT_CHECKED_COMMON,
    'DPoP jti replay: njs 0.7 keeps no state between requests, so a proof sent again within its iat window to the same method and URI passes.',
    'EdDSA (Ed25519) proofs: njs 0.7.9 WebCrypto cannot verify them, so they are refused as alg.',
  ],
  haproxy: [
    ...NOT_CHECKED_COMMON,
    "The DPoP proof's signature: HAProxy's jwt_verify needs the key as a file, not the proof's embedded jwk. A thief holding the token and a copy of the client's public key can forge a proof that passes; these rules stop a thief who uses another key or no proof. Verify proofs at the upstream too.",
  ],
};

/** The reasons a requirement involves: mtls checks, dpop checks, or both for bound. */
function proofChecks(gateway: Gateway, require: EnforcementRequirement): EnforcementCheck[] {
  if (require === 'mtls') return MTLS[gateway];
  if (require === 'dpop') return DPOP[gateway];
  return [...MTLS[gateway], ...DPOP[gateway]];
}

/** Every check a generated configuration performs, in the order a request meets them. */
export function enforcementChecks(gateway: Gateway, require: EnforcementRequirement, maxTtlSeconds: number | null): EnforcementCheck[] {
  const binding: EnforcementCheck = { reason: 'binding_required', description: BINDING_REQUIRED[require] };
  return [...COMMON, binding, ...proofChecks(gateway, require), ...(maxTtlSeconds ? TTL : [])];
}

/** What the configuration does not check (the DPoP lines only where DPoP is in the policy). */
export function enforcementNotChecked(gateway: Gateway, require: EnforcementRequirement): string[] {
  const all = NOT_CHECKED[gateway];
  return require === 'mtls' ? all.filter((s) => !/DPoP|EdDSA/.test(s)) : all;
}

/** Reasons a refused request can log for this policy (for tests and the parser mapping). */
export function refusalReasons(gateway: Gateway, require: EnforcementRequirement, maxTtlSeconds: number | null): RefusalReason[] {
  return enforcementChecks(gateway, require, maxTtlSeconds).map((c) => c.reason);
}
