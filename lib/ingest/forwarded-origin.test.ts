import { describe, expect, it } from 'vitest';
import { parseTrustedProxies, type Cidr } from '../hops/trusted-proxies.ts';
import { checkHtu } from '../binding/dpop-claim-checks.ts';
import { normalizeHtu } from '../binding/normalize-htu.ts';
import { CHAIN_NOT_LOGGED, forwardedOrigin, FORWARDED_ORIGIN_SURPLUS, requestUrl, type ForwardingHeaders } from './forwarded-origin.ts';

const none = { forwarded: null, xForwardedProto: null, xForwardedHost: null };

describe('forwardedOrigin: the scheme and host a client called, as a proxy forwarded them', () => {
  it.each([
    ['Caddy reverse_proxy (X-Forwarded-Proto and -Host)', { ...none, xForwardedProto: 'https', xForwardedHost: 'api.test:47124' }, { scheme: 'https', host: 'api.test:47124' }],
    ['X-Forwarded-Proto only: the Host header stands', { ...none, xForwardedProto: 'HTTPS' }, { scheme: 'https', host: null }],
    ['a list: the client-facing proxy set the first', { ...none, xForwardedProto: 'https, http', xForwardedHost: 'api.test, backend:8080' }, { scheme: 'https', host: 'api.test' }],
    ['RFC 7239 Forwarded wins', { forwarded: 'for=192.0.2.1;proto=https;host="api.test:8443", for=10.0.0.1;proto=http', xForwardedProto: 'http', xForwardedHost: 'x' }, { scheme: 'https', host: 'api.test:8443' }],
    ['an IPv6 host', { ...none, xForwardedProto: 'https', xForwardedHost: '[2001:db8::1]:443' }, { scheme: 'https', host: '[2001:db8::1]:443' }],
    ['a host that is not host[:port] is ignored', { ...none, xForwardedProto: 'https', xForwardedHost: 'evil.test/path?' }, { scheme: 'https', host: null }],
  ] as const)('%s', (_n, h, want) => {
    expect(forwardedOrigin(h)).toEqual(want);
  });

  it.each([
    ['nothing forwarded', none],
    ['a host without a scheme', { ...none, xForwardedHost: 'api.test' }],
    ['a scheme that is neither http nor https', { ...none, xForwardedProto: 'javascript' }],
    ['Forwarded without proto, no X-Forwarded-Proto', { ...none, forwarded: 'for=192.0.2.1;host=api.test' }],
  ] as const)('%s → null (the hop\'s own URL stands)', (_n, h) => {
    expect(forwardedOrigin(h)).toBeNull();
  });
});

describe('X-Forwarded-Port completes a host forwarded without a port', () => {
  it.each([
    ['HAProxy/AWS style: host without a port, X-Forwarded-Port 8443', { ...none, xForwardedProto: 'https', xForwardedHost: 'api.example', xForwardedPort: '8443' }, { scheme: 'https', host: 'api.example', port: '8443' }],
    ['a host with its own port keeps it (the port is ignored at use)', { ...none, xForwardedProto: 'https', xForwardedHost: 'api.example:9443', xForwardedPort: '8443' }, { scheme: 'https', host: 'api.example:9443', port: '8443' }],
    ['a port that is not one is ignored', { ...none, xForwardedProto: 'https', xForwardedHost: 'api.example', xForwardedPort: '99999' }, { scheme: 'https', host: 'api.example' }],
    ['RFC 7239 names its port in host: X-Forwarded-Port does not complete it', { ...none, forwarded: 'proto=https;host=api.example', xForwardedPort: '8443' }, { scheme: 'https', host: 'api.example' }],
  ] as const)('%s', (_n, h, want) => {
    expect(forwardedOrigin(h)).toEqual(want);
  });

  const url = (headers: ForwardingHeaders) => requestUrl({ scheme: 'http', host: 'backend.internal', path: '/orders', headers, peerIp: '10.0.0.1', trustedProxies: null }).url;

  it('the htu a client signed for the edge on :8443 matches; one for another port does not', () => {
    const u = url({ ...none, xForwardedProto: 'https', xForwardedHost: 'api.example', xForwardedPort: '8443' });
    expect(u).toBe('https://api.example:8443/orders');
    expect(checkHtu(normalizeHtu('https://api.example:8443/orders'), u).ok).toBe(true);
    expect(checkHtu(normalizeHtu('https://api.example/orders'), u).ok).toBe(false);
    expect(checkHtu(normalizeHtu('https://api.example:9443/orders'), u).ok).toBe(false);
  });

  it.each([
    ['https', '443', 'https://api.example/orders'],
    ['http', '80', 'http://api.example/orders'],
  ] as const)('%s on its default port %s compares as the URL without a port (RFC 9449 §4.3)', (proto, port, htu) => {
    const u = url({ ...none, xForwardedProto: proto, xForwardedHost: 'api.example', xForwardedPort: port });
    expect(normalizeHtu(u!)).toBe(htu);
    expect(checkHtu(normalizeHtu(htu), u).ok).toBe(true);
    expect(checkHtu(normalizeHtu(`${proto}://api.example:8443/orders`), u).ok).toBe(false);
  });
});

