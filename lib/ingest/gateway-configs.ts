// Recommended gateway configurations: log the evidence Holdfast needs, computed at the gateway,
// and never the raw token. Each builder returns the exact text the Ingest page shows (with example
// paths) and the tests run on the real gateway (with their temporary paths); nothing else differs.
import { NGINX_AUTH_MAPS, NGINX_BACKEND_JSON_LOG_FORMAT } from './formats/nginx-json.ts';
import { FORWARDED_CERT_HEADERS } from './forwarded-cert.ts';

/**
 * Every header a backend might take a forwarded client certificate from, as usually spelt. A
 * recommended edge removes all of them from the client's request before it sets its own
 * Client-Cert: a backend (or its log format) that believes any of them would otherwise believe a
 * certificate the client wrote itself (RFC 8705 §6.5; Keycloak CVE-2024-10039).
 */
export const CLIENT_CERT_HEADERS: readonly string[] = FORWARDED_CERT_HEADERS.map((h) =>
  h.split('-').map((w) => (w === 'ssl' ? 'SSL' : `${w[0]!.toUpperCase()}${w.slice(1)}`)).join('-'),
);

/**
 * How an edge that ends TLS tells the backend the URL the client called, replacing whatever the
 * client sent: X-Forwarded-Proto, X-Forwarded-Host (the Host with its port, when the client named
 * one), X-Forwarded-Port (the port it accepted on: a backend completes a port-less host with it,
 * so the client must not choose it) and no `Forwarded` (RFC 7239, which a backend believes first:
 * lib/ingest/forwarded-origin.ts). Caddy's reverse_proxy sets X-Forwarded-Proto/-Host itself and
 * passes a client's X-Forwarded-Port on, so its site removes that one. Replacing matters: without
 * trusted proxies Holdfast believes the first value of a list, so an edge that appends to a
 * client's own value (Apache mod_proxy does with X-Forwarded-Host: `RequestHeader unset
 * X-Forwarded-Host early`, `RequestHeader unset Forwarded`, `RequestHeader set X-Forwarded-Proto
 * https`) lets it choose; with them it reads the rightmost and labels the line.
 * X-Forwarded-For is set to the client's address alone (the edge faces the client: nothing a client
 * sent in it is worth keeping): a backend behind several trusted proxies walks it from the right
 * to count them and find the client (lib/hops/trusted-proxies.ts walkTrustedHops), so an edge that
 * passed a client's own on would let it name its address. Caddy's reverse_proxy sets it so itself
 * (from a peer outside its trusted_proxies); mod_proxy appends, after the client's copy is removed.
 */
export const FORWARD_ORIGIN = {
  nginx: `proxy_set_header X-Forwarded-Proto $scheme;
proxy_set_header X-Forwarded-Host $http_host;
proxy_set_header X-Forwarded-Port $server_port;
proxy_set_header X-Forwarded-For $remote_addr;
proxy_set_header Forwarded "";`,
  haproxy: `  http-request del-header Forwarded
  http-request set-header X-Forwarded-Proto https
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Forwarded-Port %[dst_port]
  http-request set-header X-Forwarded-For %[src]`,
  caddy: `    request_header -Forwarded
    request_header -X-Forwarded-Port`,
  // mod_proxy appends the client's Host to X-Forwarded-Host itself: removing the client's copy early leaves
  // only that (with its port, so a client's X-Forwarded-Port goes too); likewise the client's address to X-Forwarded-For.
  apache: `  RequestHeader unset Forwarded early
  RequestHeader unset X-Forwarded-Host early
  RequestHeader unset X-Forwarded-Port early
  RequestHeader unset X-Forwarded-For early
  RequestHeader set X-Forwarded-Proto https early`,
} as const;

