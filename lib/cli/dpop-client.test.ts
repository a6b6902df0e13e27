// The CLI's DPoP client: keys made by openssl, proofs checked by the binding engine, and the real
// binary talking to the real route handlers with a DPoP-bound API key.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as postIngest } from '../../app/api/v1/ingest/route.ts';
import { GET as getSummary } from '../../app/api/v1/summary/route.ts';
import { createApiKey } from '../auth/api-keys.ts';
import { verifyDpopProof } from '../binding/verify-dpop-proof.ts';
import { MemoryReplayStore } from '../binding/replay-store.ts';
import { registerDatabase } from '../server/database.ts';
import { openTestDatabase, type TestDatabase } from '../testing/databases.ts';
import { runCli } from '../testing/processes.ts';
import { startRouteServer, type RouteServer } from '../testing/route-server.ts';
import { authHeaders, loadDpopSigner } from './dpop-client.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-cli-dpop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opensslKey(name: string, args: string[]): string {
  const file = path.join(dir, name);
  execFileSync('openssl', ['genpkey', ...args, '-out', file]);
  return file;
}

describe('DPoP proofs from the CLI signer', () => {
  const url = 'https://holdfast.example/api/v1/summary?x=1';
  it.each([
    ['EC P-256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ES256'],
    ['Ed25519', ['-algorithm', 'ED25519'], 'EdDSA'],
    ['RSA 2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'PS256'],
  ])('%s key from openssl → %s proofs that pass every RFC 9449 check', async (_name, args, alg) => {
    const signer = loadDpopSigner(readFileSync(opensslKey(`${alg}.pem`, args), 'utf8'));
    expect(signer.alg).toBe(alg);
    const store = new MemoryReplayStore();
    const h = authHeaders({ apiKey: 'hf_test', dpop: signer }, 'GET', url);
    expect(h.authorization).toBe('DPoP hf_test');
    const r = await verifyDpopProof({ proof: h.dpop!, method: 'GET', url, accessToken: 'hf_test', expectedJkt: signer.jkt, authScheme: 'DPoP' }, { replayStore: store });
    expect(r.ok, JSON.stringify(r.checks.filter((c) => !c.ok))).toBe(true);
    // A second request gets a new proof (new jti), never a replay.
    const again = authHeaders({ apiKey: 'hf_test', dpop: signer }, 'GET', url).dpop!;
    expect((await verifyDpopProof({ proof: again, method: 'GET', url, accessToken: 'hf_test', expectedJkt: signer.jkt }, { replayStore: store })).ok).toBe(true);
  });

  it('refuses what is not a usable private key, without echoing it', () => {
    expect(() => loadDpopSigner('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toThrow(/not a private key/);
    const weak = opensslKey('weak.pem', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']);
    expect(() => loadDpopSigner(readFileSync(weak, 'utf8'))).toThrow(/2048/);
    expect(authHeaders({ apiKey: 'hf_x' }, 'GET', 'http://h/')).toEqual({ authorization: 'Bearer hf_x' });
  });
});

describe('holdfast --server with a DPoP-bound API key (binary → route handlers)', () => {
  let t: TestDatabase;
  let server: RouteServer;
  let url = '';
  let key = '';
  let keyFile = '';
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    registerDatabase(t.db);
    keyFile = opensslKey('bound.pem', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const jkt = loadDpopSigner(readFileSync(keyFile, 'utf8')).jkt;
    key = (await createApiKey(t.db, { name: 'cli-bound', role: 'analyst', scopes: ['ingest'], actor: 'test', dpopJkt: jkt })).key;
    server = await startRouteServer((req) => (new URL(req.url).pathname.startsWith('/api/v1/ingest') ? postIngest(req) : getSummary(req)));
    url = server.url;
  }, 60_000);
  afterAll(async () => {
    registerDatabase(undefined);
    await server.close();
    await t.drop();
  });

  it('summary and ingest work with --dpop-key; without it (or with another key) the server refuses', async () => {
    const ok = await runCli(['summary', '--json', '--server', url, '--api-key', key, '--dpop-key', keyFile], { timeoutMs: 120_000 });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toHaveProperty('tokens');
    const file = path.join(dir, 'a.json');
    writeFileSync(file, JSON.stringify({ time: '2026-11-22T08:06:14+00:00', request_id: 'cli-dpop-1', uri: '/p', status: 200, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0' }) + '\n');
    const ing = await runCli(['ingest', file, '--format', 'nginx-json', '--json', '--server', url, '--api-key', key], { timeoutMs: 120_000, env: { HOLDFAST_DPOP_KEY_FILE: keyFile } });
    expect(ing.code, ing.stderr).toBe(0);
    expect(JSON.parse(ing.stdout)).toMatchObject({ accepted: 1 });

    const bearer = await runCli(['summary', '--json', '--server', url, '--api-key', key], { timeoutMs: 120_000 });
    expect(bearer.code).not.toBe(0);
    expect(bearer.stderr).toMatch(/401.*DPoP/);
    const other = opensslKey('other.pem', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const wrong = await runCli(['summary', '--json', '--server', url, '--api-key', key, '--dpop-key', other], { timeoutMs: 120_000 });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/401/);
    const missing = await runCli(['summary', '--json', '--server', url, '--api-key', key, '--dpop-key', path.join(dir, 'nope.pem')], { timeoutMs: 120_000 });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--dpop-key: cannot read/);
    expect(missing.stderr).not.toMatch(/BEGIN/);
  }, 300_000);
});
