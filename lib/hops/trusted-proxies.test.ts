// Trusted proxies: CIDRs parsed and matched for IPv4 and IPv6 (and the forms gateways log addresses
// in), and a forwarded certificate classified by the TCP peer that sent it.
import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../domain/types.ts';
import { broadTrustedProxyWarnings, canonicalAddress, forwardedPeer, nodeAddress, parseAddress, parseCidr, parseTrustedProxies, peerTrusted, walkTrustedHops, type Cidr } from './trusted-proxies.ts';

const cidrs = (...xs: string[]): Cidr[] => {
  const r = parseTrustedProxies(xs);
  if ('error' in r) throw new Error(r.error);
  return r.cidrs;
};

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    [' 127.0.0.1 ', '127.0.0.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::1', '::1/128'],
    ['2001:db8:0:0:1:0:0:0/80', '2001:db8:0:0:1::/80'],
    ['fe80::/10', 'fe80::/10'],
  ])('%s → %s', (input, text) => {
    const c = parseCidr(input);
    expect('error' in c ? c.error : c.text).toBe(text);
  });

  it.each([
    ['10.0.0.1/8', 'host bits set: the network is 10.0.0.0/8'],
    ['10.0.0.0/33', 'prefix length of an IPv4 network is 0 to 32'],
    ['2001:db8::/129', 'prefix length of an IPv6 network is 0 to 128'],
    ['256.0.0.0/8', 'not an IPv4 or IPv6 address or CIDR'],
    ['10.0.0/8', 'not an IPv4 or IPv6 address or CIDR'],
    ['proxy.internal', 'not an IPv4 or IPv6 address or CIDR'],
    ['10.0.0.0/', 'not an IPv4 or IPv6 address or CIDR'],
    ['::ffff:10.0.0.0/104', 'write an IPv4-mapped address as IPv4'],
  ])('%s is refused (%s)', (input, words) => {
    const c = parseCidr(input);
    expect('error' in c ? c.error : c.text).toContain(words);
  });
});

