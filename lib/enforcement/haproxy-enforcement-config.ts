// HAProxy 2.6 configuration that refuses tokens without their sender constraint, built on the
// recommended logging frontend (lib/ingest/gateway-configs.ts haproxyFrontend): its evidence
// variables and log format are kept, refusal rules are added after its certificate check, and
// the log line gains enforcement, enforcement_reason and enforcement_mode. Everything is done with
// HAProxy's own fetches and converters (jwt_payload_query, jwt_header_query, sha2, ub64enc,
// strcmp, sub, a stick table): no Lua.
import { HoldfastError } from '../errors.ts';
import { haproxyFrontend } from '../ingest/gateway-configs.ts';
import { enforcementChecks, enforcementNotChecked } from './checks.ts';
import { NGINX_DPOP_ALGS } from './nginx-njs-module.ts';
import type { HaproxyEnforcementConfig, HaproxyEnforcementOptions } from './types.ts';
import { checkFilePath, checkListen, checkLogTarget, resolvePolicy, type ResolvedPolicy } from './validate-options.ts';

const EXAMPLE = { crtFile: '/etc/haproxy/tls/server.pem', caFile: '/etc/haproxy/tls/client-ca.crt' };
const ALGS = NGINX_DPOP_ALGS.join(' ');
const DPOP_CHALLENGE = (error: string) => `DPoP ${error ? `error=\\"${error}\\", ` : ''}algs=\\"${ALGS}\\"`;
const BEARER_INVALID = 'Bearer error=\\"invalid_token\\"';

/** One refusal: the reason logged when `cond` (HAProxy ACL terms) holds and nothing was refused before. */
function refuse(reason: string, cond: string): string {
  return `  http-request set-var(txn.holdfast_reason) str(${reason}) if hf_in !hf_decided ${cond}`;
}

function scopeRules(p: ResolvedPolicy): string {
  const host = p.serverName === '_' ? 'always_true' : `req.hdr(host),field(1,:) -i ${p.serverName}`;
  return `  acl hf_scope_host ${host}
  acl hf_scope_path path_beg ${p.locationPrefix}
  http-request set-var(txn.hf_in) bool(1) if hf_scope_host hf_scope_path
  acl hf_in var(txn.hf_in) -m bool
  acl hf_decided var(txn.holdfast_reason) -m found
  acl hf_has_token var(txn.holdfast_token) -m found
  acl hf_scheme_ok var(txn.holdfast_scheme) -i -m str bearer dpop
  acl hf_scheme_dpop var(txn.holdfast_scheme) -i -m str dpop
  acl hf_jwt var(txn.holdfast_token) -m reg ^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*$
  http-request set-var(txn.hf_cnf_x5t) var(txn.holdfast_token),jwt_payload_query('$.cnf.x5t#S256') if hf_in
  http-request set-var(txn.hf_cnf_jkt) var(txn.holdfast_token),jwt_payload_query('$.cnf.jkt') if hf_in
  acl hf_bound_mtls var(txn.hf_cnf_x5t) -m found
  acl hf_bound_dpop var(txn.hf_cnf_jkt) -m found
${refuse('no_token', '!hf_has_token')}
${refuse('no_token', '!hf_scheme_ok')}
${refuse('opaque_token', '!hf_jwt')}
${refuse('cnf_anomaly', 'hf_bound_mtls hf_bound_dpop')}`;
}

function bindingRequired(p: ResolvedPolicy): string {
  if (p.require === 'mtls') return refuse('binding_required', '!hf_bound_mtls');
  if (p.require === 'dpop') return refuse('binding_required', '!hf_bound_dpop');
  return refuse('binding_required', '!hf_bound_mtls !hf_bound_dpop');
}

// The recommended frontend has already answered 403 to a certificate that failed verification.
const MTLS_RULES = `  http-request set-var(txn.hf_cert_x5t) ssl_c_der,sha2(256),ub64enc if hf_in { ssl_c_used }
  acl hf_x5t_match var(txn.hf_cnf_x5t),strcmp(txn.hf_cert_x5t) eq 0
${refuse('no_certificate', 'hf_bound_mtls !{ ssl_c_used }')}
${refuse('x5t_mismatch', 'hf_bound_mtls !hf_x5t_match')}`;

