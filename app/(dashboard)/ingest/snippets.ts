// Copy-paste configuration for sending gateway and AS logs to Holdfast. The NGINX and Envoy
// formats are the exact strings lib/ingest exports (and the NGINX test runs verbatim).
import { ENVOY_JSON_FORMAT, NGINX_AUTH_MAPS, NGINX_JSON_LOG_FORMAT } from '@/lib/ingest/index.ts';

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
        'Log the client certificate facts and the Authorization scheme as JSON (http block), then ship the file: hourly with cron and the CLI, or continuously with Fluent Bit or Vector. Logging $http_dpop lets Holdfast verify proofs; the proof is verified and dropped, never stored.',
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
