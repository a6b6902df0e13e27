// A backend behind a TLS-terminating proxy, in the owner's own log format: the forwarding headers
// it logs (NGINX `$http_x_forwarded_proto`, Apache `%{X-Forwarded-Proto}i`, HAProxy captures and
// `%[req.hdr(…)]`) make the event's URL the one the client called — what a DPoP proof's htu names —
// and only from a trusted proxy where the source has any.
import { describe, expect, it } from 'vitest';
import { parseTrustedProxies, type Cidr } from '../../hops/trusted-proxies.ts';
import { caddyParser } from '../formats/caddy.ts';
import { nginxJsonParser } from '../formats/nginx-json.ts';
import { FORWARDED_ORIGIN_LABEL } from '../forwarded-origin.ts';
import { createParseContext } from '../types.ts';
import { compileGatewayLogFormat } from './compile.ts';
import type { GatewayFormat } from './compiled.ts';

const EDGE = parseTrustedProxies(['10.0.0.0/8']) as { cidrs: Cidr[] };
const ctx = (trusted: Cidr[] | null = null) => createParseContext({ trustedProxies: () => trusted });

function event(gateway: GatewayFormat, config: string, line: string, trusted: Cidr[] | null = null) {
  const r = compileGatewayLogFormat({ gateway, config }).parser.parseLine(line, ctx(trusted));
  if (r.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(r)}`);
  return r.event;
}

const NGINX = `http {
  log_format backend '$time_iso8601 $realip_remote_addr $scheme $host "$request" $status "$http_authorization" "$http_dpop" xfp="$http_x_forwarded_proto" xfh="$http_x_forwarded_host" fwd="$http_forwarded"';
  server { access_log /var/log/nginx/backend.log backend; }
}`;
const nginxLine = (peer: string, scheme: string, xfp: string, xfh: string, fwd = '-') =>
  `2026-12-08T11:00:00+00:00 ${peer} ${scheme} 10.0.0.5 "GET /api/orders?x=1 HTTP/1.1" 200 "-" "-" xfp="${xfp}" xfh="${xfh}" fwd="${fwd}"`;

const APACHE = `LogFormat "%{%Y-%m-%dT%H:%M:%S}t%{%z}t %{c}a \\"%r\\" %>s \\"%{Host}i\\" \\"%{Authorization}i\\" \\"%{DPoP}i\\" \\"%{X-Forwarded-Proto}i\\" \\"%{X-Forwarded-Host}i\\"" backend
CustomLog /var/log/apache2/backend.log backend`;

const HAPROXY = `frontend be
  mode http
  bind 10.0.0.5:8080
  capture request header X-Forwarded-Proto len 16
  capture request header X-Forwarded-Host len 64
  log-format "%ci [%trl] %HM %HU %HV %ST %{+Q}[req.hdr(host)] %{+Q}[req.hdr(authorization)] %{+Q}[req.hdr(dpop)] %hr"
  default_backend app
`;

describe('custom formats: the forwarded origin of a backend line', () => {
  it.each([
    ['NGINX $http_x_forwarded_proto/-host', 'nginx', NGINX, nginxLine('10.0.0.1', 'http', 'https', 'api.example')],
    ['NGINX $http_forwarded (RFC 7239)', 'nginx', NGINX, nginxLine('10.0.0.1', 'http', '-', '-', 'for=192.0.2.1;proto=https;host=api.example')],
    ['Apache %{X-Forwarded-Proto}i', 'apache', APACHE, `2026-12-08T11:00:00+0000 10.0.0.1 "GET /api/orders?x=1 HTTP/1.1" 200 "10.0.0.5:8080" "-" "-" "https" "api.example"`],
    ['HAProxy capture request header', 'haproxy', HAPROXY, `10.0.0.1 [08/Dec/2026:11:00:00.000 +0000] GET /api/orders?x=1 HTTP/1.1 200 "10.0.0.5:8080" "-" "-" {https|api.example}`],
  ] as const)('%s: the URL the client called', (_n, gateway, config, line) => {
    const e = event(gateway, config, line);
    expect(e.url).toBe('https://api.example/api/orders?x=1');
    expect(e.labels ?? {}).not.toHaveProperty(FORWARDED_ORIGIN_LABEL);
    // From a trusted proxy, the same.
    expect(event(gateway, config, line, EDGE.cidrs).url).toBe('https://api.example/api/orders?x=1');
  });

  it('a proxy chain: the first value is the client-facing one; a port in the host is kept', () => {
    expect(event('nginx', NGINX, nginxLine('10.0.0.1', 'http', 'https, http', 'api.example:8443, 10.0.0.9:8080')).url).toBe('https://api.example:8443/api/orders?x=1');
  });

  it('TLS ended at this hop ($scheme https): the forwarding headers are the client\'s own words, the hop\'s URL stands', () => {
    expect(event('nginx', NGINX, nginxLine('10.0.0.1', 'https', 'http', 'evil.example')).url).toBe('https://10.0.0.5/api/orders?x=1');
  });

  it('a peer outside the trusted proxies: not used, the hop\'s own URL stands and the label says why', () => {
    const e = event('nginx', NGINX, nginxLine('192.0.2.66', 'http', 'https', 'api.example'), EDGE.cidrs);
    expect(e.url).toBe('http://10.0.0.5/api/orders?x=1');
    expect(e.labels?.[FORWARDED_ORIGIN_LABEL]).toMatch(/TCP peer 192\.0\.2\.66, not one of the source's trusted proxies/);
  });

  it('trusted proxies and a format that logs no peer: not used; the compile warns', () => {
    const config = NGINX.replace('$realip_remote_addr ', '');
    const line = nginxLine('', 'http', 'https', 'api.example').replace('+00:00  ', '+00:00 ');
    const e = event('nginx', config, line, EDGE.cidrs);
    expect(e.url).toBe('http://10.0.0.5/api/orders?x=1');
    expect(e.labels?.[FORWARDED_ORIGIN_LABEL]).toMatch(/names no TCP peer/);
    expect(compileGatewayLogFormat({ gateway: 'nginx', config }).warnings.some((w) => /forwarding headers .* not the TCP peer/.test(w))).toBe(true);
  });
});

describe('nginx-json: the forwarded origin of a backend line', () => {
  const line = (peer: string) => JSON.stringify({
    time: '2026-12-08T11:00:00+00:00', scheme: 'http', host: '10.0.0.5', uri: '/api', status: 200, realip_remote_addr: peer,
    http_forwarded: '', http_x_forwarded_proto: 'https', http_x_forwarded_host: 'api.example:8443',
  });
  const parse = (text: string, trusted: Cidr[] | null) => {
    const r = nginxJsonParser.parseLine(text, ctx(trusted));
    if (r.kind !== 'event') throw new Error(JSON.stringify(r));
    return r.event;
  };
  it('from any peer without trusted proxies, from a trusted one with them', () => {
    expect(parse(line('192.0.2.66'), null).url).toBe('https://api.example:8443/api');
    expect(parse(line('10.1.2.3'), EDGE.cidrs).url).toBe('https://api.example:8443/api');
  });
  it('not from a peer outside them', () => {
    const e = parse(line('192.0.2.66'), EDGE.cidrs);
    expect(e.url).toBe('http://10.0.0.5/api');
    expect(e.labels?.[FORWARDED_ORIGIN_LABEL]).toMatch(/192\.0\.2\.66/);
  });
  it('$http_x_forwarded_port completes a host forwarded without its port', () => {
    const text = JSON.stringify({ ...JSON.parse(line('10.1.2.3')), http_x_forwarded_host: 'api.example', http_x_forwarded_port: '8443' });
    expect(parse(text, EDGE.cidrs).url).toBe('https://api.example:8443/api');
  });
  it('caddy: a logged X-Forwarded-Port completes a host forwarded without its port', () => {
    const text = JSON.stringify({
      level: 'info', ts: 1796545250.03, logger: 'http.log.access.log0', msg: 'handled request', status: 200,
      request: { remote_ip: '10.1.2.3', method: 'GET', host: '10.0.0.5:8080', uri: '/api', headers: { 'X-Forwarded-Proto': ['https'], 'X-Forwarded-Host': ['api.example'], 'X-Forwarded-Port': ['8443'] } },
    });
    const r = caddyParser.parseLine(text, ctx(EDGE.cidrs));
    if (r.kind !== 'event') throw new Error(JSON.stringify(r));
    expect(r.event.url).toBe('https://api.example:8443/api');
  });

  it.each([
    ['Apache %{X-Forwarded-Port}i', 'apache', `LogFormat "%{%Y-%m-%dT%H:%M:%S}t%{%z}t %{c}a \\"%r\\" %>s \\"%{Host}i\\" \\"%{Authorization}i\\" \\"%{X-Forwarded-Proto}i\\" \\"%{X-Forwarded-Host}i\\" \\"%{X-Forwarded-Port}i\\"" backend
CustomLog /var/log/apache2/backend.log backend`, `2026-12-08T11:00:00+0000 10.0.0.1 "GET /api/orders HTTP/1.1" 200 "10.0.0.5:8080" "-" "https" "api.example" "8443"`],
    ['HAProxy capture request header X-Forwarded-Port', 'haproxy', `frontend be
  mode http
  bind 10.0.0.5:8080
  capture request header X-Forwarded-Proto len 16
  capture request header X-Forwarded-Host len 64
  capture request header X-Forwarded-Port len 8
  log-format "%ci [%trl] %HM %HU %HV %ST %{+Q}[req.hdr(host)] %{+Q}[req.hdr(authorization)] %hr"
  default_backend app
`, `10.0.0.1 [08/Dec/2026:11:00:00.000 +0000] GET /api/orders HTTP/1.1 200 "10.0.0.5:8080" "-" {https|api.example|8443}`],
  ] as const)('%s completes a host forwarded without its port', (_n, gateway, config, line) => {
    expect(event(gateway, config, line, EDGE.cidrs).url).toBe('https://api.example:8443/api/orders');
  });
});

// Two trusted proxies in a row (an edge, then a load balancer): where the format logs X-Forwarded-For
// (NGINX `$http_x_forwarded_for`, Apache `%{X-Forwarded-For}i`) the chain is walked from the right
// (lib/hops/trusted-proxies.ts walkTrustedHops), the lists read at the value the outermost trusted
// proxy added, and the client is the first untrusted address, not the last proxy.
const EDGE_AND_LB = (parseTrustedProxies(['10.0.0.1', '10.0.0.2']) as { cidrs: Cidr[] }).cidrs;
const CHAIN_NGINX = `http {
  log_format backend '$time_iso8601 $remote_addr $scheme $host "$request" $status xff="$http_x_forwarded_for" xfp="$http_x_forwarded_proto" xfh="$http_x_forwarded_host" dpop="$http_dpop"';
  server { access_log /var/log/nginx/backend.log backend; }
}`;
const CHAIN_APACHE = `LogFormat "%{%Y-%m-%dT%H:%M:%S}t%{%z}t %{c}a %{HTTPS}x \\"%r\\" %>s \\"%{Host}i\\" \\"%{X-Forwarded-For}i\\" \\"%{X-Forwarded-Proto}i\\" \\"%{X-Forwarded-Host}i\\" \\"%{DPoP}i\\"" backend
CustomLog /var/log/apache2/backend.log backend`;

describe.each([
  ['nginx', CHAIN_NGINX, (xff: string, xfh: string) => `2026-12-08T11:00:00+00:00 10.0.0.2 http backend.internal "GET /orders HTTP/1.1" 200 xff="${xff}" xfp="https, http" xfh="${xfh}" dpop="-"`],
  ['apache', CHAIN_APACHE, (xff: string, xfh: string) => `2026-12-08T11:00:00+0000 10.0.0.2 off "GET /orders HTTP/1.1" 200 "backend.internal" "${xff}" "https, http" "${xfh}" "-"`],
] as const)('%s: an edge (10.0.0.1) and a load balancer (10.0.0.2), both trusted', (gateway, config, line) => {
  it('the edge\'s scheme and host, the client\'s address, no label', () => {
    const e = event(gateway, config, line('203.0.113.7, 10.0.0.1', 'api.example, lb.internal'), EDGE_AND_LB);
    expect([e.url, e.clientIp, e.labels?.[FORWARDED_ORIGIN_LABEL] ?? null]).toEqual(['https://api.example/orders', '203.0.113.7', null]);
  });

  it('a client\'s own X-Forwarded-Host and a spoofed trusted address on the left do not win', () => {
    const e = event(gateway, config, line('10.0.0.2, 203.0.113.7, 10.0.0.1', 'evil.test, api.example, lb.internal'), EDGE_AND_LB);
    expect([e.url, e.clientIp]).toEqual(['https://api.example/orders', '203.0.113.7']);
    expect(e.labels?.[FORWARDED_ORIGIN_LABEL]).toMatch(/^outermost trusted value used: X-Forwarded-Host held more values than the 2 trusted proxies in a row \(10\.0\.0\.2, 10\.0\.0\.1\) add/);
  });
});

it('caddy behind an edge and a load balancer: the edge\'s origin, the client from X-Forwarded-For (the source\'s trusted proxies, not Caddy\'s client_ip)', () => {
  const text = JSON.stringify({
    level: 'info', ts: 1796545250.03, logger: 'http.log.access.log0', msg: 'handled request', status: 200,
    request: {
      remote_ip: '10.0.0.2', client_ip: '10.0.0.2', method: 'GET', host: '10.0.0.5:8080', uri: '/api',
      headers: { 'X-Forwarded-For': ['203.0.113.7, 10.0.0.1'], 'X-Forwarded-Proto': ['https, http'], 'X-Forwarded-Host': ['api.example, lb.internal'] },
    },
  });
  const r = caddyParser.parseLine(text, ctx(EDGE_AND_LB));
  if (r.kind !== 'event') throw new Error(JSON.stringify(r));
  expect([r.event.url, r.event.clientIp, r.event.labels?.[FORWARDED_ORIGIN_LABEL] ?? null]).toEqual(['https://api.example/api', '203.0.113.7', null]);
});