/**
 * njs module for NGINX (Debian: libnginx-mod-http-js, njs 0.7). It reads the Authorization
 * header and the client certificate inside NGINX and hands out only derived values: the token's
 * SHA-256 (base64url, Holdfast's token fingerprint), a few JWT claims (client_id, sub, exp and the
 * cnf thumbprints — claims as presented, the signature is the resource server's to check), the
 * certificate's x5t#S256, the certificate as an RFC 9440 byte sequence for a backend, and at a
 * backend the x5t#S256 of the Client-Cert it received.
 */
export const NGINX_NJS_MODULE = `// holdfast.js: evidence for Holdfast computed in NGINX; the token itself is never returned.
import crypto from 'crypto';

function credential(r) {
  var m = /^(?:Bearer|DPoP)[ ]+([A-Za-z0-9._~+\\/-]+=*)$/i.exec(r.headersIn.Authorization || '');
  return m ? m[1] : '';
}

function claims(r) {
  var parts = credential(r).split('.');
  if (parts.length !== 3) return {};
  try {
    var c = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    return c && typeof c === 'object' ? c : {};
  } catch (e) {
    return {};
  }
}

function str(v) {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

function x5tOfBase64Der(b64) {
  return crypto.createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64url');
}

function pemBody(pem) {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\\s+/g, '');
}

function tokenSha256(r) {
  var t = credential(r);
  return t ? crypto.createHash('sha256').update(t).digest('base64url') : '';
}

function tokenClientId(r) { var c = claims(r); return str(c.client_id || c.azp); }
function tokenSub(r) { return str(claims(r).sub); }
function tokenExp(r) { return str(claims(r).exp); }
function cnfJkt(r) { var c = claims(r).cnf; return c ? str(c.jkt) : ''; }
function cnfX5t(r) { var c = claims(r).cnf; return c ? str(c['x5t#S256']) : ''; }

function certX5t(r) {
  var pem = r.variables.ssl_client_raw_cert;
  return pem ? x5tOfBase64Der(pemBody(pem)) : '';
}

function certRfc9440(r) {
  var pem = r.variables.ssl_client_raw_cert;
  return pem ? ':' + pemBody(pem) + ':' : '';
}

function forwardedX5t(r) {
  var m = /^:([A-Za-z0-9+\\/]+=*):$/.exec(r.headersIn['Client-Cert'] || '');
  return m ? x5tOfBase64Der(m[1]) : '';
}

export default { tokenSha256, tokenClientId, tokenSub, tokenExp, cnfJkt, cnfX5t, certX5t, certRfc9440, forwardedX5t };
`;

/** Where Debian puts the njs module for `load_module` (it also enables it in /etc/nginx/modules-enabled). */
export const NGINX_NJS_LOAD_MODULE = 'load_module /usr/lib/nginx/modules/ngx_http_js_module.so;';

/**
 * http-block configuration for NGINX with njs: the variables the module computes, the maps of the
 * plain format, and the log format `holdfast_njs_json` (read with `--format nginx-json`). No
 * `$http_authorization`, no `$http_dpop`: the log never holds a token or a proof.
 */
export function nginxNjsHttpConfig(o: { njsPath: string }): string {
  return `js_import holdfast from ${o.njsPath};
js_set $holdfast_token_sha256 holdfast.tokenSha256;
js_set $holdfast_token_client_id holdfast.tokenClientId;
js_set $holdfast_token_sub holdfast.tokenSub;
js_set $holdfast_token_exp holdfast.tokenExp;
js_set $holdfast_cnf_jkt holdfast.cnfJkt;
js_set $holdfast_cnf_x5t holdfast.cnfX5t;
js_set $holdfast_cert_x5t holdfast.certX5t;
js_set $holdfast_client_cert holdfast.certRfc9440;
js_set $holdfast_forwarded_x5t holdfast.forwardedX5t;
${NGINX_AUTH_MAPS}
log_format holdfast_njs_json escape=json '{"time":"$time_iso8601","request_id":"$request_id","correlation_id":"$holdfast_correlation_id",'
  '"remote_addr":"$remote_addr","method":"$request_method","scheme":"$scheme","host":"$host","uri":"$request_uri","status":$status,'
  '"ssl_client_verify":"$ssl_client_verify","ssl_client_s_dn":"$ssl_client_s_dn","ssl_client_i_dn":"$ssl_client_i_dn",'
  '"ssl_client_serial":"$ssl_client_serial","ssl_client_fingerprint":"$ssl_client_fingerprint",'
  '"ssl_client_v_start":"$ssl_client_v_start","ssl_client_v_end":"$ssl_client_v_end","ssl_client_x5t":"$holdfast_cert_x5t",'
  '"authz_scheme":"$authz_scheme","has_dpop":"$has_dpop","token_sha256":"$holdfast_token_sha256",'
  '"token_client_id":"$holdfast_token_client_id","token_sub":"$holdfast_token_sub","token_exp":"$holdfast_token_exp",'
  '"cnf_jkt":"$holdfast_cnf_jkt","cnf_x5t":"$holdfast_cnf_x5t"}';`;
}