describe('requestUrl with trusted proxies reads a list from the right: the trusted peer\'s value is the last', () => {
  const edge = (parseTrustedProxies(['10.0.0.1']) as { cidrs: Cidr[] }).cidrs;
  const read = (headers: ForwardingHeaders, trustedProxies: readonly Cidr[] | null = edge) =>
    requestUrl({ scheme: 'http', host: 'backend.internal', path: '/orders', headers, peerIp: '10.0.0.1', trustedProxies });

  it.each([
    ['an appending edge after a forged X-Forwarded-Host', { ...none, xForwardedProto: 'https', xForwardedHost: 'evil.test, api.example:8443' }, 'https://api.example:8443/orders', 'X-Forwarded-Host'],
    ['an appending edge after a forged X-Forwarded-Proto', { ...none, xForwardedProto: 'http, https', xForwardedHost: 'api.example' }, 'https://api.example/orders', 'X-Forwarded-Proto'],
    ['a forged Forwarded element before the edge\'s', { ...none, forwarded: 'proto=https;host=evil.test, proto=https;host=api.example' }, 'https://api.example/orders', 'Forwarded'],
    ['a forged X-Forwarded-Port before the edge\'s', { ...none, xForwardedProto: 'https', xForwardedHost: 'api.example', xForwardedPort: '9443, 8443' }, 'https://api.example:8443/orders', 'X-Forwarded-Port'],
  ] as const)('%s: the rightmost value, and the line is labelled', (_n, h, want, header) => {
    const r = read(h);
    expect(r.url).toBe(want);
    expect(r.ignored).toMatch(new RegExp(`^${FORWARDED_ORIGIN_SURPLUS} ${header} held more values than the trusted proxy 10\\.0\\.0\\.1 adds`));
  });

  it('NGINX "$http_x_forwarded_host, $http_host" without a client value (", api.example:8443") is one value: no label', () => {
    expect(read({ ...none, xForwardedProto: 'https', xForwardedHost: ', api.example:8443' })).toEqual({ url: 'https://api.example:8443/orders', ignored: null, client: null });
  });

  it('without trusted proxies the first value stands, as before (the client-facing proxy\'s)', () => {
    expect(read({ ...none, xForwardedProto: 'https', xForwardedHost: 'api.example, backend:8080' }, null)).toEqual({ url: 'https://api.example/orders', ignored: null, client: null });
  });
});

