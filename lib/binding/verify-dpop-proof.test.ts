import { generateKeyPairSync, randomUUID } from 'node:crypto';
import * as dpopLib from 'dpop';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import type { DpopFailureReason } from '../domain/types.ts';
import { KeyCache } from './key-cache.ts';
import { MemoryReplayStore } from './replay-store.ts';
import { rfcErrorFor } from './rfc-error.ts';
import { ath, ecKey, forgeAlg, makeProof } from './testing/proofs.ts';
import { verifyDpopProof, type VerifyDpopProofInput } from './verify-dpop-proof.ts';
import { explainDpop } from './words.ts';

const RFC_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';
const RFC_IAT = 1562262616;
const RFC_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

const at = (seconds: number) => () => seconds * 1000;

describe('RFC 9449 vectors', () => {
  it('verifies the §4.1 token-request proof at its own iat with an injected clock', async () => {
    const r = await verifyDpopProof(
      { proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token' },
      { now: at(RFC_IAT), replayStore: new MemoryReplayStore() },
    );
    expect(r.reason).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.jkt).toBe(RFC_JKT);
    expect(r.checks.map((c) => c.name)).toEqual([
      'single_header', 'well_formed', 'typ', 'alg', 'no_private_key', 'signature', 'htm', 'htu', 'nonce', 'iat', 'ath', 'jkt', 'jti',
    ]);
  });

  it('rejects the §4.1 proof 301 s after its iat with reason iat', async () => {
    const r = await verifyDpopProof({ proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token' }, { now: at(RFC_IAT + 301) });
    expect(r.reason).toBe('iat');
    expect(r.rfcError).toBe('invalid_dpop_proof');
  });

  it('accepts the §4.1 proof 300 s after its iat (window edge)', async () => {
    const r = await verifyDpopProof({ proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token' }, { now: at(RFC_IAT + 300) });
    expect(r.ok).toBe(true);
  });

  it('rejects the §4.1 proof when its iat is 6 s in the future (skew 5 s)', async () => {
    const r = await verifyDpopProof({ proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token' }, { now: at(RFC_IAT - 6) });
    expect(r.reason).toBe('iat');
  });

  it('honours a configured window', async () => {
    const r = await verifyDpopProof(
      { proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token' },
      { now: at(RFC_IAT + 61), config: { maxAgeSeconds: 60 } },
    );
    expect(r.reason).toBe('iat');
  });

  it('matches the §4.1 htu after normalisation (host case, default port)', async () => {
    const r = await verifyDpopProof({ proof: RFC_PROOF, method: 'POST', url: 'HTTPS://SERVER.example.com:443/token?x=1' }, { now: at(RFC_IAT) });
    expect(r.ok).toBe(true);
  });

  it('§4.1 proof with a tampered signature fails with reason signature', async () => {
    const parts = RFC_PROOF.split('.');
    const sig = Buffer.from(parts[2]!, 'base64url');
    sig[10] = (sig[10] ?? 0) ^ 1;
    const bad = `${parts[0]}.${parts[1]}.${sig.toString('base64url')}`;
    const r = await verifyDpopProof({ proof: bad, method: 'POST', url: 'https://server.example.com/token' }, { now: at(RFC_IAT) });
    expect(r.reason).toBe('signature');
  });

  it('computes ath fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo for the §7.1 access token', async () => {
    expect(ath('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
    const key = ecKey();
    const proof = makeProof(key, { htm: 'GET', htu: 'https://resource.example.org/protectedresource', ath: 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo' });
    const r = await verifyDpopProof({
      proof,
      method: 'GET',
      url: 'https://resource.example.org/protectedresource',
      accessToken: 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU',
    });
    expect(r.ok).toBe(true);
  });

  it('the §11.1 replay: the same jti at a different iat for the same URI is a replay within the window', async () => {
    const key = ecKey();
    const store = new MemoryReplayStore();
    const now = Math.floor(Date.now() / 1000);
    const a = makeProof(key, { jti: 'same', htm: 'POST', htu: 'https://as.example/token', iat: now - 10 });
    const b = makeProof(key, { jti: 'same', htm: 'POST', htu: 'https://as.example/token', iat: now });
    const base = { method: 'POST', url: 'https://as.example/token' };
    expect((await verifyDpopProof({ ...base, proof: a }, { replayStore: store })).ok).toBe(true);
    expect((await verifyDpopProof({ ...base, proof: b }, { replayStore: store })).reason).toBe('jti_replay');
    // Per target URI: the same jti for another URI is not a replay.
    const c = makeProof(key, { jti: 'same', htm: 'POST', htu: 'https://as.example/other' });
    expect((await verifyDpopProof({ proof: c, method: 'POST', url: 'https://as.example/other' }, { replayStore: store })).ok).toBe(true);
  });
});

describe('each §4.3 check fails with its own reason (hand-made faults)', () => {
  const key = ecKey();
  const other = ecKey();
  const htu = 'https://api.example.com/v1/things';
  const token = 'opaque-access-token-' + randomUUID();
  const good = () => ({ htm: 'GET', htu, ath: ath(token) });
  const input = (proof: string | string[], extra: Partial<VerifyDpopProofInput> = {}): VerifyDpopProofInput => ({
    proof, method: 'GET', url: htu, accessToken: token, expectedJkt: null, ...extra,
  });
  const jktOf = async () => (await verifyDpopProof(input(makeProof(key, good())))).jkt!;

  const cases: Array<[string, () => Promise<VerifyDpopProofInput>, DpopFailureReason]> = [
    ['two DPoP headers', async () => input([makeProof(key, good()), makeProof(key, good())]), 'multiple_proofs'],
    ['two proofs in one header, as Apache logs repeated headers', async () => input(`${makeProof(key, good())}, ${makeProof(key, good())}`), 'multiple_proofs'],
    ['no DPoP header value', async () => input([]), 'malformed'],
    ['not a JWT', async () => input('abc.def'), 'malformed'],
    ['missing jti', async () => input(makeProof(key, { ...good(), jti: undefined })), 'malformed'],
    ['iat as a string', async () => input(makeProof(key, { ...good(), iat: '1700000000' })), 'malformed'],
    ['typ "JWT"', async () => input(makeProof(key, good(), { typ: 'JWT' })), 'typ'],
    ['typ missing', async () => input(makeProof(key, good(), { typ: undefined })), 'typ'],
    ['alg "none"', async () => input(makeProof(key, good(), { alg: 'none' })), 'alg'],
    ['alg HS256', async () => input(makeProof(key, good(), { alg: 'HS256' })), 'alg'],
    ['alg RS256 with an EC key', async () => input(makeProof(key, good(), { alg: 'RS256' })), 'alg'],
    ['a private key (d) in jwk', async () => input(makeProof(key, good(), { jwk: key.privateJwk })), 'private_key_in_jwk'],
    ['a symmetric (oct) jwk', async () => input(makeProof(key, good(), { jwk: { kty: 'oct', k: 'GawgguFyGrWKav7AX4VKUg' } })), 'private_key_in_jwk'],
    ['a 1024-bit RSA key', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const weak = { privateKey, publicJwk: publicKey.export({ format: 'jwk' }) as Record<string, string>, privateJwk: {} };
      return input(makeProof(weak, good(), { alg: 'RS256' }, 'RS256'));
    }, 'alg'],
    ['signed by another key than its jwk', async () => input(makeProof(other, good(), { jwk: key.publicJwk })), 'signature'],
    ['htm POST for a GET', async () => input(makeProof(key, { ...good(), htm: 'POST' })), 'htm'],
    ['htu for another path', async () => input(makeProof(key, { ...good(), htu: 'https://api.example.com/v1/other' })), 'htu'],
    ['htu for another host', async () => input(makeProof(key, { ...good(), htu: 'https://evil.example.com/v1/things' })), 'htu'],
    ['no nonce when the server requires one', async () => input(makeProof(key, good()), { expectedNonce: 'n-1' }), 'nonce'],
    ['a stale nonce', async () => input(makeProof(key, { ...good(), nonce: 'n-0' }), { expectedNonce: 'n-1' }), 'nonce'],
    ['iat 301 s old', async () => input(makeProof(key, { ...good(), iat: Math.floor(Date.now() / 1000) - 301 })), 'iat'],
    ['iat 60 s in the future', async () => input(makeProof(key, { ...good(), iat: Math.floor(Date.now() / 1000) + 60 })), 'iat'],
    ['no ath with an access token', async () => input(makeProof(key, { htm: 'GET', htu })), 'ath'],
    ['ath of another token', async () => input(makeProof(key, { ...good(), ath: ath('other') })), 'ath'],
    ['a key other than cnf.jkt', async () => input(makeProof(other, good()), { expectedJkt: await jktOf() }), 'jkt_mismatch'],
    ['a DPoP-bound token sent as Bearer', async () => input(makeProof(key, good()), { expectedJkt: await jktOf(), authScheme: 'Bearer' }), 'bearer_scheme_for_dpop_token'],
  ];

  it.each(cases)('rejects %s with reason %s', async (_name, build, reason) => {
    const r = await verifyDpopProof(await build(), { replayStore: new MemoryReplayStore() });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(reason);
    expect(r.rfcError).toBe(rfcErrorFor(reason));
    expect(r.checks.at(-1)?.ok === false || r.checks.some((c) => !c.ok)).toBe(true);
  });

  it('maps reasons to RFC error codes: nonce → use_dpop_nonce, jkt/scheme → invalid_token', () => {
    expect(rfcErrorFor('nonce')).toBe('use_dpop_nonce');
    expect(rfcErrorFor('jkt_mismatch')).toBe('invalid_token');
    expect(rfcErrorFor('bearer_scheme_for_dpop_token')).toBe('invalid_token');
    expect(rfcErrorFor('htu')).toBe('invalid_dpop_proof');
  });

  it('does not remember the jti of a rejected proof', async () => {
    const store = new MemoryReplayStore();
    const jti = randomUUID();
    const bad = makeProof(key, { ...good(), jti, htm: 'POST' });
    expect((await verifyDpopProof(input(bad), { replayStore: store })).reason).toBe('htm');
    expect(store.size).toBe(0);
  });

  it('a cached header does not excuse a bad signature or an alg the caller disallows', async () => {
    const cache = new KeyCache();
    const first = makeProof(key, good());
    expect((await verifyDpopProof(input(first), { keyCache: cache })).ok).toBe(true);
    const [h, p] = makeProof(key, good()).split('.');
    const forged = `${h}.${p}.${first.split('.')[2]}`; // same header, another payload, old signature
    expect((await verifyDpopProof(input(forged), { keyCache: cache })).reason).toBe('signature');
    const again = makeProof(key, good());
    expect((await verifyDpopProof(input(again), { keyCache: cache, config: { allowedAlgs: ['EdDSA'] } })).reason).toBe('alg');
  });

  it('a header rejected on its own bytes is rejected the same way again, and a bad payload still comes first', async () => {
    const cache = new KeyCache();
    const badJwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' };
    const first = await verifyDpopProof(input(makeProof(key, good(), { jwk: badJwk })), { keyCache: cache });
    const second = await verifyDpopProof(input(makeProof(key, good(), { jwk: badJwk })), { keyCache: cache });
    expect(first.reason).toBe('malformed');
    expect(first.checks.at(-1)?.name).toBe('jwk');
    expect(second).toEqual({ ...first, claims: second.claims });
    // Same header, payload without jti: the payload check still decides.
    const noJti = await verifyDpopProof(input(makeProof(key, { ...good(), jti: undefined }, { jwk: badJwk })), { keyCache: cache });
    expect(noJti.checks.at(-1)).toMatchObject({ name: 'well_formed', ok: false });
    // A header rejected for its alg under one configuration is judged afresh under another.
    const rs = makeProof(key, good(), { alg: 'RS256' });
    expect((await verifyDpopProof(input(rs), { keyCache: cache, config: { allowedAlgs: ['ES256'] } })).checks.at(-1)?.detail).toMatch(/not allowed/);
    expect((await verifyDpopProof(input(rs), { keyCache: cache })).checks.at(-1)?.detail).toMatch(/does not fit/);
  });

  it('accepts a path-only URL (as some gateways log) by comparing paths', async () => {
    const r = await verifyDpopProof(input(makeProof(key, good()), { url: '/v1/things' }));
    expect(r.ok).toBe(true);
    expect(r.checks.find((c) => c.name === 'htu')?.detail).toContain('path');
  });

  it('imports a key once per thumbprint and reuses it (bounded LRU)', async () => {
    const cache = new KeyCache(2);
    for (let i = 0; i < 5; i++) await verifyDpopProof(input(makeProof(key, good())), { keyCache: cache });
    expect(cache.imports).toBe(1);
    expect(cache.hits).toBe(4);
    await verifyDpopProof(input(makeProof(other, good())), { keyCache: cache });
    await verifyDpopProof(input(makeProof(ecKey(), good())), { keyCache: cache });
    expect(cache.size).toBe(2);
  });
});

describe('interop with real DPoP clients', () => {
  const htu = 'https://rs.example.com/api/items';
  const token = 'tok-' + randomUUID();

  it.each(['ES256', 'PS256', 'RS256', 'Ed25519'] as const)('the dpop package: a %s proof verifies, including ath and cnf.jkt', async (alg) => {
    const kp = await dpopLib.generateKeyPair(alg);
    const jkt = await dpopLib.calculateThumbprint(kp.publicKey);
    const proof = await dpopLib.generateProof(kp, htu, 'GET', undefined, token);
    const r = await verifyDpopProof(
      { proof, method: 'GET', url: htu, accessToken: token, expectedJkt: jkt, authScheme: 'DPoP' },
      { replayStore: new MemoryReplayStore() },
    );
    expect(r.reason).toBeNull();
    expect(r.jkt).toBe(jkt);
  });

  describe('the dpop package: deliberate faults', () => {
    const faults: Array<[string, DpopFailureReason, (kp: dpopLib.KeyPair, other: dpopLib.KeyPair) => Promise<VerifyDpopProofInput & { replayTwice?: boolean; nowShift?: number }>]> = [
      ['wrong key (not cnf.jkt)', 'jkt_mismatch', async (kp, other) => ({
        proof: await dpopLib.generateProof(other, htu, 'GET', undefined, token), method: 'GET', url: htu, accessToken: token, expectedJkt: await dpopLib.calculateThumbprint(kp.publicKey),
      })],
      ['wrong method', 'htm', async (kp) => ({ proof: await dpopLib.generateProof(kp, htu, 'POST', undefined, token), method: 'GET', url: htu, accessToken: token })],
      ['wrong URL', 'htu', async (kp) => ({ proof: await dpopLib.generateProof(kp, 'https://rs.example.com/api/other', 'GET', undefined, token), method: 'GET', url: htu, accessToken: token })],
      ['stale iat (verified 10 minutes later)', 'iat', async (kp) => ({ proof: await dpopLib.generateProof(kp, htu, 'GET', undefined, token), method: 'GET', url: htu, accessToken: token, nowShift: 600 })],
      ['reused jti', 'jti_replay', async (kp) => ({ proof: await dpopLib.generateProof(kp, htu, 'GET', undefined, token), method: 'GET', url: htu, accessToken: token, replayTwice: true })],
      ['ath for another token', 'ath', async (kp) => ({ proof: await dpopLib.generateProof(kp, htu, 'GET', undefined, 'another-token'), method: 'GET', url: htu, accessToken: token })],
      ['Bearer scheme', 'bearer_scheme_for_dpop_token', async (kp) => ({
        proof: await dpopLib.generateProof(kp, htu, 'GET', undefined, token), method: 'GET', url: htu, accessToken: token, expectedJkt: await dpopLib.calculateThumbprint(kp.publicKey), authScheme: 'Bearer',
      })],
      ['missing nonce', 'nonce', async (kp) => ({ proof: await dpopLib.generateProof(kp, htu, 'GET', undefined, token), method: 'GET', url: htu, accessToken: token, expectedNonce: 'server-nonce' })],
      ['wrong nonce', 'nonce', async (kp) => ({ proof: await dpopLib.generateProof(kp, htu, 'GET', 'old-nonce', token), method: 'GET', url: htu, accessToken: token, expectedNonce: 'server-nonce' })],
    ];
    it.each(faults)('%s → %s', async (_name, reason, build) => {
      const kp = await dpopLib.generateKeyPair('ES256');
      const other = await dpopLib.generateKeyPair('ES256');
      const { replayTwice, nowShift, ...inp } = await build(kp, other);
      const store = new MemoryReplayStore();
      const deps = { replayStore: store, now: () => Date.now() + (nowShift ?? 0) * 1000 };
      if (replayTwice) expect((await verifyDpopProof(inp, deps)).ok).toBe(true);
      const r = await verifyDpopProof(inp, deps);
      expect(r.reason).toBe(reason);
    });
    it('a correct nonce passes', async () => {
      const kp = await dpopLib.generateKeyPair('ES256');
      const proof = await dpopLib.generateProof(kp, htu, 'GET', 'server-nonce', token);
      expect((await verifyDpopProof({ proof, method: 'GET', url: htu, accessToken: token, expectedNonce: 'server-nonce' })).ok).toBe(true);
    });
  });

  async function oauth4webapiProof(keyPair: CryptoKeyPair, method: string, url: string, accessToken: string, nonce?: string): Promise<string> {
    let captured: string | null = null;
    const handle = oauth.DPoP({}, keyPair);
    if (nonce) {
      // Teach the handle the server nonce the way a server would: via a DPoP-Nonce response header.
      await oauth.protectedResourceRequest(accessToken, method, new URL(url), new Headers(), null, {
        DPoP: handle,
        [oauth.customFetch]: async () => new Response(null, { status: 200, headers: { 'DPoP-Nonce': nonce } }),
      });
    }
    await oauth.protectedResourceRequest(accessToken, method, new URL(url), new Headers(), null, {
      DPoP: handle,
      [oauth.customFetch]: async (_u, init) => {
        captured = new Headers(init.headers).get('dpop');
        return new Response('{}', { status: 200 });
      },
    });
    if (!captured) throw new Error('oauth4webapi sent no DPoP header');
    return captured;
  }

  it.each(['ES256', 'PS256', 'Ed25519'] as const)('oauth4webapi: a %s resource-request proof verifies with ath and cnf.jkt', async (alg) => {
    const keyPair = await oauth.generateKeyPair(alg);
    const jkt = await oauth.DPoP({}, keyPair).calculateThumbprint();
    const proof = await oauth4webapiProof(keyPair, 'GET', htu, token);
    const r = await verifyDpopProof({ proof, method: 'GET', url: htu, accessToken: token, expectedJkt: jkt, authScheme: 'DPoP' }, { replayStore: new MemoryReplayStore() });
    expect(r.reason).toBeNull();
  });

  it('oauth4webapi: a proof carrying the server nonce passes the nonce check', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const proof = await oauth4webapiProof(keyPair, 'GET', htu, token, 'nonce-123');
    const r = await verifyDpopProof({ proof, method: 'GET', url: htu, accessToken: token, expectedNonce: 'nonce-123' });
    expect(r.reason).toBeNull();
    expect(r.checks.find((c) => c.name === 'nonce')).toMatchObject({ ok: true });
  });

  it.each<[string, DpopFailureReason, Partial<VerifyDpopProofInput>]>([
    ['wrong method', 'htm', { method: 'DELETE' }],
    ['wrong URL', 'htu', { url: 'https://rs.example.com/api/items/1' }],
    ['another access token', 'ath', { accessToken: 'not-the-token' }],
    ['a different cnf.jkt', 'jkt_mismatch', { expectedJkt: RFC_JKT }],
    ['the server now wants a nonce', 'nonce', { expectedNonce: 'fresh' }],
  ])('oauth4webapi: %s → %s', async (_name, reason, override) => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const proof = await oauth4webapiProof(keyPair, 'GET', htu, token);
    const r = await verifyDpopProof({ proof, method: 'GET', url: htu, accessToken: token, ...override });
    expect(r.reason).toBe(reason);
  });

  it('oauth4webapi: stale iat (verified 10 minutes later) → iat', async () => {
    const proof = await oauth4webapiProof(await oauth.generateKeyPair('ES256'), 'GET', htu, token);
    const r = await verifyDpopProof({ proof, method: 'GET', url: htu, accessToken: token }, { now: () => Date.now() + 600_000 });
    expect(r.reason).toBe('iat');
  });

  it('oauth4webapi: the same proof twice → jti_replay', async () => {
    const proof = await oauth4webapiProof(await oauth.generateKeyPair('ES256'), 'GET', htu, token);
    const deps = { replayStore: new MemoryReplayStore() };
    expect((await verifyDpopProof({ proof, method: 'GET', url: htu, accessToken: token }, deps)).ok).toBe(true);
    expect((await verifyDpopProof({ proof, method: 'GET', url: htu, accessToken: token }, deps)).reason).toBe('jti_replay');
  });

  it('oauth4webapi: its DPoP-bound token sent with the Bearer scheme → bearer_scheme_for_dpop_token', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const jkt = await oauth.DPoP({}, keyPair).calculateThumbprint();
    const proof = await oauth4webapiProof(keyPair, 'GET', htu, token);
    const r = await verifyDpopProof({ proof, method: 'GET', url: htu, accessToken: token, expectedJkt: jkt, authScheme: 'Bearer' });
    expect(r.reason).toBe('bearer_scheme_for_dpop_token');
  });
});

// Issue #16: `alg: none` proofs were reported as `malformed` (their empty signature failed the
// well-formedness check before alg was looked at). RFC 9449 §4.3 check 5 names it: reason `alg`,
// with the algorithm named in the check detail. Real proofs from the `dpop` package, re-headed
// the way an attacker does it.
describe('alg refusals name the algorithm (real proofs, re-headed)', () => {
  const htu = 'https://rs.example.com/api/items';
  const token = 'tok-' + randomUUID();
  const real = async () => dpopLib.generateProof(await dpopLib.generateKeyPair('ES256'), htu, 'GET', undefined, token);

  const cases: Array<[string, Parameters<typeof forgeAlg>[1], RegExp]> = [
    ['alg "none", unsigned, its jwk kept', { alg: 'none' }, /^alg "none" is not allowed: an unsigned proof/],
    ['alg "none", unsigned, no jwk at all', { alg: 'none', jwk: 'drop' }, /^alg "none" is not allowed: an unsigned proof/],
    ['alg "HS256", HMAC under an oct jwk', { alg: 'HS256', jwk: 'oct' }, /^alg "HS256" is not allowed: symmetric \(HMAC\)/],
    ['alg "HS512", HMAC, the public jwk kept', { alg: 'HS512' }, /^alg "HS512" is not allowed: symmetric \(HMAC\)/],
    ['alg "HS384", HMAC, no jwk', { alg: 'HS384', jwk: 'drop' }, /^alg "HS384" is not allowed: symmetric/],
    ['an unknown alg "ES256K"', { alg: 'ES256K' }, /^alg "ES256K" is not allowed: not an algorithm known for DPoP proofs/],
    ['an unknown alg "XYZ-9"', { alg: 'XYZ-9', jwk: 'drop' }, /^alg "XYZ-9" is not allowed: not an algorithm known/],
    ['alg as a number', { alg: 256 }, /^alg missing or not a string: \(number\)/],
    ['alg missing', { alg: undefined }, /^alg missing or not a string: \(absent\)/],
  ];

  it.each(cases)('%s → proof_invalid reason alg, named in the check detail', async (_name, forge, detail) => {
    const proof = forgeAlg(await real(), forge);
    const r = await verifyDpopProof({ proof, method: 'GET', url: htu, accessToken: token }, { keyCache: new KeyCache() });
    expect({ ok: r.ok, reason: r.reason, rfcError: r.rfcError }).toEqual({ ok: false, reason: 'alg', rfcError: 'invalid_dpop_proof' });
    const failed = r.checks.filter((c) => !c.ok);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ name: 'alg' });
    expect(failed[0]!.detail).toMatch(detail);
    expect(r.checks.map((c) => c.name)).toEqual(['single_header', 'well_formed', 'typ', 'alg']);
  });

  it('an alg "none" header seen again (from the rejected-header cache) is still named', async () => {
    const cache = new KeyCache();
    const kp = await dpopLib.generateKeyPair('ES256');
    const a = forgeAlg(await dpopLib.generateProof(kp, htu, 'GET', undefined, token), { alg: 'none' });
    const b = forgeAlg(await dpopLib.generateProof(kp, htu, 'GET', undefined, token), { alg: 'none' });
    expect(a.split('.')[0]).toBe(b.split('.')[0]);
    const first = await verifyDpopProof({ proof: a, method: 'GET', url: htu }, { keyCache: cache });
    const second = await verifyDpopProof({ proof: b, method: 'GET', url: htu }, { keyCache: cache });
    expect(second).toMatchObject({ reason: 'alg', alg: 'none' });
    expect(second.checks).toEqual(first.checks);
  });

  it('says in words that alg "none" and HMAC are forgery attempts, naming the algorithm', async () => {
    const none = await verifyDpopProof({ proof: forgeAlg(await real(), { alg: 'none' }), method: 'GET', url: htu });
    expect(none.alg).toBe('none');
    expect(explainDpop(none.reason, none.alg)).toMatch(/alg "none".*unsigned.*forge/);
    const hs = await verifyDpopProof({ proof: forgeAlg(await real(), { alg: 'HS256', jwk: 'oct' }), method: 'GET', url: htu });
    expect(explainDpop(hs.reason, hs.alg)).toMatch(/"HS256" \(HMAC\).*never a shared secret/);
    expect(explainDpop('alg', 'ES256K')).toMatch(/alg "ES256K"/);
  });

  it('an allowed alg with an empty signature fails the signature check, not well-formedness', async () => {
    const [h, p] = (await real()).split('.');
    const r = await verifyDpopProof({ proof: `${h}.${p}.`, method: 'GET', url: htu });
    expect(r.reason).toBe('signature');
  });

  it('a real client\'s untouched proof names its alg and passes', async () => {
    const r = await verifyDpopProof({ proof: await real(), method: 'GET', url: htu, accessToken: token });
    expect(r).toMatchObject({ ok: true, alg: 'ES256' });
  });
});
