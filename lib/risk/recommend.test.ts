import { describe, expect, it } from 'vitest';
import { identity, token } from './testing/facts.ts';
import { recommend, recommendBinding } from './recommend.ts';
import type { IdentityFacts } from './snapshot.ts';

describe('recommendBinding', () => {
  const cases: { name: string; id: Partial<IdentityFacts>; method: 'mtls' | 'dpop'; reason: string }[] = [
    { name: 'recommends mTLS for a service on a service mesh', id: { kind: 'service', transport: 'mesh' }, method: 'mtls', reason: 'service_mesh' },
    { name: 'recommends mTLS for a partner over a private link', id: { kind: 'partner', transport: 'private_link' }, method: 'mtls', reason: 'private_link' },
    { name: 'recommends DPoP for a partner on the public internet', id: { kind: 'partner', transport: 'public' }, method: 'dpop', reason: 'public_partner' },
    { name: 'recommends DPoP for an AI agent even inside a mesh', id: { kind: 'agent', transport: 'mesh' }, method: 'dpop', reason: 'ai_agent' },
    { name: 'recommends DPoP for a CI pipeline on public runners', id: { kind: 'pipeline', transport: 'public' }, method: 'dpop', reason: 'ephemeral_pipeline' },
    { name: 'recommends DPoP for a public service client (browser/mobile/CLI-like)', id: { kind: 'service', transport: 'public' }, method: 'dpop', reason: 'public_client' },
    { name: 'recommends mTLS for a workload of unknown transport that has a SPIFFE ID', id: { kind: 'workload', transport: 'unknown', spiffeId: 'spiffe://corp/ns/a/sa/b' }, method: 'mtls', reason: 'spiffe_identity' },
    { name: 'recommends DPoP for a service of unknown transport and says to record it', id: { kind: 'service', transport: 'unknown' }, method: 'dpop', reason: 'unknown_transport' },
  ];
  it.each(cases)('$name', ({ id, method, reason }) => {
    const r = recommendBinding(identity(id));
    expect(r.method).toBe(method);
    expect(r.reason).toBe(reason);
    expect(r.why.length).toBeGreaterThan(40);
  });

  it('explains the mesh choice in words (RFC 8705, no client changes)', () => {
    expect(recommendBinding(identity({ transport: 'mesh' })).why).toMatch(/RFC 8705/);
    expect(recommendBinding(identity({ transport: 'mesh' })).methodLabel).toBe('mTLS (RFC 8705)');
  });
});

describe('recommend', () => {
  it('returns a recommendation for a bearer token', () => {
    expect(recommend(token(), identity())).toMatchObject({ tokenId: 'tok-1', identityId: 'id-svc', method: 'mtls' });
  });

  it('returns null for a token that is already DPoP-bound', () => {
    expect(recommend(token({ binding: 'dpop', cnfJkt: 'j' }), identity())).toBeNull();
  });

  it('falls back to DPoP when the identity is unknown', () => {
    expect(recommend(token(), undefined)?.reason).toBe('unknown_transport');
  });
});
