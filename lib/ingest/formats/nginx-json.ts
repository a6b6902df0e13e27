// NGINX access log written with `log_format … escape=json` (see NGINX_JSON_LOG_FORMAT).
import { buildCert } from '../cert.ts';
import { SKIP, type LineParser, type ParseContext, type ParseResult } from '../types.ts';
import {
  authFacts, dpopProofOf, flag, guard, httpStatus, identityFrom, isEmptyLine, jsonObject, newEvent, pickInt, pickStr,
  requireTime, verdictFromCertVerify, type Json,
} from '../util.ts';

/**
 * The log format Holdfast documents for NGINX (with NGINX_AUTH_MAPS in the http block). Logging
 * `$http_dpop` lets Holdfast verify proofs; drop it if proofs must not reach the log file. Key aliases accepted besides these: `time_iso8601`,
 * `timestamp`, `@timestamp`, `time_local`, `msec`; `request_method`; `request_uri`, `request`;
 * `client_ip`; `http_authorization` (hashed, then dropped); `token_fingerprint` / `token_sha256`.
 */
/** Two maps both NGINX formats use: the Authorization scheme only, and DPoP presence (never the values). */
export const NGINX_AUTH_MAPS = `map $http_authorization $authz_scheme { "~^(?<s>[A-Za-z0-9_-]+)\\s" $s; default ""; }
map $http_dpop $has_dpop { "" 0; default 1; }`;

export const NGINX_JSON_LOG_FORMAT = `log_format holdfast_json escape=json '{"time":"$time_iso8601","request_id":"$request_id",'
  '"remote_addr":"$remote_addr","method":"$request_method","scheme":"$scheme","host":"$host",'
  '"uri":"$request_uri","status":$status,"ssl_client_verify":"$ssl_client_verify",'
  '"ssl_client_s_dn":"$ssl_client_s_dn","ssl_client_i_dn":"$ssl_client_i_dn",'
  '"ssl_client_serial":"$ssl_client_serial","ssl_client_fingerprint":"$ssl_client_fingerprint",'
  '"ssl_client_v_start":"$ssl_client_v_start","ssl_client_v_end":"$ssl_client_v_end",'
  '"ssl_client_escaped_cert":"$ssl_client_escaped_cert","authz_scheme":"$authz_scheme",'
  '"has_dpop":"$has_dpop","http_dpop":"$http_dpop"}';`;

export function nginxJsonEvent(o: Json, text: string, ctx: ParseContext): ParseResult {
  const ev = newEvent('nginx-json', requireTime(o.time ?? o.time_iso8601 ?? o.timestamp ?? o['@timestamp'] ?? o.time_local ?? o.msec, 'time'), text, o);
  const request = pickStr(o, 'request');
  const reqParts = request ? /^(\S+)\s+(\S+)/.exec(request) : null;
  ev.requestId = pickStr(o, 'request_id');
  ev.method = pickStr(o, 'method', 'request_method') ?? reqParts?.[1] ?? null;
  const path = pickStr(o, 'uri', 'request_uri', 'path') ?? reqParts?.[2] ?? null;
  const scheme = pickStr(o, 'scheme');
  const host = pickStr(o, 'host', 'http_host', 'server_name');
  ev.url = path && scheme && host && path.startsWith('/') ? `${scheme}://${host}${path}` : path;
  ev.gateway = ctx.gateway ?? host;
  ev.clientIp = pickStr(o, 'remote_addr', 'client_ip');
  ev.httpStatus = httpStatus(pickInt(o, 'status'));

  const auth = authFacts(pickStr(o, 'http_authorization') ?? pickStr(o, 'authz_scheme', 'auth_scheme'));
  ev.authScheme = auth.authScheme;
  ev.tokenClaims = auth.tokenClaims;
  ev.tokenFingerprint = auth.tokenFingerprint ?? pickStr(o, 'token_fingerprint', 'token_sha256');
  const dpop = pickStr(o, 'http_dpop');
  ev.dpopProof = dpopProofOf(dpop);
  ev.hasDpop = flag(o.has_dpop) || dpop !== null;

  const verify = pickStr(o, 'ssl_client_verify');
  const { cert, facts } = buildCert(ctx.state, {
    verify,
    subjectDn: pickStr(o, 'ssl_client_s_dn'),
    issuerDn: pickStr(o, 'ssl_client_i_dn'),
    serial: pickStr(o, 'ssl_client_serial'),
    sha1Hex: pickStr(o, 'ssl_client_fingerprint'),
    notBefore: pickStr(o, 'ssl_client_v_start'),
    notAfter: pickStr(o, 'ssl_client_v_end'),
    pem: pickStr(o, 'ssl_client_escaped_cert', 'ssl_client_cert'),
  });
  ev.cert = cert;
  ev.sourceVerdict = verdictFromCertVerify(verify);
  ev.failureDetail = ev.sourceVerdict ? verify : null;
  ev.identityHint = identityFrom(ev.tokenClaims, facts?.uriSan ?? null, cert?.subjectDn ?? null);
  return { kind: 'event', event: ev };
}

export const nginxJsonParser: LineParser = {
  format: 'nginx-json',
  parseLine(text, ctx) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => nginxJsonEvent(jsonObject(text), text, ctx));
  },
};
