// The Ingest page shows the recommended gateway configurations exactly as the real-gateway tests
// run them (lib/ingest/gateway-configs-real.test.ts, lib/hops/chains-real.test.ts), and none of
// them logs a raw token, proof or Authorization value.
import { describe, expect, it } from 'vitest';
import { FORWARDED_CERT_HEADERS } from '@/lib/ingest/forwarded-cert.ts';
import { compileGatewayLogFormat } from '@/lib/ingest/index.ts';
import {
  apacheEdge, apacheLogConfig, caddySite, haproxyFrontend, NGINX_BACKEND_BINDING_CHECK, NGINX_BACKEND_NJS_LOG_FORMAT, NGINX_FORWARD_CLIENT_CERT, NGINX_NJS_MODULE, nginxNjsHttpConfig,
} from '@/lib/ingest/gateway-configs.ts';
import { EXAMPLE, ingestSnippets } from './snippets.ts';

const snippets = ingestSnippets('https://holdfast.example.com');
const block = (id: string, label: RegExp) => {
  const s = snippets.find((x) => x.id === id);
  const b = s?.blocks.find((x) => label.test(x.label));
  if (!b) throw new Error(`no block ${label} in snippet ${id}`);
  return b.code;
};

describe('Ingest page: recommended configurations', () => {
  it.each([
    ['nginx-njs', /holdfast\.js$/, NGINX_NJS_MODULE],
    ['nginx-njs', /http block/, nginxNjsHttpConfig({ njsPath: EXAMPLE.njsPath })],
    ['forwarding', /NGINX edge/, NGINX_FORWARD_CLIENT_CERT],
    ['forwarding', /refuse a certificate-bound token/, NGINX_BACKEND_BINDING_CHECK],
    ['haproxy', /haproxy\.cfg/, haproxyFrontend(EXAMPLE.haproxy)],
    ['caddy', /Caddyfile/, caddySite(EXAMPLE.caddy)],
    // The builder lib/hops/apache-edge-real.test.ts runs on the real apache2 as its fwd route.
    ['apache', /mTLS edge in front of a backend/, apacheEdge(EXAMPLE.apacheEdge)],
  ])('%s shows the tested configuration (%s)', (id, label, code) => {
    expect(block(id, label)).toBe(code);
  });

  it('apache shows the tested LogFormat in its virtual host block', () => {
    expect(block('apache', /virtual host/)).toContain(apacheLogConfig({ logFile: EXAMPLE.apacheLog }));
  });

  it.each([
    ['NGINX $http_authorization or $http_dpop in a log_format', /log_format[^;]*\$http_(authorization|dpop)/],
    ['Apache %{Authorization}i or %{DPoP}i', /%\{(Authorization|DPoP)\}i/i],
    ['HAProxy Authorization or DPoP header logged as is', /log-format[^\n]*(req\.hdr\((Authorization|DPoP)\)\]|capture\.req\.hdr\([^)]*\)[^\n]*Authorization)/i],
    ['Caddy log_credentials', /log_credentials/],
  ])('no recommended configuration logs a credential: %s', (_n, pattern) => {
    for (const id of ['nginx-njs', 'forwarding', 'haproxy', 'apache', 'caddy']) {
      for (const b of snippets.find((s) => s.id === id)!.blocks) expect(b.code, `${id} / ${b.label}`).not.toMatch(pattern);
    }
  });

  it('HAProxy logs the token only through a hash or a claim query, never the variable itself', () => {
    const logFormat = /log-format "([^\n]*)"/.exec(haproxyFrontend(EXAMPLE.haproxy))![1]!;
    const uses = [...logFormat.matchAll(/var\(txn\.holdfast_token\)(,[a-z_0-9]+)?/g)].map((m) => m[1] ?? '');
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^,(sha2|jwt_payload_query)/);
  });

  it.each([
    ['HAProxy', haproxyFrontend(EXAMPLE.haproxy), (h: string) => new RegExp(`^  http-request del-header ${h}$`, 'im')],
    ['NGINX', NGINX_FORWARD_CLIENT_CERT, (h: string) => new RegExp(h === 'client-cert' ? '^proxy_set_header Client-Cert \\$holdfast_client_cert;$' : `^proxy_set_header ${h} "";$`, 'im')],
    ['Caddy', caddySite(EXAMPLE.caddy), (h: string) => new RegExp(`^ +request_header -${h}$`, 'im')],
    ['Apache', apacheEdge(EXAMPLE.apacheEdge), (h: string) => new RegExp(`^ +RequestHeader unset ${h} early$`, 'im')],
  ])('the %s edge removes every client-certificate header a backend might believe before it sets Client-Cert', (_n, code, removal) => {
    for (const h of FORWARDED_CERT_HEADERS) expect(code, h).toMatch(removal(h));
  });

  it('the recommended NGINX backend logs only the headers the edges set (Client-Cert, the forwarding headers), and the token facts', () => {
    const headers = [...NGINX_BACKEND_NJS_LOG_FORMAT.matchAll(/"http_([a-z_]+)":/g)].map((m) => m[1]);
    // Forwarded: the recommended edges remove a client's own; an owner's edge may set it (RFC 7239).
    expect(headers.sort()).toEqual(['client_cert', 'forwarded', 'x_forwarded_for', 'x_forwarded_host', 'x_forwarded_port', 'x_forwarded_proto']);
    expect(NGINX_BACKEND_NJS_LOG_FORMAT).toContain('"token_sha256":"$holdfast_token_sha256"');
  });

  it('the HAProxy and Apache intros say their formats do not log the DPoP proof, and the advice to add it gives a format Holdfast verifies proofs from', () => {
    const intro = (id: string) => snippets.find((x) => x.id === id)!.intro;
    const capture = 'http-request capture req.hdr(DPoP) len 4096';
    const field = 'dpop=%{+Q}[capture.req.hdr(1)]';
    expect(intro('haproxy')).toContain('proof_not_logged');
    expect(intro('haproxy')).toContain(capture);
    expect(intro('haproxy')).toContain(field);
    const cfg = haproxyFrontend(EXAMPLE.haproxy)
      .replace(/( {2}http-request capture req\.hdr\(X-Request-ID\) len 64\n)/, `$1  ${capture}\n`)
      .replace(/(log-format "[^\n]*)"/, `$1 ${field}"`);
    expect(compileGatewayLogFormat({ gateway: 'haproxy', config: `${cfg}backend app\n`, logFormat: 'holdfast_edge' }).fields).toContain('dpop');

    const apacheAdd = String.raw`%{HTTPS}x \"%{Host}i\" \"%{DPoP}i\"`;
    expect(intro('apache')).toContain('proof_not_logged');
    expect(intro('apache')).toContain(apacheAdd);
    const conf = apacheLogConfig({ logFile: EXAMPLE.apacheLog }).replace(String.raw`\"%{SSL_CLIENT_CERT}x\"" holdfast`, String.raw`\"%{SSL_CLIENT_CERT}x\" ${apacheAdd}" holdfast`);
    const compiled = compileGatewayLogFormat({ gateway: 'apache', config: conf, logFormat: 'holdfast' });
    expect(compiled.fields).toEqual(expect.arrayContaining(['dpop', 'scheme', 'host']));
    expect(compiled.warnings).toEqual([]);
  });
});