/**
 * The log format of an NGINX backend behind a recommended edge (with the njs http block): the
 * Client-Cert the edge set (RFC 9440) — only that one: the recommended edges remove
 * every other certificate header, and a backend that logged them would be judged by a header
 * neither the edge nor its binding check vouches for — and what the njs module computes of the
 * token (its SHA-256, client id, subject, expiry, cnf thumbprints — never the token), and the TCP
 * peer that sent the request (`$realip_remote_addr`: a Client-Cert from a peer outside the source's
 * trusted proxies is a client's own, lib/hops/trusted-proxies.ts). Without the
 * token's facts Holdfast could not tell which token, bound to what, a backend line carried, nor
 * judge the binding where it is checked. Read with format nginx-json. (Behind another proxy,
 * NGINX_BACKEND_JSON_LOG_FORMAT logs the headers such proxies use.)
 */
export const NGINX_BACKEND_NJS_LOG_FORMAT = NGINX_BACKEND_JSON_LOG_FORMAT.replace(
  /,"http_client_cert_chain"[^;]*\}';$/,
  `,'\n  '"token_sha256":"$holdfast_token_sha256","token_client_id":"$holdfast_token_client_id","token_sub":"$holdfast_token_sub",'
  '"token_exp":"$holdfast_token_exp","cnf_jkt":"$holdfast_cnf_jkt","cnf_x5t":"$holdfast_cnf_x5t"}';`,
);

/**
 * For an NGINX backend behind an edge that forwards Client-Cert (and only then: the header is the
 * edge's word): refuse a certificate-bound token whose cnf x5t#S256 is not the forwarded
 * certificate's. Unbound tokens pass (an empty cnf). Put the `if` in the protected location.
 */
export const NGINX_BACKEND_BINDING_CHECK = `map "$holdfast_cnf_x5t:$holdfast_forwarded_x5t" $holdfast_binding_ok { "~^:" 1; "~^([^:]+):\\1$" 1; default 0; }
# in the protected location:
# if ($holdfast_binding_ok = 0) { return 401; }`;

/**
 * For each location that proxies to a backend: send the client certificate the way RFC 9440
 * says, set from the TLS session — never a copy the client sent (proxy_set_header replaces it,
 * and an empty value removes it; every other certificate header a backend might believe is
 * removed too) — the request id, so the backend's line joins this one, and the URL the client
 * called (X-Forwarded-Proto and -Host, the port included; a client's own `Forwarded` removed, as
 * a backend believes it first): a DPoP proof's htu names that URL, not the backend's.
 */
export const NGINX_FORWARD_CLIENT_CERT = `proxy_set_header Client-Cert $holdfast_client_cert;
${CLIENT_CERT_HEADERS.filter((h) => h !== 'Client-Cert').map((h) => `proxy_set_header ${h} "";`).join('\n')}
proxy_set_header X-Request-ID $holdfast_correlation_id;
${FORWARD_ORIGIN.nginx}`;

