// The TCP peer a forwarded client certificate came from (NormalizedEvent.peerIp), per gateway
// format: the peer's own variable, else the client address where the configuration rewrites
// nothing; a compile warning where a backend format logs a forwarded certificate but no peer.
import { describe, expect, it } from 'vitest';
import { createParseContext } from '../types.ts';
import { compileGatewayLogFormat } from './compile.ts';
import type { GatewayFormat } from './compiled.ts';

const CERT = ':MIIBfake:';

function compiled(gateway: GatewayFormat, config: string) {
  return compileGatewayLogFormat({ gateway, config });
}

function event(gateway: GatewayFormat, config: string, line: string) {
  const r = compiled(gateway, config).parser.parseLine(line, createParseContext({ now: () => new Date('2026-12-08T12:00:00Z') }));
  if (r.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(r)}`);
  return r.event;
}

const peerWarning = (gateway: GatewayFormat, config: string) => compiled(gateway, config).warnings.filter((w) => /TCP peer/.test(w));

const nginx = (fmt: string, extra = '') => `http {
  ${extra}
  log_format backend '$time_iso8601 ${fmt} "$request" $status auth="$http_authorization" cc="$http_client_cert"';
  server { access_log /var/log/nginx/backend.log backend; }
}`;
const NGINX_LINE = (addrs: string) => `2026-12-08T11:00:00+00:00 ${addrs} "GET /api HTTP/1.1" 200 auth="-" cc="${CERT}"`;

describe('NGINX', () => {
  it('$realip_remote_addr is the peer, whatever the realip module does to $remote_addr', () => {
    const config = nginx('$remote_addr $realip_remote_addr', 'set_real_ip_from 10.0.0.0/8; real_ip_header X-Forwarded-For;');
    const e = event('nginx', config, NGINX_LINE('203.0.113.9 10.0.0.5'));
    expect([e.clientIp, e.peerIp]).toEqual(['203.0.113.9', '10.0.0.5']);
    expect(peerWarning('nginx', config)).toEqual([]);
  });

  it('$remote_addr is the peer where nothing rewrites it', () => {
    const config = nginx('$remote_addr');
    expect(event('nginx', config, NGINX_LINE('127.0.0.2')).peerIp).toBe('127.0.0.2');
    expect(peerWarning('nginx', config)).toEqual([]);
  });

  it('$remote_addr rewritten by the realip module is not: no peer, and the compiler says so', () => {
    const config = nginx('$remote_addr', 'set_real_ip_from 10.0.0.0/8;');
    expect(event('nginx', config, NGINX_LINE('203.0.113.9')).peerIp).toBeUndefined();
    expect(peerWarning('nginx', config)).toEqual([
      "log_format 'backend' logs a forwarded client certificate but not the TCP peer that sent it (its client address is rewritten from a proxy header by the realip module (set_real_ip_from)): a forged certificate header sent straight to this backend cannot be told from its proxy's, so the source's trusted proxies cannot apply; log $realip_remote_addr",
    ]);
  });

  it('a format that logs no certificate header needs no peer (an edge)', () => {
    expect(peerWarning('nginx', `http { log_format e '$time_iso8601 "$request" $status auth="$http_authorization" v=$ssl_client_verify'; server { access_log /x e; } }`)).toEqual([]);
  });
});

const apache = (fmt: string, extra = '') => `${extra}
LogFormat "%{%Y-%m-%dT%H:%M:%S}t%{%z}t ${fmt} \\"%r\\" %>s \\"%{Authorization}i\\" \\"%{Client-Cert}i\\"" backend
CustomLog /var/log/apache2/backend.log backend`;
const APACHE_LINE = (addrs: string) => `2026-12-08T11:00:00+0000 ${addrs} "GET /api HTTP/1.1" 200 "-" "${CERT}"`;

describe('Apache', () => {
  it('%{c}a is the peer; %a the client mod_remoteip says', () => {
    const config = apache('%a %{c}a', 'RemoteIPHeader X-Forwarded-For');
    const e = event('apache', config, APACHE_LINE('203.0.113.9 10.0.0.5'));
    expect([e.clientIp, e.peerIp]).toEqual(['203.0.113.9', '10.0.0.5']);
    expect(peerWarning('apache', config)).toEqual([]);
  });

  it('%a is the peer without mod_remoteip, and not with it', () => {
    expect(event('apache', apache('%a'), APACHE_LINE('127.0.0.2')).peerIp).toBe('127.0.0.2');
    const rewritten = apache('%a', 'RemoteIPHeader X-Forwarded-For');
    expect(event('apache', rewritten, APACHE_LINE('203.0.113.9')).peerIp).toBeUndefined();
    expect(peerWarning('apache', rewritten)).toEqual([
      "LogFormat 'backend' logs a forwarded client certificate but not the TCP peer that sent it (its client address is rewritten from a proxy header by mod_remoteip (RemoteIPHeader)): a forged certificate header sent straight to this backend cannot be told from its proxy's, so the source's trusted proxies cannot apply; log %{c}a",
    ]);
  });

  it('a format without any address: the compiler says the peer is not logged', () => {
    expect(peerWarning('apache', apache('-'))).toEqual([
      "LogFormat 'backend' logs a forwarded client certificate but not the TCP peer that sent it (it logs no client address): a forged certificate header sent straight to this backend cannot be told from its proxy's, so the source's trusted proxies cannot apply; log %{c}a",
    ]);
  });
});

const haproxy = (extra = '') => `frontend be
  mode http
  bind 127.0.0.1:8080${extra}
  http-request capture req.hdr(Client-Cert) len 4096
  log stdout format raw local0
  log-format "%ci [%tr] %HM %HU %HV %ST cc=%{+Q}[capture.req.hdr(0)] auth=%{+Q}[req.hdr(Authorization)]"
`;

describe('HAProxy', () => {
  const line = '127.0.0.2 [08/Dec/2026:11:00:00.000] GET /api HTTP/1.1 200 cc=":MIIBfake:" auth="-"';
  it('%ci is the peer', () => {
    expect(event('haproxy', haproxy(), line).peerIp).toBe('127.0.0.2');
    expect(peerWarning('haproxy', haproxy())).toEqual([]);
  });

  it('not behind the PROXY protocol (accept-proxy) or set-src', () => {
    expect(event('haproxy', haproxy(' accept-proxy'), line).peerIp).toBeUndefined();
    expect(peerWarning('haproxy', haproxy(' accept-proxy'))).toHaveLength(1);
    expect(peerWarning('haproxy', `${haproxy()}  http-request set-src hdr(x-forwarded-for)\n`)[0]).toContain('rewritten from a proxy header by "set-src"');
  });
});
