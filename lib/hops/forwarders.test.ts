// The batch's tally of peers that forwarded client certificates, and the warning about a peer inside
// a broad trusted network that forwarded one for the first time.
import { describe, expect, it } from 'vitest';
import { ForwarderTally, MAX_PEERS_PER_BATCH, newForwarderWarning, type PeerTally } from './forwarders.ts';
import { parseTrustedProxies, type Cidr } from './trusted-proxies.ts';

const cidrs = (...xs: string[]): Cidr[] => {
  const r = parseTrustedProxies(xs);
  if ('error' in r) throw new Error(r.error);
  return r.cidrs;
};
const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, s));
const tally = (lines: number): PeerTally => ({ lines, first: 0, last: 0 });

describe('ForwarderTally', () => {
  it('counts lines by class and by canonical peer, with the first and last request time', () => {
    const t = new ForwarderTally();
    t.note({ peerIp: '::ffff:10.0.0.5', occurredAt: at(9) }, 'trusted');
    t.note({ peerIp: '10.0.0.5', occurredAt: at(3) }, 'trusted');
    t.note({ peerIp: '[2001:DB8::7]', occurredAt: at(5) }, 'untrusted');
    t.note({ peerIp: 'unix:', occurredAt: at(5) }, 'unknown');
    t.note({ peerIp: undefined, occurredAt: at(5) }, 'unknown');
    t.note({ peerIp: '10.0.0.9', occurredAt: at(5) }, 'none');
    expect(t.byClass).toEqual({ trusted: 2, untrusted: 1, unknown: 2 });
    expect([...t.peers]).toEqual([
      ['10.0.0.5', { lines: 2, first: at(3).getTime(), last: at(9).getTime(), cls: 'trusted' }],
      ['2001:db8::7', { lines: 1, first: at(5).getTime(), last: at(5).getTime(), cls: 'untrusted' }],
    ]);
    expect(t.peersOf('trusted', 10)).toEqual(['10.0.0.5']);
  });

  it(`keeps at most ${MAX_PEERS_PER_BATCH.toLocaleString('en-US')} peers a batch and counts the lines of the rest`, () => {
    const t = new ForwarderTally();
    for (let i = 0; i < MAX_PEERS_PER_BATCH + 3; i++) t.note({ peerIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, occurredAt: at(0) }, 'unset');
    expect([t.peers.size, t.overflowLines, t.byClass.unset]).toEqual([MAX_PEERS_PER_BATCH, 3, MAX_PEERS_PER_BATCH + 3]);
  });
});

describe('newForwarderWarning', () => {
  const base = { cidrs: cidrs('10.0.0.0/8', '192.0.2.0/24'), hadForwarders: true, source: 'api-backend' };

  it('names a new peer inside a broad trusted network once the source has forwarders', () => {
    expect(newForwarderWarning({ ...base, fresh: [['10.9.9.9', tally(3)]] })).toBe(
      'forwarded client certificates came from a peer that had never forwarded one to source api-backend: 10.9.9.9 (3 lines, inside 10.0.0.0/8). The trusted proxies believed them; if they are not your edges, a client inside the trusted network is posing as a proxy (its requests read spoofed_client_cert once the trusted proxies name only the edges)',
    );
  });

  it('says nothing of the first forwarders, of peers in a narrow network, of untrusted peers, or without trusted proxies', () => {
    expect(newForwarderWarning({ ...base, hadForwarders: false, fresh: [['10.9.9.9', tally(3)]] })).toBeNull();
    expect(newForwarderWarning({ ...base, fresh: [['192.0.2.7', tally(3)], ['198.51.100.1', tally(1)]] })).toBeNull();
    expect(newForwarderWarning({ ...base, cidrs: [], fresh: [['10.9.9.9', tally(3)]] })).toBeNull();
    expect(newForwarderWarning({ ...base, cidrs: null, fresh: [['10.9.9.9', tally(3)]] })).toBeNull();
  });

  it('takes the narrowest trusted network holding the peer: a broad one listed as well does not make a narrow one broad', () => {
    expect(newForwarderWarning({ ...base, cidrs: cidrs('10.0.0.0/8', '10.1.1.0/24'), fresh: [['10.1.1.4', tally(1)]] })).toBeNull();
  });

  it('lists the busiest five and counts the rest', () => {
    const fresh: Array<[string, PeerTally]> = [1, 2, 3, 4, 5, 6, 7].map((i) => [`10.0.0.${i}`, tally(i)]);
    const w = newForwarderWarning({ ...base, fresh })!;
    expect(w).toContain('from 7 peers that had never forwarded one to source api-backend: 10.0.0.7 (7 lines, inside 10.0.0.0/8), 10.0.0.6 (6 lines, inside 10.0.0.0/8), 10.0.0.5 (5 lines, inside 10.0.0.0/8), 10.0.0.4 (4 lines, inside 10.0.0.0/8), 10.0.0.3 (3 lines, inside 10.0.0.0/8) and 2 more.');
  });
});
