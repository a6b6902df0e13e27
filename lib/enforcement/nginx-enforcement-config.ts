// NGINX configuration that refuses tokens without their sender constraint (RFC 8705 / RFC 9449)
// and logs every request — passed, refused, or (report-only) would-refuse — in the format
// Holdfast's nginx-json parser reads, without the token or the proof.
import { NGINX_FORWARD_CLIENT_CERT, NGINX_NJS_LOAD_MODULE, NGINX_NJS_MODULE, nginxNjsHttpConfig } from '../ingest/gateway-configs.ts';
import { enforcementChecks, enforcementNotChecked } from './checks.ts';
import { NGINX_ENFORCE_MODULE_FILE, NGINX_ENFORCE_NJS_MODULE } from './nginx-njs-module.ts';
import type { NginxEnforcementConfig, NginxEnforcementOptions } from './types.ts';
import { checkFilePath, checkListen, resolvePolicy, type ResolvedPolicy } from './validate-options.ts';

/** The log format the generated server writes: the recommended one plus the enforcement outcome. */
export const NGINX_ENFORCE_LOG_FORMAT_NAME = 'holdfast_enforce_json';

/** Example TLS paths, used when the caller gives none (the text a user adapts). */
const EXAMPLE_TLS = {
  certificate: '/etc/nginx/tls/server.crt',
  certificateKey: '/etc/nginx/tls/server.key',
  clientCa: '/etc/nginx/tls/client-ca.crt',
  crl: null,
};

/**
 * The recommended njs log format with three fields added: `enforcement` (passed | refused |
 * would_refuse, empty outside the scope), `enforcement_reason` (the RefusalReason) and
 * `enforcement_mode`. Derived from the recommended format rather than copied, so both keep the
 * same evidence fields; throws if that format's shape changed and the fields cannot be added.
 */
export function enforcementLogFormat(recommendedHttp: string, mode: string): string {
  const m = /log_format holdfast_njs_json (escape=json [\s\S]*?)\}';/.exec(recommendedHttp);
  if (!m) throw new Error('the recommended NGINX log format (holdfast_njs_json) was not found: update enforcementLogFormat');
  return `log_format ${NGINX_ENFORCE_LOG_FORMAT_NAME} ${m[1]},'
  '"enforcement":"$holdfast_enforcement","enforcement_reason":"$holdfast_enforcement_reason","enforcement_mode":"${mode}"}';`;
}

function tlsLines(o: NginxEnforcementOptions, p: ResolvedPolicy): string {
  const tls = o.tls ?? { ...EXAMPLE_TLS, clientCa: p.require === 'dpop' ? null : EXAMPLE_TLS.clientCa };
  const lines = [`ssl_certificate ${tls.certificate};`, `ssl_certificate_key ${tls.certificateKey};`];
  if (tls.clientCa) {
    lines.push(`ssl_client_certificate ${tls.clientCa};`);
    if (tls.crl) lines.push(`ssl_crl ${tls.crl};`);
    // optional, not on: a request without a certificate must reach the check to be refused
    // with a 401 and a log line, not fail the handshake unseen.
    lines.push('ssl_verify_client optional;');
  }
  return lines.map((l) => `  ${l}`).join('\n');
}

function serverBlock(o: NginxEnforcementOptions, p: ResolvedPolicy, listen: string): string {
  return `server {
  listen ${listen} ssl;
  server_name ${p.serverName};
${tlsLines(o, p)}
  access_log ${o.logPath} ${NGINX_ENFORCE_LOG_FORMAT_NAME};

  location ${p.locationPrefix} {
    # The check runs before the request is proxied; 2xx lets it through, 401 refuses it.
    auth_request /_holdfast_enforce;
    auth_request_set $holdfast_enforcement $sent_http_x_holdfast_enforcement;
    auth_request_set $holdfast_enforcement_reason $sent_http_x_holdfast_reason;
    auth_request_set $holdfast_challenge $sent_http_x_holdfast_challenge;
    # Set only on a refusal (RFC 6750 §3 / RFC 9449 §7.1); an empty value adds no header.
    add_header WWW-Authenticate $holdfast_challenge always;
${NGINX_FORWARD_CLIENT_CERT.split('\n').map((l) => `    ${l}`).join('\n')}
    proxy_pass ${o.upstream};
  }

  location = /_holdfast_enforce {
    internal;
    set $holdfast_require ${p.require};
    set $holdfast_mode ${p.mode};
    set $holdfast_max_ttl ${p.maxTtlSeconds ?? 0};
    set $holdfast_dpop_max_age ${p.dpopMaxAgeSeconds};
    js_content holdfast_enforce.check;
  }
}`;
}

function annotatedText(c: Omit<NginxEnforcementConfig, 'text'>): string {
  const say = (lines: string[]) => lines.map((l) => `#   - ${l}`).join('\n');
  const head = `# Holdfast enforcement for NGINX (njs, Debian libnginx-mod-http-js): require ${c.require}, mode ${c.mode}.
# Refuses with 401 and WWW-Authenticate; logs every request in scope for Holdfast (format nginx-json),
# never the token or the proof.
# Checks:
${say(c.checks.map((k) => `${k.reason}: ${k.description}`))}
# Does not check:
${say(c.notChecked)}`;
  const files = c.files.map((f) => `# ==== file ${f.path} ====\n${f.content}`).join('\n');
  return `${head}

# ==== main context (top of nginx.conf) ====
${c.main}

# ==== http block ====
${c.http}

${files}`;
}

/**
 * NGINX configuration (main, http block, njs modules) that enforces `require` on the scope and
 * logs each request with `enforcement`, `enforcement_reason` and the evidence fields of the
 * recommended format. Throws HoldfastError `validation_failed` for an option that cannot go into
 * configuration text.
 */
export function nginxEnforcementConfig(o: NginxEnforcementOptions): NginxEnforcementConfig {
  const p = resolvePolicy(o);
  const njsDir = (o.njsDir ?? '/etc/nginx/njs').replace(/\/+$/, '');
  checkFilePath('njsDir', njsDir);
  const listen = o.listen ?? '443';
  checkListen('listen', listen);
  const recommended = nginxNjsHttpConfig({ njsPath: `${njsDir}/holdfast.js` });
  const enforcement = `js_path ${njsDir};
js_import holdfast_enforce from ${njsDir}/${NGINX_ENFORCE_MODULE_FILE};
${enforcementLogFormat(recommended, p.mode)}`;
  const server = serverBlock(o, p, listen);
  const config: Omit<NginxEnforcementConfig, 'text'> = {
    gateway: 'nginx',
    require: p.require,
    mode: p.mode,
    main: NGINX_NJS_LOAD_MODULE,
    http: `${recommended}\n${enforcement}\n${server}`,
    parts: { recommended, enforcement, server },
    files: [
      { path: `${njsDir}/holdfast.js`, content: NGINX_NJS_MODULE },
      { path: `${njsDir}/${NGINX_ENFORCE_MODULE_FILE}`, content: NGINX_ENFORCE_NJS_MODULE },
    ],
    checks: enforcementChecks('nginx', p.require, p.maxTtlSeconds),
    notChecked: enforcementNotChecked('nginx', p.require),
  };
  return { ...config, text: annotatedText(config) };
}
