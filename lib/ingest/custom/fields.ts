// The canonical fields a bring-your-own log format can carry, shared by the NGINX, Apache and
// HAProxy compilers: each gateway maps its own variables onto these, and one function turns the
// values of one line into a NormalizedEvent. Everything a format logs that is not one of these is
// kept as a label (redacted), so nothing the owner chose to log is lost and nothing secret is kept.
import type { NormalizedEvent } from '../../domain/types.ts';
import { buildCert } from '../cert.ts';
import { parseForwardedCert } from '../forwarded-cert.ts';
import { FORWARDED_ORIGIN_LABEL, requestUrl } from '../forwarded-origin.ts';
import { fingerprintFromJti, hexToB64url, sha256B64url } from '../../credentials/fingerprint.ts';
import { REDACTED, redact } from '../redact.ts';
import { decodeJwtClaims, decodeJwtPayload } from '../../credentials/jwt.ts';
import { authFacts, dpopProofOf, identityFrom, type AuthFacts } from '../auth-facts.ts';
import { newEvent, verdictFromCertVerify } from '../event.ts';
import { FieldError, flag, httpStatus, isUnset } from '../fields.ts';
import type { ParseContext } from '../types.ts';
import { combineTime, type TimeParts } from './time.ts';

export type FieldName =
  | 'status'
  | 'method'
  /** Path, with or without the query string. */
  | 'path'
  /** Query string, with or without its `?`. */
  | 'query'
  /** The request line `GET /p?q HTTP/1.1`. */
  | 'request_line'
  | 'scheme'
  | 'host'
  | 'client_ip'
  /**
   * The TCP peer that sent the request, whatever a proxy header says (NGINX `$realip_remote_addr`,
   * Apache `%{c}a`): what a forwarded certificate header is believed by (lib/hops trusted-proxies.ts).
   */
  | 'peer_ip'
  /** This gateway's own id for the request (NGINX `$request_id`, Apache `UNIQUE_ID`, HAProxy `%ID`). */
  | 'request_id'
  /** The id the request arrived with (X-Request-ID by default): joins one request's hops. */
  | 'correlation_id'
  /** Verification result as text: `SUCCESS`, `FAILED:<reason>`, `NONE`, Apache's `GENEROUS`. */
  | 'tls_verify'
  /** HAProxy `ssl_c_verify`: the LAST OpenSSL verification error (0 = none). */
  | 'tls_verify_code'
  /** HAProxy `ssl_c_err`: the first error on the client certificate itself (depth 0). */
  | 'tls_err_code'
  /** HAProxy `ssl_c_ca_err`: the first error on a CA of the chain (depth > 0). */
  | 'tls_ca_err_code'
  /** HAProxy `ssl_c_used`: 1 when the client sent a certificate. */
  | 'tls_cert_used'
  | 'cert_subject'
  | 'cert_issuer'
  /** Hex serial. */
  | 'cert_serial'
  | 'cert_sha1'
  | 'cert_sha256_hex'
  /** Standard base64 of the SHA-256 (HAProxy `ssl_c_der,sha2(256),base64`). */
  | 'cert_sha256_b64'
  | 'cert_x5t'
  /** PEM, URL-encoded PEM (NGINX), or PEM with escaped newlines (Apache). */
  | 'cert_pem'
  /** Base64 of the DER (HAProxy `ssl_c_der,base64`). */
  | 'cert_der_b64'
  | 'cert_not_before'
  | 'cert_not_after'
  /** The raw Authorization header: fingerprinted, claims decoded, then dropped. */
  | 'authorization'
  /** The credential alone (HAProxy `req.hdr(Authorization),word(2,' ')`): fingerprinted, claims decoded, then dropped. */
  | 'credential'
  | 'auth_scheme'
  | 'token_fingerprint'
  /** The raw DPoP header: a proof to verify (then dropped), or presence. */
  | 'dpop'
  | 'has_dpop'
  /** Thumbprints a gateway computed from the token's `cnf` (njs, Lua, a plugin). */
  | 'cnf_jkt'
  | 'cnf_x5t'
  /**
   * The payload segment of a JWT access token alone (Apache `SetEnvIf` can cut it out; it cannot
   * hash): the claims, without the header and signature that would make it a usable token.
   */
  | 'token_payload'
  /** Claims a gateway read from a JWT access token (njs, HAProxy `jwt_payload_query`). */
  | 'token_client_id'
  | 'token_sub'
  | 'token_exp'
  /** A certificate forwarded by a TLS-terminating hop in a header (Slot.header names it). */
  | 'forwarded_cert'
  /**
   * What a TLS-terminating proxy told this hop of the URL the client called (RFC 7239 `Forwarded`,
   * X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Port): a DPoP proof's htu names that URL, not this hop's own
   * (lib/ingest/forwarded-origin.ts).
   */
  | 'forwarded'
  | 'x_forwarded_proto'
  | 'x_forwarded_host'
  | 'x_forwarded_port'
  /** The addresses the proxies in front appended: walked from the right to count trusted proxies in a row (lib/hops trusted-proxies.ts). */
  | 'x_forwarded_for';