/**
 * A Caddy site (Caddy 2.6) that terminates mTLS, logs JSON, and forwards to `upstream`. Caddy logs
 * the client certificate's CN and serial by itself; the site adds what it cannot log: the
 * certificate's SHA-256 (echoed to the client in X-Client-Cert-Sha256, so the access log's
 * resp_headers carries it — it is the client's own, public certificate) and a request id of its
 * own, sent to the backend and echoed likewise. Client-Cert is set from the TLS session and any
 * copy the client sent is removed, as is every other certificate header a backend might believe. Caddy redacts Authorization in its log by default: keep it so
 * (never enable `log_credentials`). Caddy checks no CRL: revoke at the authorization server too.
 *
 * This site's log therefore shows no token: every request reads `ok` / `binding_unknown`, and
 * ingest says so once per batch. Caddy 2.6 has no safe way to log the token's fingerprint: its
 * log filter `hash` keeps 4 bytes (32 bits) of the SHA-256 of the whole header value (`Bearer
 * <token>`, scheme included) — checked on the real 2.6.2, which even hashes header values twice
 * (it hashes the live header array in place) — so it cannot be matched to a token's fingerprint
 * (the SHA-256 of the token alone) and collides across a few tens of thousands of tokens. The
 * generated site says so in its comments: let a hop that sees the token log its SHA-256 (the
 * recommended NGINX or HAProxy formats as the backend behind this site).
 */
export function caddySite(o: { address: string; certFile: string; keyFile: string; caFile: string; logFile: string; upstream: string }): string {
  return `# Holdfast: this log shows no token. Caddy logs Authorization as [] — keep it so: turning the
# server option that logs credentials on would write raw tokens to this file. Caddy's log filter \`hash\` is no substitute: it keeps 4 bytes
# of SHA-256 of the whole header ("Bearer <token>"; Caddy 2.6 hashes header values twice), which
# Holdfast cannot match to a token's fingerprint. Every request here reads ok / binding_unknown:
# let the backend log the token's SHA-256 (Holdfast's NGINX or HAProxy format) and ingest its log too.
${o.address} {
  tls ${o.certFile} ${o.keyFile} {
    client_auth {
      mode verify_if_given
      trusted_ca_cert_file ${o.caFile}
    }
  }
  log {
    output file ${o.logFile}
    format json
  }
  @hascert expression {http.request.tls.client.fingerprint} != null
  route {
    request_header X-Request-ID {http.request.uuid}
    header X-Request-ID {http.request.uuid}
    header @hascert X-Client-Cert-Sha256 {http.request.tls.client.fingerprint}
${CLIENT_CERT_HEADERS.map((h) => `    request_header -${h}`).join('\n')}
${FORWARD_ORIGIN.caddy}
    request_header @hascert Client-Cert ":{http.request.tls.client.certificate_der_base64}:"
    reverse_proxy ${o.upstream}
  }
}
`;
}

/**
 * An HAProxy 2.6 frontend that terminates mTLS and logs evidence computed by HAProxy's own
 * converters: the certificate's x5t#S256 (`ssl_c_der,sha2(256),ub64enc`), the token's SHA-256
 * (`sha2(256),ub64enc` of the credential, kept in a transaction variable and never logged) and
 * the claims jwt_payload_query reads (client_id, sub, exp, cnf thumbprints). `verify optional`
 * with `crt-ignore-err all ca-ignore-err all` lets failed certificates through to the log with
 * their error codes (`ssl_c_verify` is only the last error: `ssl_c_err` and `ssl_c_ca_err` tell
 * the rest) — the frontend must then refuse them itself, as the deny rule does once the token's
 * facts are taken (a refused request is logged with them). `len 16384`:
 * lines are cut at 1024 bytes otherwise. Client-Cert is set from the TLS session (a client's
 * copy removed, with every other certificate header a backend might believe) and X-Request-ID is kept or made, captured and sent on;
 * X-Forwarded-Proto and -Host tell the backend the URL the client called (FORWARD_ORIGIN).
 * The time is `%trl`, the request's local time with its offset (`06/Dec/2026:09:06:11 +0100`):
 * `%tr` has no zone, so on a gateway not on UTC it read an hour or two off.
 */
