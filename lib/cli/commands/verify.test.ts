// `holdfast verify dpop|mtls` and `holdfast thumbprint` through the real binary (CONTRACT.md
// shapes and exit codes). These verbs are pure: the data directory is never created.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki, type OpensslPki } from '../../binding/testing/openssl.ts';
import { runCli } from '../../testing/processes.ts';

const RFC_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';
const RFC_JWK = '{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}';
const RFC_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const DPOP = ['verify', 'dpop', '--proof', RFC_PROOF, '--method', 'POST', '--url', 'https://server.example.com/token'];

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (cnf: Record<string, string>) => `${b64({ alg: 'RS256', typ: 'at+jwt' })}.${b64({ sub: 'svc', exp: 4_000_000_000, cnf })}.c2lnbmF0dXJl`;

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

// Each case starts a real process (node + tsx); on a shared 2-core machine that can take seconds.
describe('holdfast verify / thumbprint (real binary)', { timeout: 240_000 }, () => {
  let tmp: string;
  let dataDir: string;
  let env: Record<string, string>;
  let pki: OpensslPki;
  let leaf: string;
  let leafX5t: string;
  let otherX5t: string;

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'holdfast-verify-cli-'));
    dataDir = path.join(tmp, 'data-never-created');
    env = { HOLDFAST_DATA_DIR: dataDir, DATABASE_URL: '' };
    pki = createPki();
    const ca = pki.makeCa('cli-ca');
    leaf = pki.makeLeaf('cli-leaf', ca).cert;
    leafX5t = pki.x5tByShell(leaf);
    otherX5t = pki.x5tByShell(pki.makeLeaf('cli-other', ca).cert);
  });
  afterAll(() => {
    pki?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('verify dpop: the RFC 9449 §4.1 proof verifies at --now 1562262616 (exit 0) and fails with iat ten minutes later (exit 1)', async () => {
    const [ok, late] = await Promise.all([runCli([...DPOP, '--now', '1562262616', '--json'], { env }), runCli([...DPOP, '--now', String(1562262616 + 600), '--json'], { env })]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toBe('');
    const r = JSON.parse(ok.stdout) as { ok: boolean; reason: string | null; jkt: string; checks: Check[]; explanation: string };
    expect(r).toMatchObject({ ok: true, reason: null, jkt: RFC_JKT });
    expect(r.checks.length).toBeGreaterThanOrEqual(8);
    for (const c of r.checks) expect(c).toMatchObject({ name: expect.any(String), ok: true, detail: expect.any(String) });
    expect(ok.stdout.trim().split('\n')).toHaveLength(1);

    expect(late.code).toBe(1);
    const f = JSON.parse(late.stdout) as typeof r;
    expect(f).toMatchObject({ ok: false, reason: 'iat', jkt: RFC_JKT });
    expect(f.checks.find((c) => !c.ok)).toMatchObject({ name: 'iat', ok: false });
    expect(late.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('verify dpop without --json prints each check with ✓/✗ and the explanation, and never the token', async () => {
    const token = jwt({ jkt: RFC_JKT });
    const r = await runCli([...DPOP, '--now', String(1562262616 + 600), '--token', token], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ iat\s+iat is 600 s old/);
    expect(r.stdout).toMatch(/✓ signature/);
    expect(r.stdout).toMatch(/creation time is outside the accepted window/);
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(r.stdout + r.stderr).not.toContain(RFC_PROOF.split('.')[2]);
  });

  it('thumbprint --jwk gives the RFC 9449 key thumbprint; --cert equals the openssl | dgst | basenc pipeline for PEM and DER', async () => {
    pki.run(['x509', '-in', leaf, '-outform', 'DER', '-out', `${leaf}.der`]);
    const [jwk, pem, der, jwkHuman] = await Promise.all([
      runCli(['thumbprint', '--jwk', RFC_JWK, '--json'], { env }),
      runCli(['thumbprint', '--cert', leaf, '--json'], { env }),
      runCli(['thumbprint', '--cert', `${leaf}.der`, '--json'], { env }),
      runCli(['thumbprint', '--jwk', RFC_JWK], { env }),
    ]);
    expect(jwk.code, jwk.stderr).toBe(0);
    expect(JSON.parse(jwk.stdout)).toEqual({ jkt: RFC_JKT });
    expect(jwkHuman.stdout).toBe(`${RFC_JKT}\n`);
    expect(leafX5t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pem.code, pem.stderr).toBe(0);
    expect(JSON.parse(pem.stdout)).toEqual({ x5tS256: leafX5t });
    expect(JSON.parse(der.stdout)).toEqual({ x5tS256: leafX5t });
  });

  it('verify mtls: exit 0 with the matching --x5t or a token bound to the certificate, exit 1 with x5t_mismatch otherwise', async () => {
    const bound = jwt({ 'x5t#S256': leafX5t });
    const [match, mismatch, viaToken, plain, dashed] = await Promise.all([
      runCli(['verify', 'mtls', '--cert', leaf, '--x5t', leafX5t, '--json'], { env }),
      runCli(['verify', 'mtls', '--cert', leaf, '--x5t', otherX5t, '--json'], { env }),
      runCli(['verify', 'mtls', '--cert', leaf, '--token', bound, '--json'], { env }),
      runCli(['verify', 'mtls', '--cert', leaf, '--x5t', otherX5t], { env }),
      // A thumbprint may begin with `-` (one certificate in 64): still the option's value, not usage error.
      runCli(['verify', 'mtls', '--cert', leaf, '--x5t', `-${otherX5t.slice(1)}`, '--json'], { env }),
    ]);
    expect(dashed.code, dashed.stderr).toBe(1);
    expect(JSON.parse(dashed.stdout)).toMatchObject({ ok: false, reason: 'x5t_mismatch' });
    expect(match.code, match.stderr).toBe(0);
    expect(JSON.parse(match.stdout)).toMatchObject({ ok: true, reason: null, x5tS256: leafX5t, checks: expect.any(Array) });
    expect(mismatch.code).toBe(1);
    const m = JSON.parse(mismatch.stdout) as { ok: boolean; reason: string; checks: Check[] };
    expect(m).toMatchObject({ ok: false, reason: 'x5t_mismatch' });
    expect(m.checks.find((c) => !c.ok)?.name).toBe('cnf');
    expect(mismatch.stderr.trim().split('\n')).toHaveLength(1);
    expect(viaToken.code, viaToken.stderr).toBe(0);
    expect(viaToken.stdout).not.toContain(bound);
    expect(plain.stdout).toMatch(/^✗ certificate binding fails: x5t_mismatch/);
    expect(plain.stdout).toMatch(/✓ certificate/);
    expect(plain.stdout).toMatch(/not the one the token is bound to/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('bad usage or input exits 2 with one stderr line and nothing on stdout', async () => {
    const notCert = path.join(tmp, 'not-a-cert.pem');
    writeFileSync(notCert, 'hello, not a certificate\n');
    const cases: string[][] = [
      ['verify', 'dpop', '--method', 'POST', '--url', 'https://server.example.com/token'],
      ['verify', 'dpop', '--proof', RFC_PROOF, '--url', 'https://server.example.com/token'],
      ['verify', 'dpop', '--proof', RFC_PROOF, '--method', 'POST'],
      [...DPOP, '--now', 'yesterday'],
      [...DPOP, '--frobnicate'],
      ['verify', 'mtls'],
      ['verify', 'mtls', '--cert', path.join(tmp, 'missing.pem')],
      ['verify', 'mtls', '--cert', notCert],
      ['thumbprint'],
      ['thumbprint', '--jwk', '{"kty":"EC",'],
      ['thumbprint', '--jwk', '{"kty":"EC","crv":"P-256"}'],
      ['thumbprint', '--jwk', RFC_JWK, '--cert', leaf],
      ['thumbprint', '--cert', tmp],
    ];
    // Two at a time: the machine's cores are shared.
    for (let i = 0; i < cases.length; i += 2) {
      const results = await Promise.all(cases.slice(i, i + 2).map((args) => runCli([...args, '--json'], { env })));
      results.forEach((r, j) => {
        const label = cases[i + j]!.slice(0, 4).join(' ').slice(0, 60);
        expect.soft(r.code, `${label}: ${r.stderr}`).toBe(2);
        expect.soft(r.stdout, label).toBe('');
        expect.soft(r.stderr.trim().split('\n'), label).toHaveLength(1);
        expect.soft(r.stderr, label).toMatch(/^holdfast: /);
        expect.soft(r.stderr, label).not.toMatch(/\bat .*\.ts:\d+/);
      });
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});
