// The vocabulary of generated enforcement configurations (pure: no Next.js, Prisma or environment).
// A policy says which sender constraint a gateway must see before it lets a token through; a
// generated configuration is the gateway's own text plus, in words, exactly what it checks.

/**
 * What the gateway requires of every token in scope: `mtls` a certificate-bound token (RFC 8705
 * `cnf.x5t#S256`) presented with that certificate, `dpop` a DPoP-bound token (RFC 9449 `cnf.jkt`)
 * with a proof of that key, `bound` either of the two.
 */
export type EnforcementRequirement = 'mtls' | 'dpop' | 'bound';
export const ENFORCEMENT_REQUIREMENTS: readonly EnforcementRequirement[] = ['mtls', 'dpop', 'bound'];

/**
 * `enforce` refuses (401); `report_only` lets the request through and logs what it would have
 * refused (`enforcement: "would_refuse"`), so a wave can be measured before it is switched on.
 */
export type EnforcementMode = 'enforce' | 'report_only';
export const ENFORCEMENT_MODES: readonly EnforcementMode[] = ['enforce', 'report_only'];

/** Where the policy applies: one virtual host and a path prefix under it. */
export interface EnforcementScope {
  /** NGINX `server_name` / the HAProxy `Host` matched; `_` (default) is any host. */
  serverName?: string;
  /** Path prefix covered (NGINX `location <prefix>`, HAProxy `path_beg`); default `/`. */
  locationPrefix?: string;
}

/** TLS files of the gateway. `clientCa` is required when certificates are part of the policy. */
export interface EnforcementTls {
  certificate: string;
  certificateKey: string;
  /** CA bundle client certificates must chain to (`ssl_client_certificate`, HAProxy `ca-file`). */
  clientCa?: string | null;
  /** CRL of that CA (`ssl_crl`, HAProxy `crl-file`): a revoked certificate fails the handshake check. */
  crl?: string | null;
}

/** Options every generator takes. */
export interface EnforcementOptions {
  scope?: EnforcementScope;
  require: EnforcementRequirement;
  /** Refuse tokens whose lifetime (exp − iat; without iat, exp − now) exceeds this many seconds. */
  maxTtlSeconds?: number | null;
  /** Where requests that pass go: `http://10.0.0.5:8080` (NGINX proxy_pass, HAProxy server). */
  upstream: string;
  /** The access log file Holdfast ingests. */
  logPath: string;
  /** Default `enforce`. */
  mode?: EnforcementMode;
  /** DPoP proofs older than this many seconds are refused (`iat`); default 300 (Holdfast's verifier). */
  dpopMaxAgeSeconds?: number;
  tls?: EnforcementTls;
}

export interface NginxEnforcementOptions extends EnforcementOptions {
  /** NGINX `listen` parameters without `ssl`; default `443`. */
  listen?: string;
  /** Directory of the njs modules (`js_path`); default `/etc/nginx/njs`. */
  njsDir?: string;
}

export interface HaproxyEnforcementOptions extends EnforcementOptions {
  /** HAProxy `bind` address; default `:443`. */
  bind?: string;
  /** The PEM with certificate and key HAProxy serves (`crt`); defaults to tls.certificate. */
  crtFile?: string;
  /** `log` target; default `stdout` (HAProxy 2.6 `format raw`). Holdfast ingests what it writes. */
  logTarget?: string;
}

/**
 * A refusal reason the gateway logs in `enforcement_reason`. Where one exists it is the name
 * Holdfast's own verdict reasons use (CONTRACT.md), so the gateway and Holdfast say the same thing.
 */
export type RefusalReason =
  | 'no_token'
  | 'opaque_token'
  | 'binding_required'
  | 'cnf_anomaly'
  | 'no_certificate'
  | 'x5t_mismatch'
  | 'bearer_scheme_for_dpop_token'
  | 'no_proof'
  | 'malformed'
  | 'typ'
  | 'alg'
  | 'private_key_in_jwk'
  | 'htm'
  | 'htu'
  | 'iat'
  | 'ath'
  | 'jti_replay'
  | 'jkt_mismatch'
  | 'signature'
  | 'ttl_unknown'
  | 'ttl_over_policy';

/** One check a generated configuration performs, in words, with the reason it logs when it fails. */
export interface EnforcementCheck {
  reason: RefusalReason;
  /** What the gateway compares, precisely (what it does not do is in `notChecked`). */
  description: string;
}

/** A file the configuration refers to (an njs module), with the path the configuration expects. */
export interface GeneratedFile {
  path: string;
  content: string;
}

interface GeneratedConfigBase {
  require: EnforcementRequirement;
  mode: EnforcementMode;
  /** Every check this configuration performs for its requirement. */
  checks: EnforcementCheck[];
  /** What it does not check, in words: never claim more than the gateway does. */
  notChecked: string[];
  /** Everything in one annotated text: what a user copies or downloads. */
  text: string;
}

export interface NginxEnforcementConfig extends GeneratedConfigBase {
  gateway: 'nginx';
  /** For the main context of nginx.conf: `load_module` of njs. */
  main: string;
  /** For the http block: njs imports and variables, maps, the log format and the server block. */
  http: string;
  /** The http text in parts, for an NGINX that already has the recommended logging block. */
  parts: { recommended: string; enforcement: string; server: string };
  /** The njs modules, at the paths `http` imports them from. */
  files: GeneratedFile[];
}

export interface HaproxyEnforcementConfig extends GeneratedConfigBase {
  gateway: 'haproxy';
  /** The frontend (with its refusal rules) and the backend it sends passing requests to. */
  config: string;
}
