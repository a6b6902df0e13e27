// NGINX access log written with `log_format … escape=json` (see NGINX_JSON_LOG_FORMAT).
import type { NormalizedEvent } from '../../domain/types.ts';
import { buildCert } from '../cert.ts';
import { parseForwardedCert } from '../forwarded-cert.ts';
import { FORWARDED_ORIGIN_LABEL, requestUrl } from '../forwarded-origin.ts';
import { SKIP, type LineParser, type ParseContext, type ParseResult } from '../types.ts';
import { authFacts, dpopProofOf, identityFrom } from '../auth-facts.ts';
import { newJsonLineEvent, verdictFromCertVerify } from '../event.ts';
import { FieldError, flag, guard, httpStatus, intValue, isEmptyLine, jsonObject, strValue, type Json } from '../fields.ts';
import { requireTime } from '../time.ts';

/**
 * Maps both NGINX formats use: the Authorization scheme only, DPoP presence (never the values),
 * and the request id that joins one request's lines across hops: the X-Request-ID the request
 * arrived with, else this NGINX's own $request_id. An edge sends it on with
 * `proxy_set_header X-Request-ID $holdfast_correlation_id;`, so the next hop logs the same id.
 */
export const NGINX_AUTH_MAPS = `map $http_authorization $authz_scheme { "~^(?<s>[A-Za-z0-9_-]+)\\s" $s; default ""; }
map $http_dpop $has_dpop { "" 0; default 1; }
map $http_x_request_id $holdfast_correlation_id { "" $request_id; default $http_x_request_id; }`;

const NGINX_JSON_FIELDS = `'{"time":"$time_iso8601","request_id":"$request_id","correlation_id":"$holdfast_correlation_id",'
  '"remote_addr":"$remote_addr","method":"$request_method","scheme":"$scheme","host":"$host",'
  '"uri":"$request_uri","status":$status,"ssl_client_verify":"$ssl_client_verify",'
  '"ssl_client_s_dn":"$ssl_client_s_dn","ssl_client_i_dn":"$ssl_client_i_dn",'
  '"ssl_client_serial":"$ssl_client_serial","ssl_client_fingerprint":"$ssl_client_fingerprint",'
  '"ssl_client_v_start":"$ssl_client_v_start","ssl_client_v_end":"$ssl_client_v_end",'
  '"ssl_client_escaped_cert":"$ssl_client_escaped_cert","authz_scheme":"$authz_scheme",'
  '"has_dpop":"$has_dpop"`;

/**
 * The log format Holdfast documents for NGINX (with NGINX_AUTH_MAPS in the http block). Logging
 * `$http_dpop` lets Holdfast verify proofs; drop it if proofs must not reach the log file. Key aliases accepted besides these: `time_iso8601`,
 * `timestamp`, `@timestamp`, `time_local`, `msec`; `request_method`; `request_uri`, `request`;
 * `client_ip`; `http_authorization` (hashed, then dropped); `token_fingerprint` / `token_sha256`.
 */
export const NGINX_JSON_LOG_FORMAT = `log_format holdfast_json escape=json ${NGINX_JSON_FIELDS},"http_dpop":"$http_dpop"}';`;

/**
 * The format for an NGINX behind a TLS-terminating proxy (a backend hop): the same fields (but
 * not the DPoP proof: the edge logs it if anyone does) plus the
 * certificate headers a proxy may forward (RFC 9440 Client-Cert and its chain, Envoy XFCC, the
 * escaped PEM of an NGINX edge, AWS ALB's), read with parseForwardedCert into `forwardedCert`
 * and checked against the edge's line of the same request (lib/hops), and the TCP peer that sent
 * them (`$realip_remote_addr`: the peer even where the realip module rewrites `$remote_addr`),
 * checked against the source's trusted proxies. It logs the forwarding headers too (RFC 7239
 * `Forwarded`, X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Port): the URL a client called through the edge
 * (`https://api.example/…`, not this hop's `http://10.0.0.5:8080/…`), which a DPoP proof's htu
 * names — believed only from a trusted proxy when the source has any (lib/ingest/forwarded-origin.ts);
 * and X-Forwarded-For, so that behind several trusted proxies in a row (an edge, then a load
 * balancer) each is counted and the client's own address found (walkTrustedHops).
 */
export const NGINX_BACKEND_JSON_LOG_FORMAT = `log_format holdfast_backend_json escape=json ${NGINX_JSON_FIELDS},'
  '"realip_remote_addr":"$realip_remote_addr","http_forwarded":"$http_forwarded","http_x_forwarded_proto":"$http_x_forwarded_proto",'
  '"http_x_forwarded_host":"$http_x_forwarded_host","http_x_forwarded_port":"$http_x_forwarded_port","http_x_forwarded_for":"$http_x_forwarded_for","http_client_cert":"$http_client_cert","http_client_cert_chain":"$http_client_cert_chain",'
  '"http_x_forwarded_client_cert":"$http_x_forwarded_client_cert","http_x_ssl_client_cert":"$http_x_ssl_client_cert",'
  '"http_x_amzn_mtls_clientcert":"$http_x_amzn_mtls_clientcert"}';`;

