import { describe, expect, it } from 'vitest';
import { at, brief, HOUR, runRule, snapshot } from '../testing/facts.ts';
import type { UntrustedPeerBackend } from '../snapshot.ts';
import { forwardedCertFromUntrustedPeer } from './forwarded-cert-from-untrusted-peer.ts';

function backend(over: Partial<UntrustedPeerBackend> = {}): UntrustedPeerBackend {
  return {
    source: 'orders-backend',
    gateways: ['orders'],
    requests: 3,
    accepted: 0,
    firstAt: at(-3 * HOUR),
    lastAt: at(-HOUR),
    networks: [{ network: '198.51.100.0/24', peers: ['198.51.100.7'], requests: 3, accepted: 0 }],
    claimedIdentities: ['payments-svc'],
    claimedCertificates: 1,
    examples: [{ occurredAt: at(-HOUR), peer: '198.51.100.7', method: 'GET', url: '/v1/orders', httpStatus: 401, requestId: 'r-1', x5tS256: 'x5t-a' }],
    believedEarlier: [],
    ...over,
  };
}

const KEY = 'forwarded_cert_from_untrusted_peer:source:orders-backend';

describe('forwarded_cert_from_untrusted_peer', () => {
  it.each([
    { name: 'critical once a forged header was answered 2xx', backends: [backend({ accepted: 1 })], expected: [{ dedupeKey: KEY, severity: 'critical' }] },
    { name: 'high while every such request was refused (the backend still believes the header from anyone)', backends: [backend()], expected: [{ dedupeKey: KEY, severity: 'high' }] },
    {
      name: 'one finding per backend',
      backends: [backend(), backend({ source: 'pay-backend', accepted: 2 })],
      expected: [{ dedupeKey: KEY, severity: 'high' }, { dedupeKey: 'forwarded_cert_from_untrusted_peer:source:pay-backend', severity: 'critical' }],
    },
    { name: 'nothing without such requests', backends: [backend({ requests: 0 })], expected: [] },
    {
      name: 'high for a peer believed before the trusted proxies excluded it, with no request refused since',
      backends: [backend({ requests: 0, networks: [], examples: [], claimedIdentities: [], believedEarlier: [{ peer: '10.9.9.9', lines: 4, firstAt: at(-5 * HOUR), lastAt: at(-2 * HOUR) }] })],
      expected: [{ dedupeKey: KEY, severity: 'high' }],
    },
    { name: 'nothing when not read', backends: undefined, expected: [] },
  ])('$name', ({ backends, expected }) => {
    expect(runRule(forwardedCertFromUntrustedPeer, snapshot(backends ? { untrustedPeerBackends: backends } : {})).map(brief)).toEqual(expected);
  });

  it('names the backend, the peers, the claimed identities and the fix for each gateway in the words; the evidence carries the examples', () => {
    const [d] = runRule(forwardedCertFromUntrustedPeer, snapshot({ untrustedPeerBackends: [backend({ accepted: 2 })] }));
    expect(d!.title).toBe('orders-backend accepts client-certificate headers from peers that are not its proxy');
    expect(d!.explanation).toContain('on 3 requests whose TCP peer is not one of its trusted proxies (from 198.51.100.0/24), and answered 2 of them with success');
    expect(d!.explanation).toContain('Certificates claimed: payments-svc.');
    for (const s of ['allow <proxy>; deny all;', 'RequestHeader unset Client-Cert', 'http-request del-header Client-Cert unless { src <proxy> }', 'Network:']) expect(d!.recommendation).toContain(s);
    expect(d!.evidence).toMatchObject({ source: 'orders-backend', requests: 3, acceptedRequests: 2, claimedIdentities: ['payments-svc'], peerNetworks: [{ network: '198.51.100.0/24', peers: ['198.51.100.7'] }] });
    expect((d!.evidence.examples as unknown[])[0]).toMatchObject({ peer: '198.51.100.7', httpStatus: 401, requestId: 'r-1' });
    expect(d!.observedAt).toEqual(at(-HOUR));
    expect(d!.blastRadius).toBe(1);
  });

  it('says which peers were believed before the trusted proxies excluded them, that their requests are not judged again, and what to review', () => {
    const believedEarlier = [{ peer: '10.9.9.9', lines: 4, firstAt: at(-5 * HOUR), lastAt: at(-2 * HOUR) }, { peer: '10.7.7.7', lines: 1, firstAt: at(-3 * HOUR), lastAt: at(-3 * HOUR) }];
    const [only] = runRule(forwardedCertFromUntrustedPeer, snapshot({ untrustedPeerBackends: [backend({ requests: 0, networks: [], examples: [], claimedIdentities: [], believedEarlier })] }));
    expect(only!.explanation).toBe(
      'orders-backend believed forwarded client certificates (Client-Cert or similar header) from peers that are not among its trusted proxies now. ' +
        "Certificates are public: a client that reaches the backend around its proxy can claim any client's certificate, and that client's certificate-bound tokens work for it as bearer tokens (Keycloak CVE-2024-10039). " +
        'Before the trusted proxies excluded 10.9.9.9 and 10.7.7.7, 5 lines from them were believed as a proxy\'s word: those requests were judged as the header said and are not judged again.',
    );
    expect(only!.recommendation).toContain('Review what 10.9.9.9 and 10.7.7.7 sent while they were believed');
    expect(only!.evidence.believedEarlier).toEqual([
      { peer: '10.9.9.9', lines: 4, firstAt: at(-5 * HOUR).toISOString(), lastAt: at(-2 * HOUR).toISOString() },
      { peer: '10.7.7.7', lines: 1, firstAt: at(-3 * HOUR).toISOString(), lastAt: at(-3 * HOUR).toISOString() },
    ]);
    // With requests refused as well, both are said.
    const [both] = runRule(forwardedCertFromUntrustedPeer, snapshot({ untrustedPeerBackends: [backend({ believedEarlier: believedEarlier.slice(0, 1) })] }));
    expect(both!.explanation).toContain('on 3 requests whose TCP peer is not one of its trusted proxies');
    expect(both!.explanation).toContain('Before the trusted proxies excluded 10.9.9.9, 4 lines from it were believed');
  });
});