/** Proof members read with jwt_header_query / jwt_payload_query (values as strings, iat as an integer). */
function dpopRules(p: ResolvedPolicy): string {
  const h = (v: string, path: string) => `  http-request set-var(txn.hf_${v}) req.hdr(DPoP),jwt_header_query('$.${path}') if hf_in hf_bound_dpop`;
  const c = (v: string, path: string, type = '') => `  http-request set-var(txn.hf_${v}) req.hdr(DPoP),jwt_payload_query('$.${path}'${type}) if hf_in hf_bound_dpop`;
  const jwk = (kty: string, json: string) => `  http-request set-var-fmt(txn.hf_jwk_json) "${json}" if hf_in hf_bound_dpop { var(txn.hf_k_kty) -m str ${kty} }`;
  return `${refuse('bearer_scheme_for_dpop_token', 'hf_bound_dpop !hf_scheme_dpop')}
${refuse('no_proof', 'hf_bound_dpop { req.hdr_cnt(DPoP) eq 0 }')}
${refuse('malformed', 'hf_bound_dpop { req.hdr_cnt(DPoP) gt 1 }')}
${h('p_typ', 'typ')}
${h('p_alg', 'alg')}
${h('k_kty', 'jwk.kty')}
${h('k_crv', 'jwk.crv')}
${h('k_x', 'jwk.x')}
${h('k_y', 'jwk.y')}
${h('k_n', 'jwk.n')}
${h('k_e', 'jwk.e')}
${c('p_jti', 'jti')}
${c('p_htm', 'htm')}
${c('p_htu', 'htu')}
${c('p_ath', 'ath')}
${c('p_iat', 'iat', ",'int'")}
  http-request set-var(txn.hf_method) method if hf_in hf_bound_dpop
  http-request set-var-fmt(txn.hf_req_htu) "https://%[req.hdr(host)]%[path]" if hf_in hf_bound_dpop
  http-request set-var(txn.hf_now) date if hf_in hf_bound_dpop
  http-request set-var(txn.hf_p_age) var(txn.hf_now),sub(txn.hf_p_iat) if hf_in hf_bound_dpop
  http-request set-var(txn.hf_p_ahead) var(txn.hf_p_iat),sub(txn.hf_now) if hf_in hf_bound_dpop
  http-request set-var(txn.hf_token_hash) var(txn.holdfast_token),sha2(256),ub64enc if hf_in hf_bound_dpop
${jwk('EC', '{\\"crv\\":\\"%[var(txn.hf_k_crv)]\\",\\"kty\\":\\"EC\\",\\"x\\":\\"%[var(txn.hf_k_x)]\\",\\"y\\":\\"%[var(txn.hf_k_y)]\\"}')}
${jwk('RSA', '{\\"e\\":\\"%[var(txn.hf_k_e)]\\",\\"kty\\":\\"RSA\\",\\"n\\":\\"%[var(txn.hf_k_n)]\\"}')}
${jwk('OKP', '{\\"crv\\":\\"%[var(txn.hf_k_crv)]\\",\\"kty\\":\\"OKP\\",\\"x\\":\\"%[var(txn.hf_k_x)]\\"}')}
  http-request set-var(txn.hf_proof_jkt) var(txn.hf_jwk_json),sha2(256),ub64enc if hf_in hf_bound_dpop
  acl hf_proof_complete var(txn.hf_k_kty) -m found
  acl hf_proof_complete_claims var(txn.hf_p_jti) -m found
  acl hf_htm_ok var(txn.hf_p_htm),strcmp(txn.hf_method) eq 0
  acl hf_htu_ok var(txn.hf_p_htu),strcmp(txn.hf_req_htu) eq 0
  acl hf_ath_ok var(txn.hf_p_ath),strcmp(txn.hf_token_hash) eq 0
  acl hf_jkt_ok var(txn.hf_proof_jkt),strcmp(txn.hf_cnf_jkt) eq 0
  acl hf_iat_old var(txn.hf_p_age) -m int gt ${p.dpopMaxAgeSeconds}
  acl hf_iat_ahead var(txn.hf_p_ahead) -m int gt 5
${refuse('malformed', 'hf_bound_dpop !hf_proof_complete')}
${refuse('malformed', 'hf_bound_dpop !hf_proof_complete_claims')}
${refuse('malformed', 'hf_bound_dpop !{ var(txn.hf_p_htm) -m found }')}
${refuse('malformed', 'hf_bound_dpop !{ var(txn.hf_p_htu) -m found }')}
${refuse('malformed', 'hf_bound_dpop !{ var(txn.hf_p_iat) -m found }')}
${refuse('typ', 'hf_bound_dpop !{ var(txn.hf_p_typ) -m str dpop+jwt }')}
${refuse('alg', `hf_bound_dpop !{ var(txn.hf_p_alg) -m str ${ALGS} }`)}
${refuse('private_key_in_jwk', "hf_bound_dpop { req.hdr(DPoP),jwt_header_query('$.jwk.d') -m found }")}
${refuse('private_key_in_jwk', "hf_bound_dpop { req.hdr(DPoP),jwt_header_query('$.jwk.k') -m found }")}
${refuse('htm', 'hf_bound_dpop !hf_htm_ok')}
${refuse('htu', 'hf_bound_dpop !hf_htu_ok')}
${refuse('iat', 'hf_bound_dpop hf_iat_old')}
${refuse('iat', 'hf_bound_dpop hf_iat_ahead')}
${refuse('ath', 'hf_bound_dpop !hf_ath_ok')}
${refuse('jkt_mismatch', 'hf_bound_dpop !hf_jkt_ok')}
  # jti replay: counted per proof (its jti's SHA-256) in a stick table that forgets after the proof window.
  http-request track-sc2 var(txn.hf_p_jti),sha2(256),ub64enc table holdfast_dpop_jti if hf_in hf_bound_dpop !hf_decided
  http-request sc-inc-gpc0(2) if hf_in hf_bound_dpop !hf_decided
${refuse('jti_replay', 'hf_bound_dpop { sc2_get_gpc0 gt 1 }')}`;
}

