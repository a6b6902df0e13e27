// Copy-paste configuration for sending gateway and AS logs to Holdfast. The NGINX and Envoy
// formats are the exact strings lib/ingest exports; the recommended gateway configurations are
// the builders of lib/ingest/gateway-configs.ts called with the example paths below, which the
// real-gateway tests call with theirs (gateway-configs-real.test.ts, chains-real.test.ts).
import { ENVOY_JSON_FORMAT, NGINX_AUTH_MAPS, NGINX_JSON_LOG_FORMAT } from '@/lib/ingest/index.ts';
import {
  apacheEdge, apacheLogConfig, caddySite, haproxyFrontend, NGINX_BACKEND_BINDING_CHECK, NGINX_BACKEND_NJS_LOG_FORMAT, NGINX_FORWARD_CLIENT_CERT, NGINX_NJS_LOAD_MODULE,
  NGINX_NJS_MODULE, nginxNjsHttpConfig,
} from '@/lib/ingest/gateway-configs.ts';

/** The paths the page's snippets show; tests put their temporary paths in the same places. */
export const EXAMPLE = {
  njsPath: '/etc/nginx/njs/holdfast.js',
  nginxLog: '/var/log/nginx/holdfast.json',
  haproxy: { bind: ':443', crtFile: '/etc/haproxy/certs/api.pem', caFile: '/etc/haproxy/clients-ca.pem', crlFile: '/etc/haproxy/clients-ca.crl', logTarget: 'stdout', backend: 'app' },
  apacheLog: '${APACHE_LOG_DIR}/holdfast.log',
  apacheEdge: {
    address: '*:443', serverName: 'api.example.com', certFile: '/etc/apache2/tls/api.crt', keyFile: '/etc/apache2/tls/api.key',
    caFile: '/etc/apache2/tls/clients-ca.pem', crlFile: '/etc/apache2/tls/clients-ca.crl', logFile: '${APACHE_LOG_DIR}/holdfast.log', upstream: '127.0.0.1:8080',
  },
  caddy: { address: 'api.example.com', certFile: '/etc/caddy/api.crt', keyFile: '/etc/caddy/api.key', caFile: '/etc/caddy/clients-ca.pem', logFile: '/var/log/caddy/holdfast.json', upstream: '127.0.0.1:8080' },
} as const;

export interface Snippet {
  id: string;
  title: string;
  intro: string;
  blocks: Array<{ label: string; code: string }>;
}

