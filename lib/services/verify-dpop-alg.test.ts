// Issue #16: a DPoP proof with `alg: none`, an HMAC alg or an unknown one is reason `alg` with the
// algorithm named — shown through the product as people use it: `holdfast verify dpop` (the real
// binary, on its own and through --server) and POST /api/v1/verify/dpop on the real server
// (scripts/start.mjs). The proofs are a real client's (npm `dpop`) re-headed as an attacker does,
// and the real oidc-provider they were made for refuses each one at its token endpoint first.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, generateProof } from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeAlg, type ForgeAlgOptions } from '../binding/testing/proofs.ts';
import { hasBuild, runCli, startServerProcess, type ServerProcess } from '../testing/processes.ts';
import { startTestAuthorizationServer, type TestAuthorizationServer } from './ingest/testing/oidc-as.ts';

interface Answer {
  ok: boolean;
  reason: string | null;
  jkt: string;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
  explanation: string;
  rfcError: string | null;
}

const CASES: Array<[string, ForgeAlgOptions, RegExp, RegExp]> = [
  ['alg "none", unsigned', { alg: 'none' }, /^alg "none" is not allowed: an unsigned proof, which anyone can forge$/, /alg "none".*unsigned.*forge a proof/],
  ['alg "HS256", HMAC under an oct jwk', { alg: 'HS256', jwk: 'oct' }, /^alg "HS256" is not allowed: symmetric \(HMAC\)/, /"HS256" \(HMAC\).*never a shared secret/],
  ['an unknown alg "ES256K"', { alg: 'ES256K' }, /^alg "ES256K" is not allowed: not an algorithm known for DPoP proofs$/, /alg "ES256K", which is not an allowed asymmetric algorithm/],
];

describe.runIf(hasBuild() || process.env.CI === 'true')('alg refusals named through the CLI and the API (real server)', { timeout: 300_000 }, () => {
  let as: TestAuthorizationServer;
  let server: ServerProcess;
  let dataDir = '';
  let apiKey = '';
  let env: Record<string, string> = {};

  beforeAll(async () => {
    as = await startTestAuthorizationServer();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-verify-alg-'));
    env = { HOLDFAST_DATA_DIR: dataDir, HOLDFAST_DEMO: 'never', DATABASE_URL: '' };
    const key = await runCli(['apikey', 'create', '--name', 'analyst-bot', '--role', 'analyst', '--json'], { env });
    expect(key.code, key.stderr).toBe(0);
    apiKey = (JSON.parse(key.stdout) as { key: string }).key;
    server = await startServerProcess(env);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await as?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(CASES)('%s: refused by oidc-provider; verify dpop (local, --server) and POST /api/v1/verify/dpop say alg and name it', async (_name, forge, detail, words) => {
    const url = `${as.issuer}/token`;
    const forged = forgeAlg(await generateProof(await generateKeyPair('ES256'), url, 'POST'), forge);
    const refused = await as.tokenRequest(forged);
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 400, error: 'invalid_dpop_proof' });

    const args = ['verify', 'dpop', '--proof', forged, '--method', 'POST', '--url', url, '--json'];
    const [local, remote, api] = await Promise.all([
      runCli(args, { env }),
      runCli([...args, '--server', server.url, '--api-key', apiKey], { env }),
      fetch(`${server.url}/api/v1/verify/dpop`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ proof: forged, method: 'POST', url }),
      }),
    ]);
    expect(api.status).toBe(200);
    const answers: Answer[] = [JSON.parse(local.stdout) as Answer, JSON.parse(remote.stdout) as Answer, (await api.json()) as Answer];
    expect([local.code, remote.code], local.stderr + remote.stderr).toEqual([1, 1]); // a failed check: exit 1
    for (const a of answers) {
      expect({ ok: a.ok, reason: a.reason, rfcError: a.rfcError, jkt: a.jkt }).toEqual({ ok: false, reason: 'alg', rfcError: 'invalid_dpop_proof', jkt: '' });
      const failed = a.checks.filter((c) => !c.ok);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.name).toBe('alg');
      expect(failed[0]!.detail).toMatch(detail);
      expect(a.explanation).toMatch(words);
      expect(JSON.stringify(a)).not.toContain(forged);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });
});