/**
 * The shape of a field's value as gateways write it (regex source, no anchors, no groups): where
 * a value is not quoted it is what tells the matcher where the value ends (an unquoted
 * `FAILED:certificate revoked` before a 40-hex SHA-1 splits one way only). `spaces`: the value
 * may hold a space, so two such values side by side unquoted may split more than one way.
 * `unquotedOnly`: the shape is enforced only where the format does not quote the value (a quoted
 * Authorization may be Digest's `username="a", realm="b"`).
 */
export const FIELD_VALUE_PATTERNS: Readonly<Partial<Record<FieldName, { pattern: string; spaces: boolean; unquotedOnly?: boolean }>>> = {
  status: { pattern: '\\d{3}', spaces: false },
  tls_verify: { pattern: 'SUCCESS|NONE|GENEROUS|FAILED(?::.*)?', spaces: true },
  cert_serial: { pattern: '[0-9A-Fa-f]+(?::[0-9A-Fa-f]+)*', spaces: false },
  cert_sha1: { pattern: '[0-9A-Fa-f]{40}|(?:[0-9A-Fa-f]{2}:){19}[0-9A-Fa-f]{2}', spaces: false },
  cert_sha256_hex: { pattern: '[0-9A-Fa-f]{64}|(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}', spaces: false },
  cert_x5t: { pattern: '[A-Za-z0-9_-]{43}', spaces: false },
  cert_sha256_b64: { pattern: '[A-Za-z0-9+/]{43}=', spaces: false },
  client_ip: { pattern: '[^\\s"]+', spaces: false },
  peer_ip: { pattern: '[^\\s"]+', spaces: false },
  host: { pattern: '[^\\s"]+', spaces: false, unquotedOnly: true },
  scheme: { pattern: '[A-Za-z][A-Za-z0-9+.-]*', spaces: false },
  method: { pattern: '[^\\s"]+', spaces: false },
  request_id: { pattern: '\\S+', spaces: false, unquotedOnly: true },
  auth_scheme: { pattern: "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*", spaces: false, unquotedOnly: true },
  credential: { pattern: '\\S+', spaces: false, unquotedOnly: true },
  token_fingerprint: { pattern: '[A-Za-z0-9_=+/-]+', spaces: false, unquotedOnly: true },
  cnf_jkt: { pattern: '[A-Za-z0-9_-]+', spaces: false, unquotedOnly: true },
  cnf_x5t: { pattern: '[A-Za-z0-9_-]+', spaces: false, unquotedOnly: true },
  token_exp: { pattern: '\\d+(?:\\.\\d+)?', spaces: false, unquotedOnly: true },
  has_dpop: { pattern: '\\S+', spaces: false, unquotedOnly: true },
  tls_cert_used: { pattern: '\\d+', spaces: false },
  // `<scheme> <credential>`, or a credential alone (token68, as long as a token); unquoted, a value
  // of one word that is neither (a verify result, a DN) cannot be taken for one.
  authorization: { pattern: "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]* +[^\\s\"]+|[A-Za-z0-9._~+/-]{16,}=*", spaces: true, unquotedOnly: true },
};