export function ingestSnippets(base: string): Snippet[] {
  const endpoint = (format: string, source: string) => `${base}/api/v1/ingest?format=${format}&source=${source}`;
  return [
    {
      id: 'nginx',
      title: 'NGINX',
      intro:
        'Log the client certificate facts and the Authorization scheme as JSON (http block), then ship the file: hourly with cron and the CLI, or continuously with Fluent Bit or Vector. Logging $http_dpop lets Holdfast verify proofs; the proof is verified and dropped, never stored. This format names no token: a request is judged on its certificate and scheme, and a token\'s binding only where Holdfast can tell the token (the njs format below logs its SHA-256 and cnf without the token).',
      blocks: [
        { label: 'nginx.conf (http block)', code: `${NGINX_AUTH_MAPS}\n${NGINX_JSON_LOG_FORMAT}\n\n# in the server block that terminates mTLS:\naccess_log /var/log/nginx/holdfast.json holdfast_json;` },
        {
          label: 'cron: rotate and send with the CLI',
          code: `# /etc/cron.hourly/holdfast-ingest\nmv /var/log/nginx/holdfast.json /var/log/nginx/holdfast.json.1 && nginx -s reopen && sleep 5\nHOLDFAST_API_KEY=hf_… npx holdfast ingest /var/log/nginx/holdfast.json.1 --format nginx-json --source nginx-edge --server ${base}`,
        },
        {
          label: 'Fluent Bit (tail → http)',
          code: `[INPUT]\n    Name  tail\n    Path  /var/log/nginx/holdfast.json\n    Tag   holdfast\n\n[OUTPUT]\n    Name    http\n    Match   holdfast\n    Host    ${new URL(base).hostname}\n    Port    ${new URL(base).port || (base.startsWith('https') ? 443 : 80)}\n    URI     /api/v1/ingest?format=nginx-json&source=nginx-edge\n    Format  json_lines\n    Header  Authorization Bearer hf_…\n    tls     ${base.startsWith('https') ? 'On' : 'Off'}`,
        },
        {
          label: 'Vector (file → http)',
          code: `[sources.nginx]\ntype = "file"\ninclude = ["/var/log/nginx/holdfast.json"]\n\n[sinks.holdfast]\ntype = "http"\ninputs = ["nginx"]\nuri = "${endpoint('nginx-json', 'nginx-edge')}"\nencoding.codec = "text"\nframing.method = "newline_delimited"\nrequest.headers.Authorization = "Bearer hf_…"\nrequest.headers.Content-Type = "application/x-ndjson"`,
        },
      ],
    },
    {
      id: 'nginx-njs',
      title: 'NGINX with njs (recommended: evidence, never the token)',
      intro:
        "With Debian's libnginx-mod-http-js, NGINX computes the evidence itself: the token's SHA-256 (Holdfast's token fingerprint), the JWT's client_id, sub, exp and cnf thumbprints, and the client certificate's x5t#S256. The log holds no Authorization value and no DPoP proof, so requests with DPoP-bound tokens are kept unjudged (reason proof_not_logged); to have Holdfast verify the proofs, add \"http_dpop\":\"$http_dpop\" to the format (each proof is verified and dropped, and is useless past its minutes-long window, its method, URL and token). Read it with format nginx-json.",
      blocks: [
        { label: `${EXAMPLE.njsPath}`, code: NGINX_NJS_MODULE },
        { label: 'nginx.conf (main context; Debian enables it in modules-enabled already)', code: NGINX_NJS_LOAD_MODULE },
        { label: 'nginx.conf (http block)', code: nginxNjsHttpConfig({ njsPath: EXAMPLE.njsPath }) },
        { label: 'in the server block that terminates mTLS', code: `ssl_verify_client optional;\naccess_log ${EXAMPLE.nginxLog} holdfast_njs_json;` },
        { label: 'send', code: `HOLDFAST_API_KEY=hf_… npx holdfast ingest ${EXAMPLE.nginxLog} --format nginx-json --source nginx-edge --server ${base}` },
      ],
    },
    {
      id: 'forwarding',
      title: 'Behind a proxy: forward the client certificate (RFC 9440)',
      intro:
        "Where TLS ends at an edge and the token is checked behind it, the edge must send the client's certificate in Client-Cert, set from the TLS session, and remove every certificate header the client sent (Client-Cert, X-SSL-Client-Cert, X-Client-Cert, X-Forwarded-Client-Cert and the rest a backend might believe): an edge that passes one through lets anyone claim any certificate. The recommended edges below and on this page do both; the recommended backend logs and checks only Client-Cert. Log X-Request-ID at both hops: Holdfast joins the edge's line and the backend's and flags a certificate stripped on the way (binding_context_stripped) or replaced (spoofed_client_cert), naming the hop. A client that reaches the backend directly can send Client-Cert itself: set the backend source's trusted proxies to the edge's addresses (Sources page, or --trusted-proxies) and a request that brings the header from any other peer reads spoofed_client_cert; the backend format logs the TCP peer ($realip_remote_addr) for that.",
      blocks: [
        { label: 'NGINX edge: each proxied location (with the njs http block above)', code: NGINX_FORWARD_CLIENT_CERT },
        { label: 'NGINX backend: log what arrived and the token\'s facts (http block, with the njs http block above)', code: `${NGINX_BACKEND_NJS_LOG_FORMAT}\n\n# in the server block:\naccess_log /var/log/nginx/holdfast-backend.json holdfast_backend_json;` },
        { label: 'NGINX backend: refuse a certificate-bound token whose certificate is not the forwarded one (with the njs http block)', code: NGINX_BACKEND_BINDING_CHECK },
        { label: 'send, believing Client-Cert only from the edge (its addresses; setting them needs an admin key, later sends only the source key)', code: `HOLDFAST_API_KEY=hf_… npx holdfast ingest /var/log/nginx/holdfast-backend.json --format nginx-json --source nginx-backend --trusted-proxies 10.0.0.0/24 --server ${base}` },
      ],
    },
    {
      id: 'haproxy',
      title: 'HAProxy',
      intro:
        "HAProxy 2.6 computes x5t#S256 and the token's SHA-256 with its own converters (sha2(256),ub64enc) and reads the JWT claims with jwt_payload_query; the token stays in a transaction variable and is never logged. Failed certificates are let through the handshake so that they are logged, then refused with 403. For DPoP it logs how many DPoP headers came and the token's cnf.jkt, not the proof: a DPoP-bound token sent without a proof or with the Bearer scheme is caught, but a request that carried a proof is kept unjudged (reason proof_not_logged) — a replayed proof, one signed by a key other than the token's (a stolen token), alg none or a wrong method, URL or iat cannot be seen. To have Holdfast verify the proofs, add the line http-request capture req.hdr(DPoP) len 4096 after the X-Request-ID capture, and dpop=%{+Q}[capture.req.hdr(1)] at the end of the log-format string: each proof is verified and dropped, never stored by Holdfast, and is useless past its minutes-long window, its method, URL and token (the log file itself holds it until then). HAProxy logs no scheme, so a proof's htu is compared on its path. Read the log with format haproxy and this file as --gateway-config.",
      blocks: [
        { label: 'haproxy.cfg', code: haproxyFrontend(EXAMPLE.haproxy) },
        { label: 'send (logs on stdout: the journal or the container log)', code: `journalctl -u haproxy -o cat --since -1h > holdfast.log\nHOLDFAST_API_KEY=hf_… npx holdfast ingest holdfast.log --format haproxy --gateway-config /etc/haproxy/haproxy.cfg --log-format holdfast_edge --source haproxy-edge --server ${base}` },
      ],
    },
    {
      id: 'apache',
      title: 'Apache httpd (mod_ssl)',
      intro:
        "Apache logs the client certificate itself (Holdfast computes x5t#S256 from it), its verify result, DNs, serial and validity, the Authorization scheme and DPoP presence — never the values. Without the DPoP proof, a DPoP-bound token sent without a proof or with the Bearer scheme is caught, but a request that carried a proof is kept unjudged (reason proof_not_logged): a replayed proof, one signed by a key other than the token's (a stolen token), alg none or a wrong method, URL or iat cannot be seen. To have Holdfast verify the proofs, add %{HTTPS}x \\\"%{Host}i\\\" \\\"%{DPoP}i\\\" inside the LogFormat's quotes, after \\\"%{SSL_CLIENT_CERT}x\\\" (the scheme and host let Holdfast compare a proof's whole htu): each proof is verified and dropped, never stored by Holdfast, and is useless past its minutes-long window, its method, URL and token (the log file itself holds it until then). It cannot hash a token (its expressions have no SHA-256); SetEnvIf cuts out a JWT's payload instead — the claims without the header and signature, so not a usable token — and Holdfast judges the binding from its cnf, expiry and client. Without a fingerprint the requests join no token record, and an opaque token gets certificate verdicts only. SSLVerifyClient optional aborts handshakes with expired and revoked certificates; those appear only in error.log: send it too, with format apache-error. As the edge in front of a backend, the virtual host below removes every certificate and forwarding header the client sent (RequestHeader unset … early: mod_proxy would append to a client's X-Forwarded-Host), sends the verified certificate as Client-Cert :base64-DER: (mod_headers turns the PEM's newlines into spaces; two edits strip them and the armour) and X-Request-ID, so Holdfast joins its line with the backend's (Behind a proxy, above).",
      blocks: [
        { label: 'in the mTLS virtual host (mod_ssl, mod_headers, mod_setenvif, mod_unique_id enabled)', code: `SSLVerifyClient optional\n${apacheLogConfig({ logFile: EXAMPLE.apacheLog })}` },
        {
          label: 'as the mTLS edge in front of a backend: the whole virtual host (mod_proxy_http too; it forwards the certificate in Client-Cert, RFC 9440)',
          code: apacheEdge(EXAMPLE.apacheEdge),
        },
        { label: 'send', code: `HOLDFAST_API_KEY=hf_… npx holdfast ingest /var/log/apache2/holdfast.log --format apache --gateway-config /etc/apache2/sites-enabled/api.conf --log-format holdfast --source apache-edge --server ${base}\nHOLDFAST_API_KEY=hf_… npx holdfast ingest /var/log/apache2/error.log --format apache-error --source apache-edge --server ${base}` },
      ],
    },
    {
      id: 'caddy',
      title: 'Caddy',
      intro:
        "Caddy logs the client certificate's CN and serial and redacts Authorization by itself. The site below adds what Caddy cannot log: the certificate's SHA-256 (echoed in a response header, so the access log carries it) and a request id, and forwards the certificate to the backend in Client-Cert, set from the TLS session. Caddy checks no revocation list: a revoked certificate is accepted, so revoke the token at the authorization server too. With Authorization redacted, Caddy's log names no token: its requests are judged on the certificate, and a token's binding where a backend logs the token's facts (Behind a proxy, above). Read with format caddy.",
      blocks: [
        { label: 'Caddyfile', code: caddySite(EXAMPLE.caddy) },
        { label: 'send', code: `HOLDFAST_API_KEY=hf_… npx holdfast ingest ${EXAMPLE.caddy.logFile} --format caddy --source caddy-edge --server ${base}` },
      ],
    },
    {
      id: 'envoy',
      title: 'Envoy / Istio',
      intro: 'A JSON access log with the downstream peer certificate, the Authorization scheme (first 6 characters only) and the DPoP header; ship the file the same way as NGINX with format envoy-json.',
      blocks: [
        {
          label: 'access_log (HTTP connection manager)',
          code: `access_log:\n- name: envoy.access_loggers.file\n  typed_config:\n    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog\n    path: /var/log/envoy/holdfast.json\n    log_format:\n      json_format:\n${Object.entries(ENVOY_JSON_FORMAT)
            .map(([k, v]) => `        ${k}: "${v}"`)
            .join('\n')}`,
        },
        { label: 'send', code: `HOLDFAST_API_KEY=hf_… npx holdfast ingest /var/log/envoy/holdfast.json --format envoy-json --source envoy-mesh --server ${base}` },
      ],
    },
    {
      id: 'kong',
      title: 'Kong',
      intro: 'The http-log plugin posts one JSON record per request; Holdfast reads it with format kong. Kong redacts Authorization, so bindings come from tokens Holdfast already knows (introspection or inventory).',
      blocks: [
        {
          label: 'kong.yaml (decK)',
          code: `plugins:\n- name: http-log\n  config:\n    http_endpoint: ${endpoint('kong', 'kong-gateway')}\n    method: POST\n    content_type: application/json\n    headers:\n      Authorization: Bearer hf_…\n    queue:\n      max_batch_size: 1`,
        },
      ],
    },
    {
      id: 'keycloak',
      title: 'Keycloak',
      intro: 'Log events (invalid_dpop_proof, mTLS not_allowed) at debug level to a file and ship it with format keycloak-events.',
      blocks: [
        {
          label: 'keycloak.conf',
          code: `spi-events-listener-jboss-logging-success-level=debug\nspi-events-listener-jboss-logging-error-level=warn\nlog=console,file\nlog-file=/var/log/keycloak/keycloak.log\nlog-level=INFO,org.keycloak.events:DEBUG`,
        },
        { label: 'send', code: `HOLDFAST_API_KEY=hf_… npx holdfast ingest /var/log/keycloak/keycloak.log --format keycloak-events --source keycloak --server ${base}` },
      ],
    },
    {
      id: 'curl',
      title: 'Any file, by HTTP',
      intro: 'Any supported format can be posted as a streamed body (gzip too). The answer is the batch summary.',
      blocks: [
        {
          label: 'curl',
          code: `curl -sS -H "Authorization: Bearer hf_…" -H "Content-Type: application/x-ndjson" \\\n  --data-binary @access.json.gz -H "Content-Encoding: gzip" \\\n  "${endpoint('nginx-json', 'nginx-edge')}"`,
        },
      ],
    },
  ];
}
