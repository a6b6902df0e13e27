import { describe, expect, it } from 'vitest';
import type { TokenRecord } from '../domain/types.ts';
import { claimTextsOf, exposureDedupeKey, identityNameOf, inventoryIdentityName, legacyIdentityNameOf, newIdentity, tokenStatusOf, tokenTtlSeconds } from './entity-facts.ts';

describe('identityNameOf', () => {
  it('takes the CN of a certificate DN and keeps other names', () => {
    expect(identityNameOf('O=Test,CN=svc-a')).toBe('svc-a');
    expect(identityNameOf('CN=svc-b,O=Test')).toBe('svc-b');
    expect(identityNameOf('CN=svc\\,e,O=Test')).toBe('svc,e');
    expect(identityNameOf('spiffe://example.org/ns/prod/sa/svc-a')).toBe('spiffe://example.org/ns/prod/sa/svc-a');
    expect(identityNameOf('svc-c')).toBe('svc-c');
    expect(identityNameOf('  ')).toBeNull();
    expect(identityNameOf(null)).toBeNull();
  });

  it.each<[string, string, string | null, string]>([
    ['CN=Zo\\C3\\AB M\\C3\\BCller,O=Soci\\C3\\A9t\\C3\\A9,C=FR', 'Zoë Müller', 'ZoC3AB MC3BCller', 'RFC 2253 UTF-8 escapes (NGINX)'],
    ['CN=Zoë Müller,O=Société,C=FR', 'Zoë Müller', null, 'plain UTF-8 (Apache): the name did not change'],
    ['/C=FR/O=Société/CN=Zoë Müller', 'Zoë Müller', '/C=FR/O=Société/CN=Zoë Müller', 'legacy oneline (HAProxy): the whole DN was the name'],
    ['O=Test,CN=svc-a', 'svc-a', null, 'an ASCII CN: the name did not change'],
    ['svc-c', 'svc-c', null, 'not a DN'],
  ])('%s names %s; before DNs were decoded: %s (%s)', (dn, name, legacy) => {
    expect(identityNameOf(dn)).toBe(name);
    expect(legacyIdentityNameOf(dn)).toBe(legacy);
  });
});

describe('entity facts of a record', () => {
  it('makes a SPIFFE ID a workload and any other name a service', () => {
    expect(newIdentity('spiffe://example.org/ns/prod/sa/a', null, null)).toMatchObject({ kind: 'workload', spiffeId: 'spiffe://example.org/ns/prod/sa/a' });
    expect(newIdentity('svc-a', 'svc-a', null)).toMatchObject({ kind: 'service', spiffeId: null, clientId: 'svc-a' });
  });

  it('reads claims as bounded texts and times, ignoring what is not', () => {
    const c = claimTextsOf({ tokenClaims: { jti: 'j-1', iss: 'https://as', sub: 's', azp: 'c-1', exp: 1_800_000_000, iat: 'x', scope: 'a  b c' } });
    expect(c).toEqual({ jti: 'j-1', issuer: 'https://as', subject: 's', clientId: 'c-1', expiresAt: new Date(1_800_000_000_000), issuedAt: null, scopes: ['a', 'b', 'c'] });
    expect(claimTextsOf({ tokenClaims: { exp: 1e12, jti: 'x'.repeat(600) } })).toMatchObject({ expiresAt: null, jti: 'x'.repeat(500) });
  });

  it('names the inventory identity, the token status and its lifetime', () => {
    const rec = { identityName: '', clientId: null, subject: 'sub-1', active: false, expiresAt: new Date(1000) } as unknown as TokenRecord;
    expect(inventoryIdentityName(rec)).toBe('sub-1');
    expect(tokenStatusOf(rec, new Date(2000))).toBe('expired');
    expect(tokenStatusOf(rec, new Date(500))).toBe('revoked');
    expect(tokenStatusOf({ ...rec, active: null }, new Date(500))).toBe('active');
    expect(tokenTtlSeconds(new Date(0), new Date(3_600_000))).toBe(3600);
    expect(tokenTtlSeconds(new Date(10), new Date(0))).toBe(0);
    expect(tokenTtlSeconds(null, new Date(0))).toBeNull();
  });

  it('keys an exposure by scanner, token, rule, location and commit', () => {
    const x = { scanner: 'gitleaks', fingerprint: 'fp', ruleId: 'jwt', location: 'a.env:3', commit: 'c1', foundAt: new Date() } as Parameters<typeof exposureDedupeKey>[0];
    expect(exposureDedupeKey(x)).toBe(exposureDedupeKey({ ...x, foundAt: new Date(0) }));
    expect(exposureDedupeKey(x)).not.toBe(exposureDedupeKey({ ...x, commit: 'c2' }));
  });
});
