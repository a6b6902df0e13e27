import { randomUUID } from 'node:crypto';
import * as dpopLib from 'dpop';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BindingError } from './errors.ts';
import { KeyCache } from './key-cache.ts';
import { MemoryReplayStore } from './replay-store.ts';
import { createPki, type OpensslPki } from './testing/openssl.ts';
import { verifyDpopRequest, verifyMtlsRequest } from './verify-request.ts';
import { thumbprintCert } from './certificate-thumbprint.ts';
import { thumbprintJwk } from './jwk-thumbprint.ts';

const RFC_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';

const deps = () => ({ replayStore: new MemoryReplayStore(), keyCache: new KeyCache() });

describe('verifyDpopRequest (CLI/API contract)', () => {
  // The token's binding comes from bindingOfClaims alone: a cnf.jkt next to x5t#S256 does not make it DPoP-bound.
  it('reports a JWT carrying both cnf members as bearer (the anomaly), still checking the proof against its jkt', async () => {
    const kp = await dpopLib.generateKeyPair('ES256');
    const jkt = await dpopLib.calculateThumbprint(kp.publicKey);
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ cnf: { jkt, 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0' }, sub: 'svc' }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const url = 'https://rs.example.com/x';
    const r = await verifyDpopRequest({ proof: await dpopLib.generateProof(kp, url, 'GET', undefined, token), method: 'GET', url, token, authScheme: 'DPoP' }, deps());
    expect(r).toMatchObject({ ok: true, jkt, tokenBinding: 'bearer' });
  });

  it('explains an alg "none" proof as a forgery attempt', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const proof = `${b64({ typ: 'dpop+jwt', alg: 'none' })}.${b64({ jti: randomUUID(), htm: 'GET', htu: 'https://rs.example.com/x', iat: Math.floor(Date.now() / 1000) })}.`;
    const r = await verifyDpopRequest({ proof, method: 'GET', url: 'https://rs.example.com/x' }, deps());
    expect(r).toMatchObject({ ok: false, reason: 'alg', rfcError: 'invalid_dpop_proof', jkt: '' });
    expect(r.checks.at(-1)).toMatchObject({ name: 'alg', ok: false, detail: expect.stringContaining('alg "none"') });
    expect(r.explanation).toMatch(/alg "none".*unsigned/);
  });

  it('returns exactly the contract fields for the RFC 9449 §4.1 proof with --now', async () => {
    const r = await verifyDpopRequest({ proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token', nowSeconds: 1562262616 }, deps());
    expect(r).toMatchObject({ ok: true, reason: null, jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' });
    expect(typeof r.explanation).toBe('string');
    for (const c of r.checks) expect(Object.keys(c).sort()).toEqual(expect.arrayContaining(['detail', 'name', 'ok']));
  });

  it('reads cnf.jkt from a JWT token and never echoes the token or proof', async () => {
    const kp = await dpopLib.generateKeyPair('ES256');
    const otherKp = await dpopLib.generateKeyPair('ES256');
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ cnf: { jkt: await dpopLib.calculateThumbprint(kp.publicKey) }, sub: 'svc' }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const url = 'https://rs.example.com/x';
    const good = await dpopLib.generateProof(kp, url, 'GET', undefined, token);
    const ok = await verifyDpopRequest({ proof: good, method: 'GET', url, token, authScheme: 'DPoP' }, deps());
    expect(ok).toMatchObject({ ok: true, tokenBinding: 'dpop' });
    const bad = await dpopLib.generateProof(otherKp, url, 'GET', undefined, token);
    const r = await verifyDpopRequest({ proof: bad, method: 'GET', url, token }, deps());
    expect(r).toMatchObject({ ok: false, reason: 'jkt_mismatch', rfcError: 'invalid_token' });
    const out = JSON.stringify([ok, r]);
    expect(out).not.toContain(token);
    expect(out).not.toContain(good);
    expect(out).not.toContain(bad);
  });

  it('without an injected replay store, re-checking the same proof stays ok and says jti was not checked', async () => {
    const input = { proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token', nowSeconds: 1562262616 };
    const first = await verifyDpopRequest(input);
    const second = await verifyDpopRequest(input);
    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(second.checks.find((c) => c.name === 'jti')).toMatchObject({ ok: true, skipped: true });
  });

  it('with an injected replay store, the second use of a proof is jti_replay', async () => {
    const d = deps();
    const input = { proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token', nowSeconds: 1562262616 };
    expect((await verifyDpopRequest(input, d)).ok).toBe(true);
    expect((await verifyDpopRequest(input, d)).reason).toBe('jti_replay');
  });

  it('returns jkt "" and reason malformed for garbage', async () => {
    const r = await verifyDpopRequest({ proof: 'garbage', method: 'GET', url: 'https://x/' }, deps());
    expect(r).toMatchObject({ ok: false, reason: 'malformed', jkt: '' });
  });

  it('throws BindingError input_invalid when method or url is missing (CLI exit 2)', async () => {
    await expect(verifyDpopRequest({ proof: RFC_PROOF, method: '', url: 'https://x/' })).rejects.toMatchObject({ code: 'input_invalid' });
    await expect(verifyDpopRequest({ proof: RFC_PROOF, method: 'GET', url: '' })).rejects.toBeInstanceOf(BindingError);
  });
});

describe('verifyMtlsRequest and thumbprint (CLI/API contract)', () => {
  let pki: OpensslPki;
  let pem: string;
  let shell: string;
  let otherPem: string;
  beforeAll(() => {
    pki = createPki();
    const ca = pki.makeCa('req-ca');
    const leaf = pki.makeLeaf('req-leaf', ca);
    pem = pki.read(leaf.cert);
    shell = pki.x5tByShell(leaf.cert);
    otherPem = pki.read(pki.makeLeaf('req-other', ca).cert);
  });
  afterAll(() => pki.cleanup());

  it('thumbprintCert returns { x5tS256 } equal to the openssl pipeline', () => {
    expect(thumbprintCert(pem)).toEqual({ x5tS256: shell });
  });

  it('thumbprintJwk returns { jkt }', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    expect(thumbprintJwk(JSON.stringify(await exportJWK(publicKey))).jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts the bound certificate given --x5t', async () => {
    const r = await verifyMtlsRequest({ cert: pem, x5t: shell });
    expect(r).toMatchObject({ ok: true, reason: null, x5tS256: shell });
  });

  it('reads cnf x5t#S256 from a JWT token and rejects another certificate with x5t_mismatch', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ cnf: { 'x5t#S256': shell } }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const r = await verifyMtlsRequest({ certPem: otherPem, token });
    expect(r).toMatchObject({ ok: false, reason: 'x5t_mismatch', tokenBinding: 'mtls' });
    expect(JSON.stringify(r)).not.toContain(token);
  });

  it('reports no_cnf for a token that is not certificate-bound', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ sub: randomUUID() }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const r = await verifyMtlsRequest({ cert: pem, token });
    expect(r).toMatchObject({ ok: false, reason: 'no_cnf' });
  });

  it('throws input_invalid without a certificate', async () => {
    await expect(verifyMtlsRequest({ x5t: shell })).rejects.toMatchObject({ code: 'input_invalid' });
  });
});
