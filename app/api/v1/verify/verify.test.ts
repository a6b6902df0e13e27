// POST /api/v1/verify/dpop and /verify/mtls, called as handlers with real Requests against a
// registered test database: verdicts, checks, explanations, 422/413 problems, and that neither
// the token nor the proof ever comes back in a response body.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@/lib/auth/api-keys.ts';
import { fingerprintToken } from '@/lib/binding/index.ts';
import { ath, ecKey, makeProof } from '@/lib/binding/testing/proofs.ts';
import { createPki, type OpensslPki } from '@/lib/binding/testing/openssl.ts';
import { registerDatabase } from '@/lib/server/database.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '@/lib/testing/databases.ts';
import { POST as postDpop } from './dpop/route.ts';
import { POST as postMtls } from './mtls/route.ts';

const RFC_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';
const RFC_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const RFC_IAT = 1562262616;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** An access-token JWT carrying a cnf (the signature is not checked by verify). */
const jwt = (cnf: Record<string, string>) =>
  `${b64({ alg: 'RS256', typ: 'at+jwt' })}.${b64({ sub: 'svc-payments', iat: 1_700_000_000, exp: 4_000_000_000, cnf, jti: 'tok-1' })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;

for (const runtime of RUNTIMES) {
  describe(`POST /api/v1/verify/* on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    let key = '';
    let pki: OpensslPki;
    let certPem = '';
    let certX5t = '';
    let otherX5t = '';

    const post = async (handler: typeof postDpop, body: unknown, headers: Record<string, string> = {}) => {
      const res = await handler(
        new Request('http://localhost:3000/api/v1/verify', {
          method: 'POST',
          headers: { host: 'localhost:3000', 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      );
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), text, json: JSON.parse(text) as Record<string, unknown> };
    };

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      registerDatabase(t.db);
      key = (await createApiKey(t.db, { name: 'verify-analyst', role: 'analyst', actor: 'test' })).key;
      pki = createPki();
      const ca = pki.makeCa('verify-ca');
      const leaf = pki.makeLeaf('verify-leaf', ca).cert;
      certPem = readFileSync(leaf, 'utf8');
      certX5t = pki.x5tByShell(leaf);
      otherX5t = pki.x5tByShell(pki.makeLeaf('verify-other', ca).cert);
    });
    afterAll(async () => {
      registerDatabase(undefined);
      pki?.cleanup();
      await t?.drop();
    });

    it('verifies the RFC 9449 §4.1 proof at its own iat and names every check', async (ctx) => {
      if (!t) ctx.skip();
      const r = await post(postDpop, { proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token', now: RFC_IAT });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ ok: true, reason: null, jkt: RFC_JKT, explanation: expect.stringMatching(/passed every RFC 9449 check/) });
      const checks = r.json.checks as Array<{ name: string; ok: boolean; detail: string }>;
      expect(checks.map((c) => c.name)).toEqual(expect.arrayContaining(['typ', 'alg', 'signature', 'htm', 'htu', 'iat']));
      for (const c of checks) expect(c).toMatchObject({ name: expect.any(String), ok: true, detail: expect.any(String) });
    });

    it('a pass with jti and nonce unchecked says so in the verdict itself (notChecked, verdict line, explanation)', async (ctx) => {
      if (!t) ctx.skip();
      const r = await post(postDpop, { proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token', now: RFC_IAT });
      expect(r.json.ok).toBe(true);
      const notChecked = r.json.notChecked as Array<{ name: string; detail: string }>;
      expect(notChecked.map((c) => c.name)).toEqual(expect.arrayContaining(['jti']));
      expect(notChecked.find((c) => c.name === 'jti')?.detail).toMatch(/no replay store/);
      expect(r.json.verdict).toMatch(/^✓ DPoP proof verified, but not checked: .*jti replay — the same proof sent again would also pass/);
      expect(r.json.explanation).toMatch(/Not checked: .*jti replay/);
      // A failure names its reason first, then what was not checked.
      const late = await post(postDpop, { proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token', now: RFC_IAT + 600 });
      expect(late.json.verdict).toMatch(/^✗ DPoP proof fails: iat/);
      // mTLS with no token: the binding to a token was not checked, and the verdict says so.
      const m = await post(postMtls, { cert: certPem });
      expect(m.json.ok).toBe(true);
      expect((m.json.notChecked as Array<{ name: string }>).length).toBeGreaterThan(0);
      expect(m.json.verdict).toMatch(/^✓ certificate binding verified, but not checked: /);
    });

    it('fails the same proof ten minutes later with reason iat and a plain-language explanation', async (ctx) => {
      if (!t) ctx.skip();
      const r = await post(postDpop, { proof: RFC_PROOF, method: 'POST', url: 'https://server.example.com/token', now: RFC_IAT + 600 });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ ok: false, reason: 'iat', jkt: RFC_JKT, rfcError: 'invalid_dpop_proof' });
      expect((r.json.checks as Array<{ name: string; ok: boolean }>).find((c) => !c.ok)?.name).toBe('iat');
      expect(r.json.explanation).toMatch(/creation time is outside the accepted window/);
    });

    it('a fresh proof bound to its access token passes; the response never contains the token or the proof', async (ctx) => {
      if (!t) ctx.skip();
      const k = ecKey();
      const { jkt } = await import('@/lib/binding/index.ts').then((m) => m.thumbprintJwk(JSON.stringify(k.publicJwk)));
      const token = jwt({ jkt });
      const proof = makeProof(k, { htm: 'GET', htu: 'https://api.example.com/payments', ath: ath(token) });
      const ok = await post(postDpop, { proof, method: 'get', url: 'HTTPS://API.example.com:443/payments?x=1', token });
      expect(ok.json, ok.text).toMatchObject({ ok: true, reason: null, jkt, tokenFingerprint: fingerprintToken(token), tokenBinding: 'dpop' });
      // Wrong key for the token: jkt_mismatch. Wrong method: htm.
      const other = ecKey();
      const stolen = await post(postDpop, { proof: makeProof(other, { htm: 'GET', htu: 'https://api.example.com/payments', ath: ath(token) }), method: 'GET', url: 'https://api.example.com/payments', token });
      expect(stolen.json).toMatchObject({ ok: false, reason: 'jkt_mismatch', rfcError: 'invalid_token' });
      const wrongMethod = await post(postDpop, { proof, method: 'POST', url: 'https://api.example.com/payments', token });
      expect(wrongMethod.json).toMatchObject({ ok: false, reason: 'htm' });
      // An analyst checking the same proof twice is not a replay.
      const again = await post(postDpop, { proof, method: 'GET', url: 'https://api.example.com/payments', token });
      expect(again.json.ok).toBe(true);
      for (const r of [ok, stolen, wrongMethod, again]) {
        expect(r.text).not.toContain(token);
        expect(r.text).not.toContain(token.split('.')[1]!);
        expect(r.text).not.toContain(proof.split('.')[2]!);
        expect(r.text).not.toContain(proof.split('.')[1]!);
      }
      // A validation problem names the field, never its value.
      const bad = await post(postDpop, { proof, method: 'G E T', url: 'https://api.example.com/payments', token });
      expect(bad.status).toBe(422);
      expect(bad.text).not.toContain(token);
      expect(bad.text).not.toContain(proof);
    });

    it('answers 422 problems to missing or mistyped fields and 413 to a body over 64 KiB, never a 500', async (ctx) => {
      if (!t) ctx.skip();
      for (const body of [{}, { proof: RFC_PROOF, method: 'POST' }, { proof: 1, method: 'POST', url: 'https://x' }, { proof: RFC_PROOF, method: 'POST', url: 'https://x', now: 'yesterday' }]) {
        const r = await post(postDpop, body);
        expect.soft(r.status, JSON.stringify(body).slice(0, 80)).toBe(422);
        expect.soft(r.type).toBe('application/problem+json');
        expect.soft(r.json.code).toBe('validation_failed');
      }
      for (const body of [{}, { cert: certPem, fingerprint: 'ab'.repeat(32) }, { cert: 42 }]) {
        const r = await post(postMtls, body);
        expect.soft(r.status, JSON.stringify(body).slice(0, 80)).toBe(422);
        expect.soft(r.json.code).toBe('validation_failed');
      }
      const big = await post(postDpop, { proof: 'a'.repeat(70 * 1024), method: 'POST', url: 'https://x' });
      expect(big.status).toBe(413);
      const notJson = await post(postDpop, '{"proof":');
      expect(notJson.status).toBe(400);
    });

    it('mTLS: a certificate made by openssl matches its own x5t#S256, as PEM, URL-encoded PEM and Envoy hex', async (ctx) => {
      if (!t) ctx.skip();
      const pem = await post(postMtls, { cert: certPem, x5t: certX5t });
      expect(pem.json, pem.text).toMatchObject({ ok: true, reason: null, x5tS256: certX5t });
      expect((pem.json.checks as Array<{ name: string }>).map((c) => c.name)).toEqual(expect.arrayContaining(['certificate', 'cnf', 'not_before', 'not_after']));
      const escaped = await post(postMtls, { cert: encodeURIComponent(certPem), x5t: certX5t });
      expect(escaped.json).toMatchObject({ ok: true, x5tS256: certX5t });
      const hex = Buffer.from(certX5t, 'base64url').toString('hex');
      const envoy = await post(postMtls, { cert: hex, x5t: certX5t });
      expect(envoy.json).toMatchObject({ ok: true, x5tS256: certX5t });
      const envoyField = await post(postMtls, { fingerprint: hex.toUpperCase(), x5t: certX5t });
      expect(envoyField.json).toMatchObject({ ok: true, x5tS256: certX5t });
      const sha1 = await post(postMtls, { cert: 'ab'.repeat(20), x5t: certX5t });
      expect(sha1.json).toMatchObject({ ok: false, reason: 'fingerprint_not_comparable' });
    });

    it('mTLS: another certificate than the token is bound to fails with x5t_mismatch; the token is never echoed', async (ctx) => {
      if (!t) ctx.skip();
      const token = jwt({ 'x5t#S256': otherX5t });
      const r = await post(postMtls, { cert: certPem, token });
      expect(r.json).toMatchObject({ ok: false, reason: 'x5t_mismatch', x5tS256: certX5t, tokenFingerprint: fingerprintToken(token), tokenBinding: 'mtls' });
      expect(r.json.explanation).toMatch(/not the one the token is bound to/);
      const bound = await post(postMtls, { cert: certPem, token: jwt({ 'x5t#S256': certX5t }) });
      expect(bound.json).toMatchObject({ ok: true, reason: null });
      const mismatch = await post(postMtls, { cert: certPem, x5t: otherX5t });
      expect(mismatch.json).toMatchObject({ ok: false, reason: 'x5t_mismatch' });
      for (const x of [r, bound]) {
        expect(x.text).not.toContain(token.split('.')[1]!);
        expect(x.text).not.toContain('c2lnbmF0dXJlLW5vdC1jaGVja2Vk');
      }
      const garbage = await post(postMtls, { cert: 'not a certificate' });
      expect(garbage.status).toBe(200);
      expect(garbage.json).toMatchObject({ ok: false, reason: 'malformed_certificate', x5tS256: '' });
    });
  });
}
