// The review rule as a table: which CA a request's certificate is tied to (issuer DN, known
// x5t#S256, serial alone), whether its CRL lists it at or before the request's time, and which
// verdicts it may change (only those of a request the gateway accepted).
import { describe, expect, it } from 'vitest';
import type { NormalizedEvent, Verdict } from '../domain/types.ts';
import { newEvent } from '../ingest/event.ts';
import { buildRevocationIndex, findRevocation, judgeAgainstCrls, type AnchorRevocations, type KnownCertificate } from './revocation-index.ts';

const T0 = new Date('2026-12-01T10:00:00Z');
const before = (s: number) => new Date(T0.getTime() - s * 1000);
const after = (s: number) => new Date(T0.getTime() + s * 1000);

const ACME: AnchorRevocations = {
  anchorId: 'acme',
  subjectDn: 'O=Acme,CN=Acme Client CA',
  revocations: [
    { serial: '1001', revocationDate: before(3600), reason: 'keyCompromise' },
    { serial: 'A1B2', revocationDate: before(60), reason: null },
    { serial: '2002', revocationDate: after(60), reason: 'superseded' },
    { serial: '5555', revocationDate: before(60), reason: 'certificateHold' },
  ],
};
const GLOBEX: AnchorRevocations = {
  anchorId: 'globex',
  subjectDn: 'O=Globex,CN=Globex CA',
  revocations: [
    { serial: '1001', revocationDate: before(60), reason: 'cessationOfOperation' },
    { serial: '7777', revocationDate: before(60), reason: 'affiliationChanged' },
  ],
};
const NO_CRL: AnchorRevocations = { anchorId: 'initech', subjectDn: 'CN=Initech CA', revocations: [] };
const KNOWN: KnownCertificate[] = [
  { x5tS256: 'x5t-of-acme-1001', issuerDn: 'O=Acme,CN=Acme Client CA', serial: '1001' },
  { x5tS256: 'x5t-of-acme-good', issuerDn: 'O=Acme,CN=Acme Client CA', serial: '3003' },
  { x5tS256: 'x5t-of-other-ca', issuerDn: 'CN=Not An Anchor', serial: '1001' },
];
const index = buildRevocationIndex([ACME, GLOBEX, NO_CRL], KNOWN);

type Cert = Partial<NonNullable<NormalizedEvent['cert']>>;

function event(cert: Cert | null, o: { at?: Date; forwarded?: Cert } = {}): NormalizedEvent {
  const ev = newEvent('test', o.at ?? T0, '{}');
  const full = (c: Cert) => ({ x5tS256: null, sha1Hex: null, subjectDn: null, issuerDn: null, serial: null, notBefore: null, notAfter: null, verify: null, ...c });
  ev.cert = cert ? full(cert) : null;
  if (o.forwarded) ev.forwardedCert = { ...full(o.forwarded), header: 'client-cert' };
  return ev;
}

const ok = { verdict: 'ok' as Verdict, reason: null };