export function haproxyFrontend(o: { bind: string; crtFile: string; caFile: string; crlFile: string; logTarget: string; backend: string }): string {
  // `\\$` is a literal `$` inside HAProxy's double quotes (a bare one starts an environment variable).
  const claim = (path: string, type = '') => `%[var(txn.holdfast_token),jwt_payload_query('\\$.${path}'${type ? `,${type}` : ''})]`;
  return `frontend holdfast_edge
  mode http
  bind ${o.bind} ssl crt ${o.crtFile} ca-file ${o.caFile} crl-file ${o.crlFile} verify optional crt-ignore-err all ca-ignore-err all
  log ${o.logTarget} len 16384 format raw local0
  unique-id-format %[uuid()]
  http-request set-header X-Request-ID %[unique-id] unless { req.hdr(X-Request-ID) -m found }
  http-request capture req.hdr(X-Request-ID) len 64
  http-request set-var(txn.holdfast_token) req.hdr(Authorization),word(2,' ')
  http-request set-var(txn.holdfast_scheme) req.hdr(Authorization),word(1,' ')
  http-request set-var(txn.holdfast_has_dpop) req.hdr_cnt(DPoP)
  http-request deny deny_status 403 if { ssl_c_used } !{ ssl_c_verify 0 } || { ssl_c_used } !{ ssl_c_err 0 } || { ssl_c_used } !{ ssl_c_ca_err 0 }
${CLIENT_CERT_HEADERS.map((h) => `  http-request del-header ${h}`).join('\n')}
  http-request set-header Client-Cert :%[ssl_c_der,base64]: if { ssl_c_used }
${FORWARD_ORIGIN.haproxy}
  log-format "%ci [%trl] %ID %HM %HU %HV %ST ssl_c_used=%[ssl_c_used] ssl_c_verify=%[ssl_c_verify] ssl_c_err=%[ssl_c_err] ssl_c_ca_err=%[ssl_c_ca_err] ssl_c_s_dn=%{+Q}[ssl_c_s_dn] ssl_c_i_dn=%{+Q}[ssl_c_i_dn] ssl_c_serial=%[ssl_c_serial,hex] ssl_c_sha1=%[ssl_c_sha1,hex] x5t=%[ssl_c_der,sha2(256),ub64enc] scheme=%[var(txn.holdfast_scheme)] token_sha256=%[var(txn.holdfast_token),sha2(256),ub64enc] client_id=${claim('client_id')} sub=${claim('sub')} exp=${claim('exp', 'int')} cnf_jkt=${claim('cnf.jkt')} cnf_x5t=${claim('cnf.x5t#S256')} has_dpop=%[var(txn.holdfast_has_dpop)] x_request_id=%{+Q}[capture.req.hdr(0)]"
  default_backend ${o.backend}
`;
}

/**
 * Apache 2.4 with mod_ssl. Apache can log the client certificate itself (`SSL_CLIENT_CERT`, PEM
 * with escaped newlines: Holdfast computes x5t#S256 from it), the verify result, DNs, serial and
 * validity, the Authorization scheme and DPoP presence (through SetEnvIf, never the values). It
 * cannot hash a token (its expressions have no SHA-256), but SetEnvIf can cut out a JWT's payload
 * segment: the claims (client, expiry, cnf), without the header and signature that would make it
 * a usable token. Holdfast judges the binding from them; a token with a jti is known by its issuer
 * and jti (as an inventory record without the raw token is), so its requests join one token record
 * and its findings; without a jti, or an opaque token, no token record (certificate verdicts only). `SSLVerifyClient optional` aborts the
 * handshake of expired and revoked certificates: those are only in error.log (format
 * apache-error); `optional_no_ca` lets untrusted ones reach the access log. As an edge in front of
 * a backend: apacheEdge (it forwards the certificate as RFC 9440 Client-Cert).
 */
