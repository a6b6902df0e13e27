import { describe, expect, it } from 'vitest';
import { forwardedOrigin } from './forwarded-origin.ts';

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