function ttlRules(p: ResolvedPolicy): string {
  if (!p.maxTtlSeconds) return '';
  return `
  http-request set-var(txn.hf_exp) var(txn.holdfast_token),jwt_payload_query('$.exp','int') if hf_in
  http-request set-var(txn.hf_iat) var(txn.holdfast_token),jwt_payload_query('$.iat','int') if hf_in
  http-request set-var(txn.hf_now) date if hf_in
  http-request set-var(txn.hf_ttl) var(txn.hf_exp),sub(txn.hf_now) if hf_in
  http-request set-var(txn.hf_ttl) var(txn.hf_exp),sub(txn.hf_iat) if hf_in { var(txn.hf_iat) -m found }
${refuse('ttl_unknown', '!{ var(txn.hf_exp) -m found }')}
${refuse('ttl_over_policy', `{ var(txn.hf_ttl) -m int gt ${p.maxTtlSeconds} }`)}`;
}

/** The challenge for the logged reason (RFC 6750 §3, RFC 8705 §3, RFC 9449 §7.1), then the outcome. */
function outcomeRules(p: ResolvedPolicy): string {
  const noToken = p.require === 'mtls' ? 'Bearer' : p.require === 'dpop' ? DPOP_CHALLENGE('') : `${DPOP_CHALLENGE('')}, Bearer`;
  const invalidNoScheme = p.require === 'dpop' ? DPOP_CHALLENGE('invalid_token') : BEARER_INVALID;
  const set = (value: string, cond: string) => `  http-request set-var-fmt(txn.holdfast_challenge) "${value}" if hf_decided ${cond}`;
  const outcome =
    p.mode === 'enforce'
      ? `  http-request set-var(txn.holdfast_enforcement) str(refused) if hf_decided
  http-request return status 401 hdr WWW-Authenticate "%[var(txn.holdfast_challenge)]" if hf_decided`
      : '  http-request set-var(txn.holdfast_enforcement) str(would_refuse) if hf_decided';
  return `  acl hf_reason_proof var(txn.holdfast_reason) -m str malformed typ alg private_key_in_jwk htm htu iat ath jti_replay
  acl hf_reason_dpop_token var(txn.holdfast_reason) -m str bearer_scheme_for_dpop_token no_proof jkt_mismatch
  acl hf_reason_no_token var(txn.holdfast_reason) -m str no_token
${set(BEARER_INVALID, '!hf_scheme_dpop')}
${set(DPOP_CHALLENGE('invalid_token'), 'hf_scheme_dpop')}
${set(invalidNoScheme, '!hf_has_token')}
${set(DPOP_CHALLENGE('invalid_token'), 'hf_reason_dpop_token')}
${set(DPOP_CHALLENGE('invalid_dpop_proof'), 'hf_reason_proof')}
${set(noToken, 'hf_reason_no_token')}
  http-request set-var(txn.holdfast_enforcement) str(passed) if hf_in !hf_decided
${outcome}`;
}