describe('requestUrl behind several trusted proxies in a row: the value the outermost one added', () => {
  // A TLS edge (10.0.0.1) appends to the headers, then an internal load balancer (10.0.0.2) appends
  // its own (its Host, its plain-HTTP scheme) and the edge's address to X-Forwarded-For.
  const both = (parseTrustedProxies(['10.0.0.1', '10.0.0.2']) as { cidrs: Cidr[] }).cidrs;
  const read = (headers: ForwardingHeaders, trustedProxies: readonly Cidr[] = both) =>
    requestUrl({ scheme: 'http', host: 'backend.internal', path: '/orders', headers, peerIp: '10.0.0.2', trustedProxies });
  const chain = { forwarded: null, xForwardedProto: 'https, http', xForwardedHost: 'api.example:8443, lb.internal:8080', xForwardedFor: '203.0.113.7, 10.0.0.1' };

  it('reads the edge\'s values, not the load balancer\'s, with no label; the client is the first untrusted address', () => {
    expect(read(chain)).toEqual({ url: 'https://api.example:8443/orders', ignored: null, client: '203.0.113.7' });
  });

  it('a client\'s own X-Forwarded-Host before the edge\'s does not win, and is labelled with both proxies named', () => {
    const r = read({ ...chain, xForwardedHost: 'evil.test, api.example:8443, lb.internal:8080', xForwardedFor: '10.0.0.1, 203.0.113.7, 10.0.0.1' });
    expect(r.url).toBe('https://api.example:8443/orders');
    expect(r.client).toBe('203.0.113.7');
    expect(r.ignored).toBe(`${FORWARDED_ORIGIN_SURPLUS} X-Forwarded-Host held more values than the 2 trusted proxies in a row (10.0.0.2, 10.0.0.1) add; the ones on the left may be the client's own`);
  });

  it('with only the load balancer trusted, the edge is the client: the load balancer\'s value stands', () => {
    const lbOnly = (parseTrustedProxies(['10.0.0.2']) as { cidrs: Cidr[] }).cidrs;
    const r = read(chain, lbOnly);
    expect(r.url).toBe('http://lb.internal:8080/orders');
    expect(r.client).toBe('10.0.0.1');
  });

  it('a load balancer that passes the edge\'s headers on untouched (one value, two hops): that value', () => {
    expect(read({ ...chain, xForwardedProto: 'https', xForwardedHost: 'api.example:8443' })).toEqual({ url: 'https://api.example:8443/orders', ignored: null, client: '203.0.113.7' });
  });

  it('RFC 7239 Forwarded: its for= nodes count the hops', () => {
    const forwarded = 'for=203.0.113.7;proto=https;host=api.example, for="10.0.0.1:4711";proto=http;host=lb.internal';
    expect(read({ forwarded, xForwardedProto: null, xForwardedHost: null })).toEqual({ url: 'https://api.example/orders', ignored: null, client: '203.0.113.7' });
    expect(read({ forwarded: `for=198.51.100.1;proto=https;host=evil.test, ${forwarded}`, xForwardedProto: null, xForwardedHost: null }).url).toBe('https://api.example/orders');
  });

  it('without X-Forwarded-For logged only the TCP peer counts, as before, and the label says so', () => {
    const { xForwardedFor: _notLogged, ...unlogged } = chain;
    const r = read(unlogged);
    expect(r.url).toBe('http://lb.internal:8080/orders');
    expect(r.client).toBeNull();
    expect(r.ignored).toBe(`${FORWARDED_ORIGIN_SURPLUS} X-Forwarded-Proto, X-Forwarded-Host held more values than the trusted proxy 10.0.0.2 adds; the ones on the left may be the client's own (${CHAIN_NOT_LOGGED})`);
  });

  it('from an untrusted peer nothing is walked: the hop\'s own URL, no client', () => {
    const r = requestUrl({ scheme: 'http', host: 'backend.internal', path: '/orders', headers: chain, peerIp: '198.51.100.9', trustedProxies: both });
    expect(r).toMatchObject({ url: 'http://backend.internal/orders', client: null });
    expect(r.ignored).toMatch(/TCP peer 198\.51\.100\.9, not one of the source's trusted proxies/);
  });
});
