import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NormalizedEvent, Verdict } from '../domain/types.ts';
import { decideVerdict, type TokenBindingFacts } from './decide-verdict.ts';
import { MemoryReplayStore } from './replay-store.ts';
import { ath, ecKey, makeProof } from './testing/proofs.ts';
import { fingerprintToken } from '../credentials/fingerprint.ts';
import { verifyDpopProof } from './verify-dpop-proof.ts';
import { VERDICT_WORDS } from './words.ts';

const AT = new Date('2026-01-10T12:00:00Z');
const IAT = Math.floor(AT.getTime() / 1000);
const URL_ = 'https://api.example.com/v1/orders';
const TOKEN = 'access-' + randomUUID();
const X5T = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0';
const OTHER_X5T = 'AAAK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0';

function event(over: Partial<NormalizedEvent> = {}): NormalizedEvent {
  return {
    format: 'test', occurredAt: AT, requestId: 'r1', gateway: 'gw', method: 'GET', url: URL_, clientIp: null,
    httpStatus: 200, authScheme: 'DPoP', hasDpop: false, dpopProof: null, tokenFingerprint: fingerprintToken(TOKEN),
    tokenClaims: null, identityHint: null, cert: null, failureDetail: null, sourceVerdict: null, redactedRaw: '', ...over,
  };
}

function cert(over: Partial<NonNullable<NormalizedEvent['cert']>> = {}): NonNullable<NormalizedEvent['cert']> {
  return { x5tS256: X5T, sha1Hex: null, subjectDn: 'CN=svc', issuerDn: 'CN=ca', serial: '01', notBefore: new Date('2026-01-01'), notAfter: new Date('2026-02-01'), verify: 'SUCCESS', ...over };
}

const key = ecKey();
const other = ecKey();
const proof = (k = key, claims: Record<string, unknown> = {}) => makeProof(k, { htm: 'GET', htu: URL_, iat: IAT, ath: ath(TOKEN), ...claims });

