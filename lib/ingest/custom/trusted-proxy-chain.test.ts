// An owner's own backend format behind two trusted proxies in a row: where it logs X-Forwarded-For
// (NGINX `$http_x_forwarded_for`, Apache `%{X-Forwarded-For}i`), the chain is walked from the right
// (lib/hops/trusted-proxies.ts walkTrustedHops), the forwarding lists read at the value the
// outermost trusted proxy added, and the client is the first untrusted address, not the last proxy.
import { describe, expect, it } from 'vitest';
import { parseTrustedProxies, type Cidr } from '../../hops/trusted-proxies.ts';
import { FORWARDED_ORIGIN_LABEL } from '../forwarded-origin.ts';
import { createParseContext } from '../types.ts';
import { compileGatewayLogFormat } from './compile.ts';
import type { GatewayFormat } from './compiled.ts';

const edgeAndLb = (parseTrustedProxies(['10.0.0.1', '10.0.0.2']) as { cidrs: Cidr[] }).cidrs;

function event(gateway: GatewayFormat, config: string, line: string) {
  const ctx = createParseContext({ now: () => new Date('2026-12-08T12:00:00Z'), trustedProxies: () => edgeAndLb });
  const r = compileGatewayLogFormat({ gateway, config }).parser.parseLine(line, ctx);
  if (r.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(r)}`);
  return r.event;
}

const NGINX = `http {
  log_format backend '$time_iso8601 $remote_addr $scheme $host "$request" $status xff="$http_x_forwarded_for" xfp="$http_x_forwarded_proto" xfh="$http_x_forwarded_host" dpop="$http_dpop"';
  server { access_log /var/log/nginx/backend.log backend; }
}`;
const APACHE = `LogFormat "%{%Y-%m-%dT%H:%M:%S}t%{%z}t %{c}a %{HTTPS}x \\"%r\\" %>s \\"%{Host}i\\" \\"%{X-Forwarded-For}i\\" \\"%{X-Forwarded-Proto}i\\" \\"%{X-Forwarded-Host}i\\" \\"%{DPoP}i\\"" backend
CustomLog /var/log/apache2/backend.log backend`;

describe.each([
  ['nginx', NGINX, (xff: string, xfh: string) => `2026-12-08T11:00:00+00:00 10.0.0.2 http backend.internal "GET /orders HTTP/1.1" 200 xff="${xff}" xfp="https, http" xfh="${xfh}" dpop="-"`],
  ['apache', APACHE, (xff: string, xfh: string) => `2026-12-08T11:00:00+0000 10.0.0.2 off "GET /orders HTTP/1.1" 200 "backend.internal" "${xff}" "https, http" "${xfh}" "-"`],
] as const)('%s: an edge (10.0.0.1) and a load balancer (10.0.0.2), both trusted', (gateway, config, line) => {
  it('the edge\'s scheme and host, the client\'s address, no label', () => {
    const e = event(gateway, config, line('203.0.113.7, 10.0.0.1', 'api.example, lb.internal'));
    expect([e.url, e.clientIp, e.labels?.[FORWARDED_ORIGIN_LABEL] ?? null]).toEqual(['https://api.example/orders', '203.0.113.7', null]);
  });

  it('a client\'s own X-Forwarded-Host and a spoofed trusted address on the left do not win', () => {
    const e = event(gateway, config, line('10.0.0.2, 203.0.113.7, 10.0.0.1', 'evil.test, api.example, lb.internal'));
    expect([e.url, e.clientIp]).toEqual(['https://api.example/orders', '203.0.113.7']);
    expect(e.labels?.[FORWARDED_ORIGIN_LABEL]).toMatch(/^outermost trusted value used: X-Forwarded-Host held more values than the 2 trusted proxies in a row \(10\.0\.0\.2, 10\.0\.0\.1\) add/);
  });
});