export function apacheLogConfig(o: { logFile: string }): string {
  return `SetEnvIf Authorization "^([A-Za-z0-9_-]+) " HOLDFAST_AUTHZ_SCHEME=$1
SetEnvIf DPoP "." HOLDFAST_HAS_DPOP=1
SetEnvIf Authorization "^[A-Za-z]+ +[A-Za-z0-9_-]+\\.([A-Za-z0-9_-]+)\\." HOLDFAST_TOKEN_CLAIMS=$1
RequestHeader setifempty X-Request-ID "%{UNIQUE_ID}e"
LogFormat "%{%Y-%m-%dT%H:%M:%S}t%{%z}t %a \\"%r\\" %>s %{UNIQUE_ID}e \\"%{X-Request-ID}i\\" \\"%{SSL_CLIENT_VERIFY}x\\" \\"%{SSL_CLIENT_S_DN}x\\" \\"%{SSL_CLIENT_I_DN}x\\" %{SSL_CLIENT_M_SERIAL}x \\"%{SSL_CLIENT_V_START}x\\" \\"%{SSL_CLIENT_V_END}x\\" %{HOLDFAST_AUTHZ_SCHEME}e %{HOLDFAST_HAS_DPOP}e %{HOLDFAST_TOKEN_CLAIMS}e \\"%{SSL_CLIENT_CERT}x\\"" holdfast
CustomLog ${o.logFile} holdfast`;
}


/**
 * An Apache 2.4 virtual host (mod_ssl, mod_headers, mod_setenvif, mod_unique_id, mod_proxy_http)
 * that terminates mTLS in front of `upstream`, logs apacheLogConfig's evidence, and forwards the
 * client certificate as RFC 9440 Client-Cert. `SSLVerifyClient optional`, not `optional_no_ca`:
 * the handshake verifies the chain and the CRL, so no certificate the edge did not verify can reach
 * the backend (expired and revoked ones abort the handshake: error.log, format apache-error); the
 * header is also set only when SSL_CLIENT_VERIFY is SUCCESS. mod_headers turns the PEM's newlines
 * into spaces (checked on the real 2.4): the two edits remove the spaces and the armour, leaving
 * `:base64-DER:`. Every certificate header a client sent is removed before the edge sets its own,
 * and so are its forwarding headers (FORWARD_ORIGIN.apache). X-Request-ID: the client's, or
 * mod_unique_id's (apacheLogConfig), sent on so the backend's line joins this one.
 */
export function apacheEdge(o: { address: string; serverName: string; certFile: string; keyFile: string; caFile: string; crlFile: string; logFile: string; upstream: string }): string {
  return `<VirtualHost ${o.address}>
  ServerName ${o.serverName}
  SSLEngine on
  SSLCertificateFile ${o.certFile}
  SSLCertificateKeyFile ${o.keyFile}
  SSLCACertificateFile ${o.caFile}
  SSLCARevocationFile ${o.crlFile}
  SSLCARevocationCheck chain
  SSLVerifyClient optional
${apacheLogConfig({ logFile: o.logFile }).replace(/^/gm, '  ')}
${CLIENT_CERT_HEADERS.map((h) => `  RequestHeader unset ${h} early`).join('\n')}
${FORWARD_ORIGIN.apache}
  RequestHeader set Client-Cert "%{SSL_CLIENT_CERT}s" "expr=%{SSL_CLIENT_VERIFY} == 'SUCCESS'"
  RequestHeader edit* Client-Cert " " ""
  RequestHeader edit Client-Cert "^-----BEGINCERTIFICATE-----([A-Za-z0-9+/=]+)-----ENDCERTIFICATE-----$" ":$1:"
  ProxyPass / http://${o.upstream}/
</VirtualHost>
`;
}