/**
 * Log keys of forwarded-certificate headers, in the order they are believed: the standard
 * header first. NGINX names a header variable `$http_` + the lower-cased name with `_` for `-`.
 */
const FORWARDED_CERT_KEYS = [
  ['http_client_cert', 'client-cert'],
  ['http_x_forwarded_client_cert', 'x-forwarded-client-cert'],
  ['http_x_ssl_client_cert', 'x-ssl-client-cert'],
  ['http_x_client_cert', 'x-client-cert'],
  ['http_ssl_client_cert', 'ssl-client-cert'],
  ['http_x_amzn_mtls_clientcert', 'x-amzn-mtls-clientcert'],
  ['http_x_amzn_mtls_clientcert_leaf', 'x-amzn-mtls-clientcert-leaf'],
] as const;

/**
 * The forwarded certificate of a backend line. Undefined when the format logs no such header (an
 * absent field says nothing), null when it logs them empty (nothing was forwarded). A value that
 * does not parse is kept out of the certificate facts (a header a proxy forwards correctly always
 * parses) and named in the labels, so it is visible without posing as a certificate.
 */
function forwardedCertOf(o: Json, state: Record<string, unknown>, labels: Record<string, string>): NormalizedEvent['forwardedCert'] {
  let logged = false;
  let found: NonNullable<NormalizedEvent['forwardedCert']> | null = null;
  for (const [key, header] of FORWARDED_CERT_KEYS) {
    if (!(key in o)) continue;
    logged = true;
    const r = parseForwardedCert(header, strValue(o[key], key), state);
    if (r?.kind === 'error') labels[`forwarded_cert_error.${header}`] = `${r.code}: ${r.message}`;
    else if (r?.kind === 'cert' && !found) found = r.cert;
  }
  if ('http_client_cert_chain' in o) {
    const r = parseForwardedCert('client-cert-chain', strValue(o.http_client_cert_chain, 'http_client_cert_chain'), state);
    if (r?.kind === 'error') labels['forwarded_cert_error.client-cert-chain'] = `${r.code}: ${r.message}`;
  }
  return logged ? found : undefined;
}

/** An x5t#S256 a gateway computed (njs): 43 base64url characters, else the line is refused. */
function x5tValue(v: unknown, key: string): string | null {
  const s = strValue(v, key);
  if (s !== null && !/^[A-Za-z0-9_-]{43}$/.test(s)) throw new FieldError('invalid_value', `${key} is not a base64url SHA-256`);
  return s;
}

/**
 * Claims the gateway extracted from the token itself (NGINX_NJS_MODULE), when it logged no token:
 * client_id, sub, exp and the cnf thumbprints, enough for identity, expiry and binding.
 */
function gatewayClaims(o: Json): Record<string, unknown> | null {
  const clientId = strValue(o.token_client_id, 'token_client_id');
  const sub = strValue(o.token_sub, 'token_sub');
  const exp = intValue(o.token_exp, 'token_exp');
  const jkt = strValue(o.cnf_jkt, 'cnf_jkt');
  const x5t = strValue(o.cnf_x5t, 'cnf_x5t');
  if (clientId === null && sub === null && exp === null && jkt === null && x5t === null) return null;
  const claims: Record<string, unknown> = {};
  if (clientId !== null) claims.client_id = clientId;
  if (sub !== null) claims.sub = sub;
  if (exp !== null) claims.exp = exp;
  if (jkt !== null || x5t !== null) claims.cnf = { ...(jkt !== null ? { jkt } : {}), ...(x5t !== null ? { 'x5t#S256': x5t } : {}) };
  return claims;
}