/** Fields that say how a request was bound: a format without any of them cannot be judged. */
export const TOKEN_FIELDS: readonly FieldName[] = [
  'authorization', 'credential', 'auth_scheme', 'token_fingerprint', 'token_payload', 'dpop', 'has_dpop', 'cnf_jkt', 'cnf_x5t', 'token_client_id', 'token_sub', 'token_exp',
];
/** Claims a gateway read from the token and logged without it (jwt_payload_query, njs). */
export const GATEWAY_CLAIM_FIELDS: readonly FieldName[] = ['cnf_jkt', 'cnf_x5t', 'token_client_id', 'token_sub', 'token_exp'];
/** Fields that carry the whole JWT payload when the token is a JWT: its cnf is known whole. */
export const DECODED_CLAIM_FIELDS: readonly FieldName[] = ['authorization', 'credential', 'token_payload'];
export const CERT_FIELDS: readonly FieldName[] = [
  'cert_subject', 'cert_issuer', 'cert_serial', 'cert_sha1', 'cert_sha256_hex', 'cert_sha256_b64', 'cert_x5t', 'cert_pem', 'cert_der_b64', 'forwarded_cert',
];
export const VERIFY_FIELDS: readonly FieldName[] = ['tls_verify', 'tls_verify_code', 'tls_err_code', 'tls_ca_err_code', 'tls_cert_used'];
/** The forwarding headers: the origin a client called through a TLS-terminating proxy. */
export const FORWARDING_FIELDS: readonly FieldName[] = ['forwarded', 'x_forwarded_proto', 'x_forwarded_host', 'x_forwarded_port'];
/**
 * Fields that identify the client certificate well enough to compare with a token's cnf: its
 * x5t#S256 or what gives it. Not NGINX's `$ssl_client_fingerprint`: a SHA-1 cannot become x5t#S256.
 */
export const CERT_IDENTITY_FIELDS: readonly FieldName[] = ['cert_sha256_hex', 'cert_sha256_b64', 'cert_x5t', 'cert_pem', 'cert_der_b64'];

/**
 * A request header → the canonical field it fills, the same for all three gateways (NGINX
 * `$http_x_request_id`, Apache `%{X-Request-ID}i`, HAProxy `capture request header X-Request-ID`).
 */
export function headerField(name: string): { field: FieldName; header?: string } | null {
  const h = name.trim().toLowerCase().replace(/_/g, '-');
  switch (h) {
    case 'authorization':
      return { field: 'authorization' };
    case 'dpop':
      return { field: 'dpop' };
    case 'x-request-id':
    case 'x-correlation-id':
    case 'request-id':
      return { field: 'correlation_id' };
    case 'host':
      return { field: 'host' };
    case 'forwarded':
      return { field: 'forwarded' };
    case 'x-forwarded-proto':
      return { field: 'x_forwarded_proto' };
    case 'x-forwarded-host':
      return { field: 'x_forwarded_host' };
    case 'x-forwarded-port':
      return { field: 'x_forwarded_port' };
    case 'x-forwarded-for':
      return { field: 'x_forwarded_for' };
    case 'client-cert':
    case 'x-forwarded-client-cert':
    case 'x-ssl-client-cert':
    case 'x-client-cert':
    case 'ssl-client-cert':
    case 'x-amzn-mtls-clientcert':
    case 'x-amzn-mtls-clientcert-leaf':
      return { field: 'forwarded_cert', header: h };
    default:
      return null;
  }
}

/** A logged scheme: NGINX `$scheme` as it is, Apache's `%{HTTPS}x` (`on` / `off`) as https / http. */
function schemeOf(v: string | null): string | null {
  if (v === null) return null;
  const s = v.toLowerCase();
  return s === 'on' ? 'https' : s === 'off' ? 'http' : s;
}