describe('judgeAgainstCrls: an accepted request with a certificate its CA revoked becomes cert_revoked_unchecked', () => {
  it.each<[string, NormalizedEvent, { verdict: Verdict; reason: string | null }]>([
    ['issuer DN of an anchor, serial on its CRL, revoked an hour before', event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '1001' }), { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' }],
    ['issuer DN spelled differently (case, spaces) and the serial with a sign byte and colons', event({ issuerDn: 'o=acme, cn=acme  client ca', serial: '00:10:01' }), { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' }],
    ['issuer DN in X.500 order with commas (reversed)', event({ issuerDn: 'CN=Acme Client CA,O=Acme', serial: '1001' }), { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' }],
    ['issuer DN as OpenSSL oneline (HAProxy default)', event({ issuerDn: '/CN=Acme Client CA/O=Acme', serial: '1001' }), { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' }],
    ['entry without a reason code', event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: 'a1b2' }), { verdict: 'cert_revoked_unchecked', reason: 'crl:unspecified' }],
    ['certificateHold counts while the certificate is on the CRL', event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '5555' }), { verdict: 'cert_revoked_unchecked', reason: 'crl:certificateHold' }],
    ['the same serial on another anchor: the issuer decides which CRL', event({ issuerDn: 'O=Globex,CN=Globex CA', serial: '1001' }), { verdict: 'cert_revoked_unchecked', reason: 'crl:cessationOfOperation' }],
    ['revoked exactly at the request time', event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '1001' }, { at: before(3600) }), { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' }],
    ['revoked one second after the request: it was good then', event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '1001' }, { at: before(3601) }), ok],
    ['revoked a minute after the request', event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '2002' }), ok],
    ['anchor issuer, serial not on its CRL', event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '3003' }), ok],
    ['anchor issuer, serial not on its CRL, though another anchor lists it and the x5t is not known', event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '7777' }), ok],
    ['issuer that is no anchor: never judged by serial alone', event({ issuerDn: 'CN=Not An Anchor', serial: '1001' }), ok],
    ['anchor without a CRL', event({ issuerDn: 'CN=Initech CA', serial: '1001' }), ok],
    ['no issuer logged, x5t#S256 of a known revoked certificate', event({ x5tS256: 'x5t-of-acme-1001', serial: null }), { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' }],
    ['x5t#S256 of a known good certificate, no serial', event({ x5tS256: 'x5t-of-acme-good' }), ok],
    ['x5t#S256 known with an issuer that is no anchor', event({ x5tS256: 'x5t-of-other-ca' }), ok],
    ['no issuer logged (Caddy), serial listed by exactly one anchor', event({ subjectDn: 'CN=svc-b', serial: '7777' }), { verdict: 'cert_revoked_unchecked', reason: 'crl_serial_only:affiliationChanged' }],
    ['no issuer logged, serial listed by two anchors: which CA is unknown', event({ subjectDn: 'CN=svc-b', serial: '1001' }), ok],
    ['no issuer logged, serial on no CRL', event({ subjectDn: 'CN=svc-a', serial: '3003' }), ok],
    ['no certificate at all', event(null), ok],
    ['a certificate without serial or thumbprint (verify NONE)', event({ verify: 'NONE' }), ok],
    ['behind a proxy: the forwarded certificate is the client\'s', event(null, { forwarded: { issuerDn: 'O=Acme,CN=Acme Client CA', serial: '1001' } }), { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' }],
  ])('%s', (_name, ev, want) => {
    expect(judgeAgainstCrls(index, ev, ok)).toEqual(want);
  });

  const revokedEv = () => event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '1001' });
  it.each<[Verdict, boolean]>([
    ['ok', true],
    ['bearer_unbound', true],
    ['bound_not_enforced', true],
    ['cert_revoked', false],
    ['cert_untrusted', false],
    ['cert_expired', false],
    ['binding_mismatch', false],
    ['no_proof_for_bound_token', false],
    ['proof_invalid', false],
    ['token_expired', false],
    ['binding_context_stripped', false],
    ['spoofed_client_cert', false],
  ])('verdict %s: changed %s (only requests the gateway accepted)', (verdict, changed) => {
    const got = judgeAgainstCrls(index, revokedEv(), { verdict, reason: 'was' });
    expect(got).toEqual(changed ? { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' } : { verdict, reason: 'was' });
  });

  it.each<[Verdict, boolean | null, boolean]>([
    ['binding_context_stripped', true, true],
    ['token_expired', true, true],
    ['binding_context_stripped', false, false],
    ['binding_context_stripped', null, false],
    ['cert_revoked', true, false],
    ['spoofed_client_cert', true, false],
    ['ok', false, true],
  ])('verdict %s with the gateway accepting %s: changed %s (a logged 2xx is an acceptance whatever the verdict)', (verdict, accepted, changed) => {
    const got = judgeAgainstCrls(index, revokedEv(), { verdict, reason: 'was', accepted });
    expect(got).toEqual(changed ? { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' } : { verdict, reason: 'was', accepted });
  });

  it('findRevocation says how the certificate was tied to the CRL', () => {
    expect(findRevocation(index, revokedEv())).toMatchObject({ anchorId: 'acme', basis: 'issuer' });
    expect(findRevocation(index, event({ x5tS256: 'x5t-of-acme-1001' }))).toMatchObject({ anchorId: 'acme', basis: 'x5t' });
    expect(findRevocation(index, event({ serial: '7777' }))).toMatchObject({ anchorId: 'globex', basis: 'serial_only' });
  });

  it('two anchors with one subject (a re-keyed CA) pool their CRLs; the earliest revocation counts', () => {
    const rekeyed = buildRevocationIndex([ACME, { anchorId: 'acme-2', subjectDn: 'O=Acme,CN=Acme Client CA', revocations: [{ serial: '1001', revocationDate: before(7200), reason: 'superseded' }, { serial: '9999', revocationDate: before(1), reason: null }] }]);
    expect(judgeAgainstCrls(rekeyed, event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '1001' }), ok)).toEqual({ verdict: 'cert_revoked_unchecked', reason: 'crl:superseded' });
    expect(judgeAgainstCrls(rekeyed, event({ issuerDn: 'O=Acme,CN=Acme Client CA', serial: '9999' }), ok)).toEqual({ verdict: 'cert_revoked_unchecked', reason: 'crl:unspecified' });
    // Same subject on both: the serial alone is not ambiguous.
    expect(findRevocation(rekeyed, event({ serial: '1001' }))).toMatchObject({ basis: 'serial_only' });
  });
});