describe('decideVerdict', async () => {
  const jkt = (await verifyDpopProof({ proof: proof(), method: null, url: null })).jkt!;
  const dpopToken: TokenBindingFacts = { binding: 'dpop', cnfJkt: jkt, expiresAt: new Date('2026-01-10T13:00:00Z') };
  const mtlsToken: TokenBindingFacts = { binding: 'mtls', cnfX5tS256: X5T };

  const cases: Array<[string, () => NormalizedEvent, TokenBindingFacts | null, Verdict, string | null]> = [
    ['DPoP token, valid proof, 200', () => event({ hasDpop: true, dpopProof: proof() }), dpopToken, 'ok', null],
    // The htu could be compared on its path only: ok, but saying so.
    ['DPoP token, valid proof with the logged URL as a path only', () => event({ hasDpop: true, dpopProof: proof(), url: '/v1/orders' }), dpopToken, 'ok', 'htu_path_only'],
    // RFC 9449 §4.3 checks 1-2: a logged DPoP value that is not one well-formed proof is not "not logged".
    ['DPoP token, DPoP header not a JWT, 200', () => event({ hasDpop: true, dpopProof: 'this-is-not-a-jwt' }), dpopToken, 'bound_not_enforced', 'malformed'],
    ['DPoP token, DPoP header not a JWT, 401', () => event({ hasDpop: true, dpopProof: 'this-is-not-a-jwt', httpStatus: 401 }), dpopToken, 'proof_invalid', 'malformed'],
    ['DPoP token, two proofs joined in one logged header, 200', () => event({ hasDpop: true, dpopProof: `${proof()}, ${proof()}` }), dpopToken, 'bound_not_enforced', 'multiple_proofs'],
    ['DPoP token, the log counts two DPoP headers, 200', () => event({ hasDpop: true, dpopHeaderCount: 2 }), dpopToken, 'bound_not_enforced', 'multiple_proofs'],
    ['DPoP token, the log counts two DPoP headers, 401', () => event({ hasDpop: true, dpopHeaderCount: 2, httpStatus: 401 }), dpopToken, 'proof_invalid', 'multiple_proofs'],
    // Authorization not logged (no scheme, no token): the proof's own checks still run.
    ['no Authorization logged, valid proof, 200', () => event({ authScheme: null, tokenFingerprint: null, hasDpop: true, dpopProof: proof(key, { ath: undefined }) }), null, 'ok', 'binding_unknown'],
    ['no Authorization logged, alg none proof, 200', () => event({ authScheme: null, tokenFingerprint: null, hasDpop: true, dpopProof: makeProof(key, { htm: 'GET', htu: URL_, iat: IAT }, { alg: 'none' }) }), null, 'bound_not_enforced', 'alg'],
    ['no Authorization logged, proof for another method, 401', () => event({ authScheme: null, tokenFingerprint: null, hasDpop: true, httpStatus: 401, dpopProof: proof(key, { htm: 'POST', ath: undefined }) }), null, 'proof_invalid', 'htm'],
    ['no Authorization logged, DPoP header not a JWT, 200', () => event({ authScheme: null, tokenFingerprint: null, hasDpop: true, dpopProof: 'this-is-not-a-jwt' }), null, 'bound_not_enforced', 'malformed'],
    ['no Authorization logged, two DPoP headers counted, 200', () => event({ authScheme: null, tokenFingerprint: null, hasDpop: true, dpopHeaderCount: 2 }), null, 'bound_not_enforced', 'multiple_proofs'],
    ['no Authorization logged, proof by another key, 200 (cannot be seen without the token)', () => event({ authScheme: null, tokenFingerprint: null, hasDpop: true, dpopProof: proof(other, { ath: undefined }) }), null, 'ok', 'binding_unknown'],
    ['DPoP token, proof by another key, 200', () => event({ hasDpop: true, dpopProof: proof(other) }), dpopToken, 'bound_not_enforced', 'jkt_mismatch'],
    ['DPoP token, proof by another key, 401', () => event({ hasDpop: true, dpopProof: proof(other), httpStatus: 401 }), dpopToken, 'proof_invalid', 'jkt_mismatch'],
    ['DPoP token, proof for another method, 401', () => event({ hasDpop: true, dpopProof: proof(key, { htm: 'POST' }), httpStatus: 401 }), dpopToken, 'proof_invalid', 'htm'],
    ['DPoP token, proof 10 minutes old, 200', () => event({ hasDpop: true, dpopProof: proof(key, { iat: IAT - 600 }) }), dpopToken, 'bound_not_enforced', 'iat'],
    ['DPoP token, ath of another token, 200', () => event({ hasDpop: true, dpopProof: proof(key, { ath: ath('x') }) }), dpopToken, 'bound_not_enforced', 'ath'],
    ['DPoP token, no proof, 200', () => event({ authScheme: 'DPoP' }), dpopToken, 'bound_not_enforced', 'no_proof'],
    ['DPoP token, DPoP scheme but no proof reached the gateway, 401', () => event({ httpStatus: 401 }), dpopToken, 'no_proof_for_bound_token', 'dpop_header_missing'],
    ['DPoP token, Bearer scheme, no proof, 401', () => event({ authScheme: 'Bearer', httpStatus: 401 }), dpopToken, 'proof_invalid', 'bearer_scheme_for_dpop_token'],
    ['DPoP token sent as Bearer, 200', () => event({ authScheme: 'Bearer' }), dpopToken, 'bound_not_enforced', 'bearer_scheme_for_dpop_token'],
    ['DPoP token, proof present but not logged, no source verdict', () => event({ hasDpop: true }), dpopToken, 'ok', 'proof_not_logged'],
    ['DPoP token, a log format without the DPoP header or its presence, 200', () => event({ notLogged: { certificate: false, dpop: true } }), dpopToken, 'ok', 'proof_not_logged'],
    ['mTLS token, a log format without certificate facts, 200', () => event({ authScheme: 'Bearer', notLogged: { certificate: true, dpop: false } }), mtlsToken, 'ok', 'certificate_not_logged'],
    ['DPoP token, proof not logged, source says invalid', () => event({ hasDpop: true, httpStatus: 400, sourceVerdict: { verdict: 'proof_invalid', reason: 'htu' } }), dpopToken, 'proof_invalid', 'htu'],
    ['expired DPoP token accepted', () => event({ hasDpop: true, dpopProof: proof(), occurredAt: new Date('2026-01-10T14:00:00Z') }), dpopToken, 'token_expired', 'accepted_after_expiry'],
    ['mTLS token, matching cert, 200', () => event({ authScheme: 'Bearer', cert: cert() }), mtlsToken, 'ok', null],
    ['mTLS token, other cert, 200', () => event({ authScheme: 'Bearer', cert: cert({ x5tS256: OTHER_X5T }) }), mtlsToken, 'bound_not_enforced', 'x5t_mismatch'],
    ['mTLS token, other cert, 401', () => event({ authScheme: 'Bearer', httpStatus: 401, cert: cert({ x5tS256: OTHER_X5T }) }), mtlsToken, 'binding_mismatch', 'x5t_mismatch'],
    ['mTLS token, no cert, 200', () => event({ authScheme: 'Bearer' }), mtlsToken, 'bound_not_enforced', 'no_certificate'],
    ['mTLS token, no cert, 401', () => event({ authScheme: 'Bearer', httpStatus: 401 }), mtlsToken, 'no_proof_for_bound_token', null],
    ['mTLS token, TLS verified a cert but none was forwarded', () => event({ authScheme: 'Bearer', cert: cert({ x5tS256: null }) }), mtlsToken, 'binding_context_stripped', 'certificate_not_forwarded'],
    ['mTLS token, only NGINX SHA-1 logged', () => event({ authScheme: 'Bearer', cert: cert({ x5tS256: null, sha1Hex: 'a'.repeat(40) }) }), mtlsToken, 'binding_context_stripped', 'fingerprint_not_comparable'],
    // The hop that ended TLS logs the certificate but nothing that gives x5t#S256 (notLogged.thumbprint): nothing was stripped.
    ['mTLS token, the TLS hop logs only a SHA-1', () => event({ authScheme: 'Bearer', cert: cert({ x5tS256: null, sha1Hex: 'a'.repeat(40) }), notLogged: { certificate: false, dpop: false, thumbprint: true } }), mtlsToken, 'ok', 'certificate_not_logged'],
    ['mTLS token, the TLS hop logs DN and serial only', () => event({ authScheme: 'Bearer', cert: cert({ x5tS256: null }), notLogged: { certificate: false, dpop: false, thumbprint: true } }), mtlsToken, 'ok', 'certificate_not_logged'],
    ['mTLS token, the TLS hop logs no thumbprint and verify NONE: no certificate, 200', () => event({ authScheme: 'Bearer', cert: cert({ x5tS256: null, subjectDn: null, issuerDn: null, serial: null, notBefore: null, notAfter: null, verify: 'NONE' }), notLogged: { certificate: false, dpop: false, thumbprint: true } }), mtlsToken, 'bound_not_enforced', 'no_certificate'],
    // The issuer+serial join gave the event a known certificate's x5t#S256: compared as usual.
    ['mTLS token, the TLS hop logs no thumbprint but the join found another certificate, 200', () => event({ authScheme: 'Bearer', cert: cert({ x5tS256: OTHER_X5T }), notLogged: { certificate: false, dpop: false, thumbprint: true } }), mtlsToken, 'bound_not_enforced', 'x5t_mismatch'],
    ['mTLS token, cert expired at request time', () => event({ authScheme: 'Bearer', cert: cert({ notAfter: new Date('2026-01-09') }) }), mtlsToken, 'cert_expired', 'cert_expired'],
    ['mTLS token, cert not yet valid', () => event({ authScheme: 'Bearer', cert: cert({ notBefore: new Date('2026-01-11') }) }), mtlsToken, 'cert_expired', 'cert_not_yet_valid'],
    ['mTLS token, gateway says cert revoked', () => event({ authScheme: 'Bearer', httpStatus: 400, cert: cert({ verify: 'FAILED:certificate revoked' }) }), mtlsToken, 'cert_revoked', 'certificate revoked'],
    ['mTLS token, gateway says untrusted', () => event({ authScheme: 'Bearer', httpStatus: 400, cert: cert({ verify: 'FAILED:unable to get local issuer certificate' }) }), mtlsToken, 'cert_untrusted', 'unable to get local issuer certificate'],
    ['bearer token', () => event({ authScheme: 'Bearer' }), { binding: 'bearer' }, 'bearer_unbound', null],
    ['unknown token with Bearer scheme', () => event({ authScheme: 'Bearer' }), null, 'bearer_unbound', 'binding_unknown'],
    // A certificate record that says none was presented (NGINX NONE, HAProxy ssl_c_used 0) is no certificate.
    ['unknown token with Bearer scheme, gateway logged verify NONE', () => event({ authScheme: 'Bearer', cert: cert({ x5tS256: null, subjectDn: null, issuerDn: null, serial: null, notBefore: null, notAfter: null, verify: 'NONE' }) }), null, 'bearer_unbound', 'binding_unknown'],
    ['unknown token with Bearer scheme and a certificate presented', () => event({ authScheme: 'Bearer', cert: cert() }), null, 'ok', 'binding_unknown'],
    ['DPoP binding from logged JWT claims, other key, 200', () => event({ hasDpop: true, dpopProof: proof(other), tokenClaims: { cnf: { jkt }, exp: IAT + 60 } }), null, 'bound_not_enforced', 'jkt_mismatch'],
    ['mTLS binding from logged JWT claims, matching cert', () => event({ authScheme: 'Bearer', cert: cert(), tokenClaims: { cnf: { 'x5t#S256': X5T } } }), null, 'ok', null],
  ];

  it.each(cases)('%s → %s', async (_name, ev, token, verdict, reason) => {
    const d = await decideVerdict(ev(), token, { replayStore: new MemoryReplayStore() });
    expect({ verdict: d.verdict, reason: d.reason }).toEqual({ verdict, reason });
    expect(d.explanation.length).toBeGreaterThan(10);
  });

  // Issue #16: a failed client certificate was reported as the token's verdict (bearer_unbound
  // for a bearer token), hiding revoked-certificate use. The certificate's verdict wins, whatever the token.
  describe("the gateway's own certificate failure decides the verdict, whatever the token", () => {
    const FAILURES: Array<[string, Verdict, string]> = [
      ['FAILED:certificate revoked', 'cert_revoked', 'certificate revoked'],
      ['FAILED:certificate has expired', 'cert_expired', 'certificate has expired'],
      ['FAILED:certificate is not yet valid', 'cert_expired', 'certificate is not yet valid'],
      ['FAILED:unable to verify the first certificate', 'cert_untrusted', 'unable to verify the first certificate'],
      ['FAILED:self-signed certificate', 'cert_untrusted', 'self-signed certificate'],
      ['FAILED:unable to get certificate CRL', 'cert_untrusted', 'unable to get certificate CRL'],
    ];
    const expiredToken = (t: TokenBindingFacts): TokenBindingFacts => ({ ...t, expiresAt: new Date(AT.getTime() - 60_000) });
    const TOKENS: Array<[string, (verify: string) => NormalizedEvent, TokenBindingFacts | null]> = [
      ['a bearer token', (v) => event({ authScheme: 'Bearer', httpStatus: 400, cert: cert({ verify: v }) }), { binding: 'bearer' }],
      ['a bearer JWT known only by its logged claims', (v) => event({ authScheme: 'Bearer', httpStatus: 400, cert: cert({ verify: v }), tokenClaims: { sub: 'svc', exp: IAT + 60 } }), null],
      ['an mTLS token bound to this very certificate', (v) => event({ authScheme: 'Bearer', httpStatus: 400, cert: cert({ verify: v }) }), mtlsToken],
      ['an mTLS token bound to another certificate', (v) => event({ authScheme: 'Bearer', httpStatus: 400, cert: cert({ verify: v, x5tS256: OTHER_X5T }) }), mtlsToken],
      ['a DPoP token with a valid proof', (v) => event({ httpStatus: 400, hasDpop: true, dpopProof: proof(), cert: cert({ verify: v }) }), dpopToken],
      ['a DPoP token with a thief\'s proof', (v) => event({ httpStatus: 400, hasDpop: true, dpopProof: proof(other), cert: cert({ verify: v }) }), dpopToken],
      ['an expired bearer token', (v) => event({ authScheme: 'Bearer', httpStatus: 400, cert: cert({ verify: v }) }), expiredToken({ binding: 'bearer' })],
      ['an expired mTLS token', (v) => event({ authScheme: 'Bearer', httpStatus: 400, cert: cert({ verify: v }) }), expiredToken(mtlsToken)],
      ['no token at all', (v) => event({ authScheme: null, tokenFingerprint: null, httpStatus: 400, cert: cert({ verify: v }) }), null],
    ];
    const matrix = FAILURES.flatMap(([verify, verdict, reason]) => TOKENS.map(([what, ev, token]) => [verify, what, ev, token, verdict, reason] as const));

    it.each(matrix)('%s with %s → the certificate verdict', async (verify, _what, ev, token, verdict, reason) => {
      const d = await decideVerdict(ev(verify), token, { replayStore: new MemoryReplayStore() });
      expect({ verdict: d.verdict, reason: d.reason }).toEqual({ verdict, reason });
      expect(d.explanation).toBe(VERDICT_WORDS[verdict]);
    });

    // NGINX `ssl_verify_client optional_no_ca` lets an untrusted certificate through to the application.
    it('keeps the certificate verdict when the gateway answered 200 anyway, and says it was accepted', async () => {
      const d = await decideVerdict(event({ authScheme: 'Bearer', httpStatus: 200, cert: cert({ verify: 'FAILED:self-signed certificate' }) }), { binding: 'bearer' });
      expect(d).toMatchObject({ verdict: 'cert_untrusted', reason: 'self-signed certificate', accepted: true });
    });

    it('takes an Envoy-style certificate verdict stated by the parser over a bearer token', async () => {
      const d = await decideVerdict(event({ authScheme: 'Bearer', httpStatus: 403, cert: null, sourceVerdict: { verdict: 'cert_revoked', reason: 'revoked' } }), { binding: 'bearer' });
      expect([d.verdict, d.reason]).toEqual(['cert_revoked', 'revoked']);
    });

    it.each([
      ['a bearer token', { binding: 'bearer' } as TokenBindingFacts],
      ['an mTLS token bound to it', mtlsToken],
      ['an expired token', { binding: 'bearer', expiresAt: new Date(AT.getTime() - 1000) } as TokenBindingFacts],
    ])('a certificate past its notAfter at the event time is cert_expired with %s, though the gateway said SUCCESS', async (_w, token) => {
      const d = await decideVerdict(event({ authScheme: 'Bearer', cert: cert({ notAfter: new Date(AT.getTime() - 1000) }) }), token);
      expect([d.verdict, d.reason]).toEqual(['cert_expired', 'cert_expired']);
    });

    it('does not touch a request whose certificate verified: the token decides', async () => {
      const d = await decideVerdict(event({ authScheme: 'Bearer', cert: cert() }), { binding: 'bearer' });
      expect(d.verdict).toBe('bearer_unbound');
    });
  });

  it('explains a logged alg "none" proof as a forgery attempt, after the verdict\'s own words', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ typ: 'dpop+jwt', alg: 'none' })}.${b64({ jti: randomUUID(), htm: 'GET', htu: URL_, iat: IAT })}.`;
    const d = await decideVerdict(event({ hasDpop: true, dpopProof: none, httpStatus: 401 }), dpopToken);
    expect([d.verdict, d.reason]).toEqual(['proof_invalid', 'alg']);
    expect(d.explanation).toMatch(/^The DPoP proof failed verification\. The proof declares alg "none": it is unsigned/);
  });

  it('flags a proof replayed in a later log line (same jti, same URI) as proof_invalid: jti_replay', async () => {
    const store = new MemoryReplayStore();
    const p = proof();
    expect((await decideVerdict(event({ hasDpop: true, dpopProof: p }), dpopToken, { replayStore: store })).verdict).toBe('ok');
    const again = await decideVerdict(event({ hasDpop: true, dpopProof: p, occurredAt: new Date(AT.getTime() + 5000) }), dpopToken, { replayStore: store });
    expect([again.verdict, again.reason]).toEqual(['bound_not_enforced', 'jti_replay']);
  });
});

describe('claims read by a format that logs one cnf member but not the other (notLogged.cnf)', () => {
  const claims = { client_id: 'svc-a', exp: Math.floor(AT.getTime() / 1000) + 600 };
  it.each([
    ['DPoP scheme: judged as DPoP-bound, not bearer', { authScheme: 'DPoP', hasDpop: true }, { cnf: true }, 'ok', 'proof_not_logged'],
    ['Bearer scheme, no certificate: binding unknown, not a bearer token', { authScheme: 'Bearer' }, { cnf: true }, 'bearer_unbound', 'binding_unknown'],
    ['the same claims from a format that logs both members: a bearer token', { authScheme: 'DPoP', hasDpop: true }, undefined, 'bearer_unbound', null],
  ] as const)('%s', async (_name, over, cnf, verdict, reason) => {
    const notLogged = cnf ? { certificate: false, dpop: false, ...cnf } : null;
    const d = await decideVerdict(event({ ...over, tokenClaims: claims, notLogged }), null);
    expect({ verdict: d.verdict, reason: d.reason }).toEqual({ verdict, reason });
  });

  it('the token already known keeps its binding: the claims are not read', async () => {
    const d = await decideVerdict(event({ authScheme: 'Bearer', tokenClaims: claims, notLogged: { certificate: false, dpop: false, cnf: true } }), { binding: 'dpop', cnfJkt: 'j' });
    expect(d).toMatchObject({ verdict: 'bound_not_enforced', reason: 'bearer_scheme_for_dpop_token' });
  });
});