// A label named like a credential holds one (an API key header, a session cookie): its value is
// never kept, whatever it looks like. Names that only describe a credential stay readable.
const SECRET_LABEL = /authoriz|token|secret|passw|api.?key|cookie|session|dpop|assertion|credential|signature/i;
const HARMLESS_LABEL = /(?:scheme|type|fingerprint|sha256|hash|present|len|length)$|^has[_-]/i;

/** Whether a label's value must not be kept (see SECRET_LABEL). */
export function isSecretLabel(name: string): boolean {
  return SECRET_LABEL.test(name) && !HARMLESS_LABEL.test(name);
}

/** A slot whose value is a credential: never kept in the raw line (its value is hashed or dropped). */
export function isSensitiveSlot(slot: { field: FieldName | null; label: string; secret?: boolean }): boolean {
  if (slot.secret) return true;
  return slot.field === 'authorization' || slot.field === 'credential' || slot.field === 'dpop' || slot.field === 'token_payload' || (slot.field === null && isSecretLabel(slot.label));
}

/** A credential value for the raw line: an Authorization value keeps its scheme, anything else goes whole. */
export function redactSlotValue(slot: { field: FieldName | null }, value: string): string {
  if (slot.field === 'authorization') {
    const sp = value.indexOf(' ');
    return sp > 0 ? `${value.slice(0, sp)} ${REDACTED}` : REDACTED;
  }
  return REDACTED;
}

/** One value a line gave for a slot, before it becomes part of an event. */
export interface SlotValue {
  field: FieldName | null;
  label: string;
  header?: string;
  /** Read from a credential header by an expression Holdfast does not interpret: never kept. */
  secret?: boolean;
  value: string;
}

const AUTH_SCHEMES = /^(?:bearer|dpop|basic|digest|negotiate|ntlm|hoba|mutual|aws4-hmac-sha256|gnap|token|apikey)$/i;
/** A credential sent without a scheme: token68 (RFC 9110 §11.2), at least as long as a short opaque token. */
const LONE_CREDENTIAL = /^[A-Za-z0-9._~+/-]{16,}=*$/;
/** An auth-scheme is an RFC 9110 token. */
const AUTH_SCHEME_TOKEN = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$/;
const NO_AUTH: AuthFacts = { authScheme: null, tokenFingerprint: null, tokenClaims: null };

/**
 * A raw Authorization value. A lone word is a credential sent without a scheme (util.authFacts
 * reads a lone word as a scheme, which is what a map-derived scheme variable holds; here it would
 * keep the token itself), unless it is a scheme; a word that looks like neither (`verify`, a
 * misread piece of another value) is no credential and gives no fingerprint.
 */
function authorizationFacts(value: string | null, credential: string | null, scheme: string | null): AuthFacts {
  const v = value?.trim() ?? null;
  if (v && !v.includes(' ') && !AUTH_SCHEMES.test(v)) {
    return LONE_CREDENTIAL.test(v) ? { authScheme: null, tokenFingerprint: sha256B64url(v), tokenClaims: decodeJwtClaims(v) } : NO_AUTH;
  }
  // `<scheme> <credential>`: a first word that is no scheme token (`CN=a,O=b`) makes it no Authorization value.
  if (v && !AUTH_SCHEME_TOKEN.test(v.slice(0, v.indexOf(' ')))) return NO_AUTH;
  if (v) return authFacts(v);
  const c = credential?.trim() ?? null;
  const s = authFacts(scheme);
  if (!c) return s;
  return { authScheme: s.authScheme, tokenFingerprint: sha256B64url(c), tokenClaims: decodeJwtClaims(c) };
}