// Fields are read by name, not through pickStr's `o[key]`: every line of one log_format has the
// same shape, so named reads are inline-cached (aliases are read in pickStr's order).
export function nginxJsonEvent(o: Json, text: string, ctx: ParseContext): ParseResult {
  const ev = newJsonLineEvent('nginx-json', requireTime(o.time ?? o.time_iso8601 ?? o.timestamp ?? o['@timestamp'] ?? o.time_local ?? o.msec, 'time', ctx.timeZone), text, ctx);
  const request = strValue(o.request, 'request');
  const reqParts = request ? /^(\S+)\s+(\S+)/.exec(request) : null;
  ev.requestId = strValue(o.request_id, 'request_id');
  ev.correlationId = strValue(o.correlation_id, 'correlation_id') ?? strValue(o.http_x_request_id, 'http_x_request_id');
  ev.method = strValue(o.method, 'method') ?? strValue(o.request_method, 'request_method') ?? reqParts?.[1] ?? null;
  const path = strValue(o.uri, 'uri') ?? strValue(o.request_uri, 'request_uri') ?? strValue(o.path, 'path') ?? reqParts?.[2] ?? null;
  const scheme = strValue(o.scheme, 'scheme');
  const host = strValue(o.host, 'host') ?? strValue(o.http_host, 'http_host') ?? strValue(o.server_name, 'server_name');
  ev.gateway = ctx.gateway ?? host;
  ev.clientIp = strValue(o.remote_addr, 'remote_addr') ?? strValue(o.client_ip, 'client_ip');
  // The TCP peer: $realip_remote_addr is it whether or not the realip module rewrote $remote_addr;
  // $remote_addr alone may be a client address taken from X-Forwarded-For / X-Real-IP, so it is not.
  if ('realip_remote_addr' in o) ev.peerIp = strValue(o.realip_remote_addr, 'realip_remote_addr');
  // A backend behind a TLS-terminating proxy: the URL the client called, as the proxy forwarded it.
  const labels: Record<string, string> = {};
  const { url, ignored, client } = requestUrl({
    scheme, host, path, peerIp: ev.peerIp, trustedProxies: ctx.trustedProxies(),
    headers: {
      forwarded: strValue(o.http_forwarded, 'http_forwarded'),
      xForwardedProto: strValue(o.http_x_forwarded_proto, 'http_x_forwarded_proto'),
      xForwardedHost: strValue(o.http_x_forwarded_host, 'http_x_forwarded_host'),
      xForwardedPort: strValue(o.http_x_forwarded_port, 'http_x_forwarded_port'),
      xForwardedFor: 'http_x_forwarded_for' in o ? strValue(o.http_x_forwarded_for, 'http_x_forwarded_for') : undefined,
    },
  });
  ev.url = url;
  // Behind trusted proxies in a row, the client is the first untrusted address of their chain, not the last proxy.
  if (client) ev.clientIp = client;
  if (ignored) labels[FORWARDED_ORIGIN_LABEL] = ignored;
  ev.httpStatus = httpStatus(intValue(o.status, 'status'));

  const auth = authFacts(
    strValue(o.http_authorization, 'http_authorization') ?? strValue(o.authz_scheme, 'authz_scheme') ?? strValue(o.auth_scheme, 'auth_scheme'),
  );
  ev.authScheme = auth.authScheme;
  ev.tokenClaims = auth.tokenClaims ?? gatewayClaims(o);
  ev.tokenFingerprint = auth.tokenFingerprint ?? strValue(o.token_fingerprint, 'token_fingerprint') ?? strValue(o.token_sha256, 'token_sha256');
  const dpop = strValue(o.http_dpop, 'http_dpop');
  ev.dpopProof = dpopProofOf(dpop);
  ev.hasDpop = flag(o.has_dpop) || dpop !== null;

  const verify = strValue(o.ssl_client_verify, 'ssl_client_verify');
  const { cert, facts } = buildCert(ctx.state, {
    verify,
    subjectDn: strValue(o.ssl_client_s_dn, 'ssl_client_s_dn'),
    issuerDn: strValue(o.ssl_client_i_dn, 'ssl_client_i_dn'),
    serial: strValue(o.ssl_client_serial, 'ssl_client_serial'),
    sha1Hex: strValue(o.ssl_client_fingerprint, 'ssl_client_fingerprint'),
    x5tS256: x5tValue(o.ssl_client_x5t, 'ssl_client_x5t'),
    notBefore: strValue(o.ssl_client_v_start, 'ssl_client_v_start'),
    notAfter: strValue(o.ssl_client_v_end, 'ssl_client_v_end'),
    pem: strValue(o.ssl_client_escaped_cert, 'ssl_client_escaped_cert') ?? strValue(o.ssl_client_cert, 'ssl_client_cert'),
  });
  ev.cert = cert;
  ev.sourceVerdict = verdictFromCertVerify(verify);
  ev.failureDetail = ev.sourceVerdict ? verify : null;
  const forwarded = forwardedCertOf(o, ctx.state, labels);
  if (forwarded !== undefined) ev.forwardedCert = forwarded;
  // TLS ended here and the format logs the certificate (verify, DN, SHA-1) but nothing that gives
  // x5t#S256: not stripped, only not comparable (certificate_not_logged, not binding_context_stripped).
  if (cert && !cert.x5tS256 && !forwarded && !('ssl_client_escaped_cert' in o || 'ssl_client_cert' in o || 'ssl_client_x5t' in o)) {
    ev.notLogged = { certificate: false, dpop: false, thumbprint: true };
  }
  if (Object.keys(labels).length > 0) ev.labels = labels;
  ev.identityHint = identityFrom(ev.tokenClaims, facts?.uriSan ?? null, cert?.subjectDn ?? null, forwarded?.subjectDn ?? null);
  return { kind: 'event', event: ev };
}

export const nginxJsonParser: LineParser = {
  format: 'nginx-json',
  parseLine(text, ctx) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => nginxJsonEvent(jsonObject(text), text, ctx));
  },
};
