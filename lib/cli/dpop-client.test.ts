// The CLI's DPoP client: keys made by openssl, proofs checked by the binding engine, and the real
// binary talking to the real route handlers with a DPoP-bound API key.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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
import { registerSecretKey } from '../server/secret-key.ts';
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
    // Once the server handed out a nonce, every proof carries it.
    signer.nonce = 'n-1.server';
    const withNonce = authHeaders({ apiKey: 'hf_test', dpop: signer }, 'GET', url).dpop!;
    expect((await verifyDpopProof({ proof: withNonce, method: 'GET', url, accessToken: 'hf_test', expectedJkt: signer.jkt, expectedNonce: 'n-1.server' }, { replayStore: store })).ok).toBe(true);
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
  const exchanges: string[] = [];
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    registerDatabase(t.db);
    keyFile = opensslKey('bound.pem', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const jkt = loadDpopSigner(readFileSync(keyFile, 'utf8')).jkt;
    key = (await createApiKey(t.db, { name: 'cli-bound', role: 'operator', scopes: [], actor: 'test', dpopJkt: jkt })).key;
    registerSecretKey(randomBytes(32));
    server = await startRouteServer(async (req) => {
      const path = new URL(req.url).pathname;
      const res = await (path.startsWith('/api/v1/ingest') ? postIngest(req) : getSummary(req));
      const proof = req.headers.get('dpop')?.split('.')[1];
      const claims = proof ? (JSON.parse(Buffer.from(proof, 'base64url').toString()) as { nonce?: string }) : {};
      exchanges.push(`${req.method} ${path} ${claims.nonce ? 'nonce' : 'no-nonce'} → ${res.status}`);
      return res;
    });
    url = server.url;
  }, 60_000);
  afterAll(async () => {
    registerDatabase(undefined);
    registerSecretKey(undefined);
    await server.close();
    await t.drop();
  });

  it('summary and ingest work with --dpop-key; without it (or with another key) the server refuses', async () => {
    const ok = await runCli(['summary', '--json', '--server', url, '--api-key', key, '--dpop-key', keyFile], { timeoutMs: 120_000 });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toHaveProperty('tokens');
    // The server asked for its DPoP nonce (RFC 9449 §8) and the CLI signed again with it.
    expect(exchanges.splice(0)).toEqual(['GET /api/v1/summary no-nonce → 401', 'GET /api/v1/summary nonce → 200']);
    const file = path.join(dir, 'a.json');
    writeFileSync(file, JSON.stringify({ time: '2026-11-22T08:06:14+00:00', request_id: 'cli-dpop-1', uri: '/p', status: 200, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0' }) + '\n');
    const ing = await runCli(['ingest', file, '--format', 'nginx-json', '--json', '--server', url, '--api-key', key], { timeoutMs: 120_000, env: { HOLDFAST_DPOP_KEY_FILE: keyFile } });
    expect(ing.code, ing.stderr).toBe(0);
    expect(JSON.parse(ing.stdout)).toMatchObject({ accepted: 1 });
    // A streamed upload cannot be sent twice: the nonce is learnt first, the upload carries it.
    expect(exchanges.splice(0)).toEqual(['GET /api/v1/summary no-nonce → 401', 'POST /api/v1/ingest nonce → 200']);

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