/** OpenSSL X509_V_ERR numbers HAProxy logs → the texts OpenSSL prints for them (X509_verify_cert_error_string). */
const OPENSSL_ERROR_TEXT: Readonly<Record<number, string>> = {
  2: 'unable to get issuer certificate',
  3: 'unable to get certificate CRL',
  7: 'certificate signature failure',
  8: 'CRL signature failure',
  9: 'certificate is not yet valid',
  10: 'certificate has expired',
  11: 'CRL is not yet valid',
  12: 'CRL has expired',
  18: 'self-signed certificate',
  19: 'self-signed certificate in certificate chain',
  20: 'unable to get local issuer certificate',
  21: 'unable to verify the first certificate',
  22: 'certificate chain too long',
  23: 'certificate revoked',
  24: 'invalid CA certificate',
  25: 'path length constraint exceeded',
  26: 'unsuitable certificate purpose',
  27: 'certificate not trusted',
  28: 'certificate rejected',
};

/** Most telling first: a revoked certificate must not read as "untrusted" because another error came later. */
function codeRank(code: number): number {
  if (code === 23) return 0;
  if (code === 10 || code === 9) return 1;
  return 2;
}

function codeOf(v: string | undefined, spec: string): number | null {
  if (v === undefined) return null;
  if (!/^\d{1,4}$/.test(v)) throw new FieldError('invalid_value', `field ${spec}: "${v.slice(0, 20)}" is not an OpenSSL error number`);
  return Number(v);
}

/**
 * HAProxy's verification outcome as the `FAILED:<OpenSSL text>` NGINX and Apache log, so one rule
 * reads all three. `ssl_c_verify` is only the LAST error OpenSSL met (a self-signed certificate
 * ends on "unable to get certificate CRL" when a CRL is configured, an untrusted one on "unable to
 * verify the first certificate"), so `ssl_c_err` (the certificate's own first error) and
 * `ssl_c_ca_err` (its chain's) are read too, and the most telling of the three wins: revoked, then
 * expired / not yet valid, then the first error of the certificate itself.
 */
export function verifyFromCodes(
  codes: { verify?: string; err?: string; caErr?: string; used?: string },
  specs: { verify: string; err: string; caErr: string; used: string },
): string | null {
  const verify = codeOf(codes.verify, specs.verify);
  const err = codeOf(codes.err, specs.err);
  const caErr = codeOf(codes.caErr, specs.caErr);
  const used = codes.used === undefined ? null : flag(codes.used);
  const failed = [err, caErr, verify].filter((c): c is number => c !== null && c !== 0);
  if (failed.length > 0) {
    const worst = failed.reduce((a, b) => (codeRank(b) < codeRank(a) ? b : a));
    return `FAILED:${OPENSSL_ERROR_TEXT[worst] ?? `X509_V_ERR ${worst}`}`;
  }
  if (used === false) return 'NONE';
  // All zero: a verified certificate only when the format says one was sent; without ssl_c_used a
  // request without any certificate logs the same zeros, so say nothing.
  if (used === true) return 'SUCCESS';
  return null;
}

/** OpenSSL's one-line DN `/O=Test/CN=svc-a` (HAProxy, NGINX `_legacy`) → RFC 2253 `CN=svc-a,O=Test`, the order NGINX and Apache log. */
export function onelineDnToRfc2253(dn: string): string {
  if (!dn.startsWith('/')) return dn;
  const rdns = dn.slice(1).split(/\/(?=[A-Za-z][\w.-]*=)/);
  return rdns.reverse().map((r) => r.replace(/,/g, '\\,')).join(',');
}

/** Standard base64 → base64url without padding; null when it is not 32 bytes (a SHA-256). */
function sha256B64ToB64url(b64: string): string | null {
  const buf = Buffer.from(b64, 'base64');
  return buf.length === 32 ? buf.toString('base64url') : null;
}