describe('parseTrustedProxies', () => {
  it('splits commas and spaces, keeps one of each, refuses the first bad entry with one line', () => {
    expect(cidrs('10.0.0.0/8, 127.0.0.1', '127.0.0.1/32 ::1').map((c) => c.text)).toEqual(['10.0.0.0/8', '127.0.0.1/32', '::1/128']);
    const bad = parseTrustedProxies(['10.0.0.0/8', 'nope', '1.2.3.4/99']);
    expect(bad).toEqual({ error: '"nope" is not an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)' });
    expect(parseTrustedProxies(Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`))).toEqual({ error: 'at most 100 trusted proxies (got 101)' });
    expect(parseTrustedProxies([])).toEqual({ cidrs: [] });
  });
});

describe('peerTrusted', () => {
  const list = cidrs('127.0.0.1/32', '10.1.0.0/16', '2001:db8::/32');
  it.each([
    ['127.0.0.1', true], ['127.0.0.2', false], ['10.1.255.7', true], ['10.2.0.1', false],
    // An IPv4 client on a dual-stack socket, bracketed and zoned forms.
    ['::ffff:127.0.0.1', true], ['::ffff:127.0.0.2', false], ['[2001:db8::5]', true], ['2001:db9::1', false], ['fe80::1%eth0', false],
    ['unix', null], ['-', null], ['proxy.internal', null], ['', null],
  ] as const)('%s → %s', (peer, want) => {
    expect(peerTrusted(list, peer)).toBe(want);
  });

  it('reads IPv6 with an IPv4 tail and full forms', () => {
    expect(parseAddress('::ffff:10.0.0.1')).toEqual({ family: 4, bits: 0x0a000001n });
    expect(parseAddress('2001:0db8:0000:0000:0000:0000:0000:0001')).toEqual(parseAddress('2001:db8::1'));
  });
});

describe('forwardedPeer', () => {
  const fwd = { x5tS256: 'x'.repeat(43), sha1Hex: null, subjectDn: null, issuerDn: null, serial: null, notBefore: null, notAfter: null, verify: null, header: 'client-cert' };
  const ev = (over: Partial<NormalizedEvent>) => ({ forwardedCert: fwd, peerIp: '127.0.0.2', ...over });
  const list = cidrs('127.0.0.1/32');
  it.each([
    ['a forwarded certificate from a trusted proxy', ev({ peerIp: '127.0.0.1' }), list, 'trusted'],
    ['one from another peer', ev({}), list, 'untrusted'],
    ['no trusted proxies set', ev({}), null, 'unset'],
    ['an empty list', ev({}), [], 'unset'],
    ['a format that logs no peer', ev({ peerIp: undefined }), list, 'unknown'],
    ['a peer that is no address', ev({ peerIp: 'unix' }), list, 'unknown'],
    ['an empty header', ev({ forwardedCert: null }), list, 'none'],
    ['no header field', ev({ forwardedCert: undefined }), list, 'none'],
  ] as const)('%s: %s', (_name, e, l, want) => {
    expect(forwardedPeer(e, l)).toBe(want);
  });
});

describe('nodeAddress: an address of a forwarding chain without its port', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'], ['10.0.0.1:4711', '10.0.0.1'], ['[2001:db8::1]:4711', '2001:db8::1'], ['2001:db8::1', '2001:db8::1'],
    ['"[2001:db8::1]:4711"', '2001:db8::1'], ['"192.0.2.43:47011"', '192.0.2.43'], ['unknown', null], ['_hidden', null], ['', null], ['evil.test', null],
  ] as const)('%s → %s', (raw, want) => {
    expect(nodeAddress(raw)).toBe(want);
  });
});

describe('walkTrustedHops: trusted proxies in a row, walked from the right', () => {
  const edgeAndLb = cidrs('10.0.0.0/24', '2001:db8:1::/48');

  it('IPv4: the TCP peer and each trusted address at the right end are hops; the first untrusted one is the client', () => {
    expect(walkTrustedHops(edgeAndLb, '10.0.0.2', ['203.0.113.7', '10.0.0.1'])).toEqual({ hops: 2, proxies: ['10.0.0.2', '10.0.0.1'], client: '203.0.113.7' });
  });

  it('IPv6 (bracketed, with ports, as proxies append them)', () => {
    expect(walkTrustedHops(edgeAndLb, '2001:db8:1::2', ['[2001:db8:9::7]:5555', '[2001:db8:1::1]:443'])).toEqual({ hops: 2, proxies: ['2001:db8:1::2', '2001:db8:1::1'], client: '2001:db8:9::7' });
  });

  it('an untrusted address in the middle stops the walk: trusted addresses on its left do not count', () => {
    expect(walkTrustedHops(edgeAndLb, '10.0.0.2', ['10.0.0.5', '198.51.100.1', '10.0.0.1'])).toEqual({ hops: 2, proxies: ['10.0.0.2', '10.0.0.1'], client: '198.51.100.1' });
  });

  it('addresses a client put on the left (spoofed proxies, spoofed clients) are never read', () => {
    expect(walkTrustedHops(edgeAndLb, '10.0.0.2', ['10.0.0.9', '10.0.0.8', '203.0.113.7', '10.0.0.1'])).toMatchObject({ hops: 2, client: '203.0.113.7' });
    expect(walkTrustedHops(edgeAndLb, '10.0.0.2', ['1.2.3.4', '203.0.113.7'])).toMatchObject({ hops: 1, client: '203.0.113.7' });
  });

  it('a list shorter than the trusted addresses: the leftmost is the client, never a proxy (nothing appended for it)', () => {
    expect(walkTrustedHops(edgeAndLb, '10.0.0.2', ['10.0.0.1'])).toEqual({ hops: 1, proxies: ['10.0.0.2'], client: '10.0.0.1' });
    expect(walkTrustedHops(edgeAndLb, '10.0.0.3', ['10.0.0.1', '10.0.0.2'])).toEqual({ hops: 2, proxies: ['10.0.0.3', '10.0.0.2'], client: '10.0.0.1' });
    expect(walkTrustedHops(edgeAndLb, '10.0.0.2', [])).toEqual({ hops: 1, proxies: ['10.0.0.2'], client: null });
  });

  it('a node that names no address stops the walk with no client', () => {
    expect(walkTrustedHops(edgeAndLb, '10.0.0.2', ['203.0.113.7', 'unknown', '10.0.0.1'])).toEqual({ hops: 2, proxies: ['10.0.0.2', '10.0.0.1'], client: null });
  });

  it('no chain logged: the TCP peer alone; an untrusted or missing peer: no hop at all', () => {
    expect(walkTrustedHops(edgeAndLb, '10.0.0.2', null)).toEqual({ hops: 1, proxies: ['10.0.0.2'], client: null });
    expect(walkTrustedHops(edgeAndLb, '198.51.100.1', ['10.0.0.1'])).toEqual({ hops: 0, proxies: [], client: null });
    expect(walkTrustedHops(edgeAndLb, null, ['203.0.113.7', '10.0.0.1'])).toEqual({ hops: 0, proxies: [], client: null });
  });
});

describe('broadTrustedProxyWarnings', () => {
  it('warns of each network over 256 addresses, with its size, and of none up to 256', () => {
    expect(broadTrustedProxyWarnings(cidrs('10.0.1.0/24', '10.0.2.7', '2001:db8::/120', '::1'))).toEqual([]);
    const w = broadTrustedProxyWarnings(cidrs('10.0.0.0/8', '10.0.1.0/24', '192.168.0.0/23', '2001:db8::/32', '0.0.0.0/0'));
    expect(w).toHaveLength(4);
    expect(w[0]).toMatch(/^10\.0\.0\.0\/8 trusts 16,777,216 addresses: any client inside it can send a forwarded client certificate header/);
    expect(w[1]).toMatch(/^192\.168\.0\.0\/23 trusts 512 addresses/);
    expect(w[2]).toMatch(/^2001:db8::\/32 trusts 2\^96 addresses/);
    expect(w[3]).toMatch(/^0\.0\.0\.0\/0 trusts 4,294,967,296 addresses/);
    for (const line of w) expect(line).toContain("list your edges' own addresses instead");
  });

  it('offers the peers seen forwarding from inside the network as the narrow list', () => {
    const seen = ['10.1.2.3', '10.9.9.9', '192.0.2.1', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7'];
    const [w] = broadTrustedProxyWarnings(cidrs('10.0.0.0/8'), seen);
    expect(w).toContain('the peers that have forwarded certificates from inside it are 10.0.0.4, 10.0.0.5, 10.0.0.6, 10.0.0.7, 10.1.2.3 and 1 more: trust the addresses of those that are your edges instead');
    expect(w).not.toContain('192.0.2.1');
  });
});

describe('canonicalAddress', () => {
  it('writes an address as the trusted proxies store it, and refuses what is none', () => {
    expect(canonicalAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalAddress('[2001:DB8:0:0:0:0:0:1]')).toBe('2001:db8::1');
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalAddress(' 10.0.0.9 ')).toBe('10.0.0.9');
    for (const none of ['unix:', '-', 'edge.example', '10.0.0.256']) expect(canonicalAddress(none)).toBeNull();
  });
});