function upstreamServer(upstream: string): string {
  const m = /^(https?):\/\/([^/]+?)(\/.*)?$/.exec(upstream)!;
  if (m[3] && m[3] !== '/') throw new HoldfastError('validation_failed', 'upstream: HAProxy forwards the path unchanged; give the upstream without a path');
  const port = /:\d+$/.test(m[2]!) ? '' : m[1] === 'https' ? ':443' : ':80';
  return `  server upstream ${m[2]}${port}${m[1] === 'https' ? ' ssl verify required ca-file @system-ca' : ''}`;
}

function annotatedText(c: Omit<HaproxyEnforcementConfig, 'text'>): string {
  const say = (lines: string[]) => lines.map((l) => `#   - ${l}`).join('\n');
  return `# Holdfast enforcement for HAProxy 2.6: require ${c.require}, mode ${c.mode}.
# Refuses with 401 and WWW-Authenticate; logs every request for Holdfast (format haproxy with this
# configuration as --gateway-config), never the token or the proof.
# Checks:
${say(c.checks.map((k) => `${k.reason}: ${k.description}`))}
# Does not check:
${say(c.notChecked)}
${c.config}`;
}

/**
 * HAProxy 2.6 configuration (a frontend and its backends) that enforces `require` on the scope
 * and logs each request with enforcement, enforcement_reason and the recommended evidence fields.
 * Throws HoldfastError `validation_failed` for an option that cannot go into configuration text.
 */
export function haproxyEnforcementConfig(o: HaproxyEnforcementOptions): HaproxyEnforcementConfig {
  const p = resolvePolicy(o);
  const bind = o.bind ?? ':443';
  const [bindHost, bindPort] = bind.startsWith(':') ? ['', bind.slice(1)] : [bind.slice(0, bind.lastIndexOf(':')), bind.slice(bind.lastIndexOf(':') + 1)];
  checkListen('bind', `${bindHost ? `${bindHost}:` : ''}${bindPort}`);
  const crtFile = o.crtFile ?? o.tls?.certificate ?? EXAMPLE.crtFile;
  checkFilePath('crtFile', crtFile);
  const logTarget = o.logTarget ?? 'stdout';
  checkLogTarget('logTarget', logTarget);
  const caFile = o.tls ? o.tls.clientCa ?? null : p.require === 'dpop' ? null : EXAMPLE.caFile;
  const crlFile = o.tls?.crl ?? null;
  let frontend = haproxyFrontend({ bind, crtFile, caFile: caFile ?? '', crlFile: crlFile ?? '', logTarget, backend: 'holdfast_upstream' });
  // The recommended frontend always asks for a certificate; a DPoP-only gateway without a client CA does not.
  if (!crlFile) frontend = frontend.replace(/ crl-file \S*/, '');
  if (!caFile) frontend = frontend.replace(/ ca-file \S* verify optional crt-ignore-err all ca-ignore-err all/, '');
  const logFormat = /^ {2}log-format "(.*)"$/m;
  if (!logFormat.test(frontend)) throw new Error('the recommended HAProxy log-format was not found: update haproxyEnforcementConfig');
  const rules = [
    '  # Holdfast enforcement: each rule names the first check a request fails; later rules skip decided requests.',
    scopeRules(p),
    bindingRequired(p),
    p.require !== 'dpop' ? MTLS_RULES : '',
    p.require !== 'mtls' ? dpopRules(p) : '',
    ttlRules(p),
    outcomeRules(p),
  ].filter(Boolean).join('\n');
  frontend = frontend.replace(
    logFormat,
    (_all, fmt: string) => `${rules}\n  log-format "${fmt} enforcement=%[var(txn.holdfast_enforcement)] enforcement_reason=%[var(txn.holdfast_reason)] enforcement_mode=${p.mode}"`,
  );
  const jtiTable = p.require !== 'mtls' ? `backend holdfast_dpop_jti\n  stick-table type string len 43 size 1m expire ${p.dpopMaxAgeSeconds + 5}s store gpc0\n` : '';
  const config = `${frontend}${jtiTable}backend holdfast_upstream\n  mode http\n${upstreamServer(o.upstream)}\n`;
  const base: Omit<HaproxyEnforcementConfig, 'text'> = {
    gateway: 'haproxy',
    require: p.require,
    mode: p.mode,
    config,
    checks: enforcementChecks('haproxy', p.require, p.maxTtlSeconds),
    notChecked: enforcementNotChecked('haproxy', p.require),
  };
  return { ...base, text: annotatedText(base) };
}