/** HAProxy `ssl_c_notbefore`/`ssl_c_notafter`: ASN.1 UTCTime `YYMMDDhhmmssZ` (or GeneralizedTime). */
function asn1Time(v: string | null): string | null {
  if (!v) return null;
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return v;
  const year = m[1]!.length === 2 ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  return `${year}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

/** The PEM as logged (NGINX URL-encodes it, Apache escapes its newlines: hash.pemToDer reads both), or one made from base64 DER. */
function pemOf(v: string | null, derB64: string | null): string | null {
  if (v) return v;
  if (derB64 && /^[A-Za-z0-9+/=\s]{16,}$/.test(derB64)) return `-----BEGIN CERTIFICATE-----\n${derB64.replace(/\s/g, '')}\n-----END CERTIFICATE-----\n`;
  return null;
}

/** Apache's `SSL_CLIENT_VERIFY=GENEROUS`: `optional_no_ca` accepted a certificate it could not verify. */
function generousVerdict(verify: string | null): NormalizedEvent['sourceVerdict'] {
  if (verify?.toUpperCase() !== 'GENEROUS') return null;
  return { verdict: 'cert_untrusted', reason: 'GENEROUS: accepted unverified (SSLVerifyClient optional_no_ca)' };
}

export interface EventInput {
  format: 'nginx' | 'apache' | 'haproxy';
  /** The raw line with the values of credential-carrying slots already replaced (see redactedLine). */
  redactedRaw: string;
  values: SlotValue[];
  time: TimeParts[];
  /** Time of the syslog header the line came in, if any: used when the format logs none. */
  fallbackTime: Date | null;
  /** HAProxy fetch names as the format wrote them, for error messages. */
  codeSpecs?: { verify: string; err: string; caErr: string; used: string };
  /** What the format cannot tell at all (compiled.ts). */
  notLogged?: { certificate: boolean; dpop: boolean; cnf: boolean; thumbprint: boolean } | null;
  /** Which field holds the TCP peer (compiled.ts peerFieldOf); null or absent: the format logs none it can vouch for. */
  peerFrom?: 'peer_ip' | 'client_ip' | null;
}

/**
 * One line's slot values → a NormalizedEvent. The first value of a field wins (a format that logs
 * `$request_uri` before `$uri` is read by the former). Credentials: the Authorization value is
 * hashed (and a JWT's claims decoded), a DPoP value kept only as the proof the pipeline verifies
 * and drops; a label named like a credential is not kept at all.
 */
export function eventFromValues(input: EventInput, ctx: ParseContext): NormalizedEvent {
  const first = new Map<FieldName, string>();
  const labels: Record<string, string> = {};
  const forwarded: SlotValue[] = [];
  for (const v of input.values) {
    if (isUnset(v.value)) continue;
    if (v.field === 'forwarded_cert') forwarded.push(v);
    else if (v.field) {
      if (!first.has(v.field)) first.set(v.field, v.value);
    } else if (!(v.label in labels)) labels[v.label] = v.secret || isSecretLabel(v.label) ? REDACTED : redact(v.value);
  }
  const f = (name: FieldName) => first.get(name) ?? null;

  const occurredAt = combineTime(input.time, ctx.timeZone) ?? input.fallbackTime;
  if (!occurredAt) {
    const anyTime = input.time.length > 0;
    throw new FieldError(anyTime ? 'invalid_timestamp' : 'missing_field', anyTime ? 'the time fields of this line do not make a date' : 'no time on this line (the format logs none and no syslog header gave one)');
  }
  // The raw line was redacted by the caller, which knows which of its spans held credentials.
  const ev = newEvent(input.format, occurredAt, '');
  ev.redactedRaw = input.redactedRaw;

  const requestLine = f('request_line');
  const req = requestLine ? /^(\S+)\s+(\S+)/.exec(requestLine) : null;
  ev.method = f('method') ?? req?.[1] ?? null;
  let path = f('path') ?? req?.[2] ?? null;
  const query = f('query');
  if (path && query && !path.includes('?')) path += query.startsWith('?') ? query : `?${query}`;
  const host = f('host');
  ev.host = host;
  ev.gateway = ctx.gateway ?? host;
  ev.clientIp = f('client_ip') ?? f('peer_ip');
  if (input.peerFrom) ev.peerIp = f(input.peerFrom);
  // A backend behind a TLS-terminating proxy: the URL the client called, as the proxy forwarded it.
  const { url, ignored, client } = requestUrl({
    scheme: schemeOf(f('scheme')), host, path, peerIp: ev.peerIp, trustedProxies: ctx.trustedProxies(),
    headers: {
      forwarded: f('forwarded'), xForwardedProto: f('x_forwarded_proto'), xForwardedHost: f('x_forwarded_host'), xForwardedPort: f('x_forwarded_port'),
      xForwardedFor: input.values.some((v) => v.field === 'x_forwarded_for') ? f('x_forwarded_for') : undefined,
    },
  });
  ev.url = url;
  // Behind trusted proxies in a row, the client is the first untrusted address of their chain, not the last proxy.
  if (client) ev.clientIp = client;
  if (ignored) labels[FORWARDED_ORIGIN_LABEL] = ignored;
  const status = f('status');
  if (status !== null && !/^\d+$/.test(status)) throw new FieldError('invalid_value', `status "${status.slice(0, 20)}" is not a number`);
  ev.httpStatus = httpStatus(status === null ? null : Number(status));
  ev.requestId = f('request_id');
  ev.correlationId = f('correlation_id');

  const auth = authorizationFacts(f('authorization'), f('credential'), f('auth_scheme'));
  ev.authScheme = auth.authScheme;
  ev.tokenClaims = auth.tokenClaims;
  ev.tokenFingerprint = auth.tokenFingerprint ?? f('token_fingerprint');
  // Claims without the token: the binding (cnf), expiry and client judge the request. A token is
  // then known by its issuer and jti, as an inventory or introspection record without the raw token
  // is (fingerprintFromJti): the request joins that token record, or makes one from its claims, so
  // the per-token finding rules see it (bound_not_enforced of a stolen bound token). Without a jti
  // nothing tells one token of a client from the next: no token record.
  const payload = f('token_payload');
  if (payload && !ev.tokenClaims) {
    ev.tokenClaims = decodeJwtPayload(payload);
    const jti = ev.tokenClaims?.jti;
    const iss = ev.tokenClaims?.iss;
    if (!ev.tokenFingerprint && typeof jti === 'string' && jti) ev.tokenFingerprint = fingerprintFromJti(typeof iss === 'string' ? iss : null, jti);
  }
  const dpop = f('dpop');
  ev.dpopProof = dpopProofOf(dpop);
  const hasDpop = f('has_dpop');
  // A flag, or a header count (HAProxy `req.hdr_cnt(DPoP)`): more than one fails RFC 9449 §4.3 check 1.
  const count = /^[1-9]\d{0,5}$/.test(hasDpop ?? '') ? Number(hasDpop) : 0;
  ev.hasDpop = flag(hasDpop) || count > 0 || dpop !== null;
  if (count > 1) ev.dpopHeaderCount = count;
  const jkt = f('cnf_jkt');
  if (jkt) ev.jkt = jkt;
  const x5t = f('cnf_x5t');
  // Claims read at the gateway by a format that logs only one cnf member: that member empty does
  // not make the token bearer, the other may bind it (notLogged.cnf; a decoded JWT has its whole cnf).
  const cnfUnknown = !!input.notLogged?.cnf && !ev.tokenClaims && !jkt && !x5t;
  ev.tokenClaims ??= gatewayClaims(f('token_client_id'), f('token_sub'), f('token_exp'), jkt, x5t);

  const specs = input.codeSpecs ?? { verify: 'ssl_c_verify', err: 'ssl_c_err', caErr: 'ssl_c_ca_err', used: 'ssl_c_used' };
  const hasCodes = first.has('tls_verify_code') || first.has('tls_err_code') || first.has('tls_ca_err_code') || first.has('tls_cert_used');
  const verify = f('tls_verify') ?? (hasCodes
    ? verifyFromCodes({ verify: first.get('tls_verify_code'), err: first.get('tls_err_code'), caErr: first.get('tls_ca_err_code'), used: first.get('tls_cert_used') }, specs)
    : null);
  const sha256Hex = f('cert_sha256_hex');
  const sha256B64 = f('cert_sha256_b64');
  const subject = f('cert_subject');
  const issuer = f('cert_issuer');
  const serial = f('cert_serial');
  const { cert, facts } = buildCert(ctx.state, {
    verify,
    subjectDn: subject ? onelineDnToRfc2253(subject) : null,
    issuerDn: issuer ? onelineDnToRfc2253(issuer) : null,
    serial: serial ? serial.replace(/:/g, '').toUpperCase() : null,
    sha1Hex: f('cert_sha1'),
    x5tS256: f('cert_x5t') ?? (sha256Hex ? hexToB64url(sha256Hex, 32) : null) ?? (sha256B64 ? sha256B64ToB64url(sha256B64) : null),
    notBefore: asn1Time(f('cert_not_before')),
    notAfter: asn1Time(f('cert_not_after')),
    pem: pemOf(f('cert_pem'), f('cert_der_b64')),
  });
  ev.cert = cert;
  ev.sourceVerdict = verdictFromCertVerify(verify) ?? generousVerdict(verify);
  ev.failureDetail = ev.sourceVerdict ? verify : null;

  const fwd = forwardedCertOf(forwarded, input.values, ctx.state, labels);
  if (fwd !== undefined) ev.forwardedCert = fwd;
  // A certificate this hop received, in a format that logs no thumbprint of it. A line that carries
  // a forwarded certificate is a backend's: a thumbprint missing there keeps its meaning.
  const thumbprint = !!input.notLogged?.thumbprint && !fwd && !!cert && !cert.x5tS256 && cert.verify?.toUpperCase() !== 'NONE';
  const nl = input.notLogged;
  if (nl && (nl.certificate || nl.dpop || nl.cnf || thumbprint)) {
    ev.notLogged = { certificate: nl.certificate, dpop: nl.dpop, ...(cnfUnknown ? { cnf: true } : {}), ...(thumbprint ? { thumbprint } : {}) };
  }
  if (Object.keys(labels).length > 0) ev.labels = labels;
  ev.identityHint = identityFrom(ev.tokenClaims, facts?.uriSan ?? null, cert?.subjectDn ?? null, fwd?.subjectDn ?? null);
  return ev;
}

/**
 * Claims a gateway read from the token (it decoded the JWT, the token itself never reached the
 * log): the token's binding and expiry as its own claims state them. Null when it logged none.
 */
function gatewayClaims(clientId: string | null, sub: string | null, exp: string | null, jkt: string | null, x5t: string | null): Record<string, unknown> | null {
  if (!clientId && !sub && !exp && !jkt && !x5t) return null;
  const expNum = exp !== null && /^\d+(\.\d+)?$/.test(exp) ? Math.trunc(Number(exp)) : null;
  const cnf = { ...(jkt ? { jkt } : {}), ...(x5t ? { 'x5t#S256': x5t } : {}) };
  return {
    ...(clientId ? { client_id: clientId } : {}),
    ...(sub ? { sub } : {}),
    ...(expNum !== null ? { exp: expNum } : {}),
    ...(jkt || x5t ? { cnf } : {}),
  };
}

/**
 * The forwarded certificate, as nginx-json reads it: undefined when the format logs no such
 * header, null when it logged them empty, a value that does not parse named in the labels.
 */
function forwardedCertOf(
  present: SlotValue[], all: SlotValue[], state: Record<string, unknown>, labels: Record<string, string>,
): NormalizedEvent['forwardedCert'] {
  if (!all.some((v) => v.field === 'forwarded_cert')) return undefined;
  let found: NonNullable<NormalizedEvent['forwardedCert']> | null = null;
  for (const v of present) {
    const header = v.header ?? v.label;
    const r = parseForwardedCert(header, v.value, state);
    if (r?.kind === 'error') labels[`forwarded_cert_error.${header}`] = `${r.code}: ${r.message}`;
    else if (r?.kind === 'cert' && !found) found = r.cert;
  }
  return found;
}
