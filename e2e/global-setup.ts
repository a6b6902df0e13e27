// Starts Holdfast the way a user does (scripts/start.mjs on a production build) on a fresh
// embedded database with the demo estate, creates one account per role and an admin API key
// for the CLI, and hands the URL to the tests through the environment.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Provider from 'oidc-provider';
import { freePort, runCli, startServerProcess } from '../lib/testing/processes.ts';
import { SSO_ACCOUNTS, USERS } from './fixtures.ts';

/**
 * A real OpenID Provider (oidc-provider, its own login and consent pages) on 127.0.0.1 for the
 * single sign-on journey; Holdfast's redirect URI is on `appPort`. Kept in this process until
 * the global teardown.
 */
async function startIdentityProvider(appPort: number): Promise<{ issuer: string; clientSecret: string }> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientSecret = randomUUID();
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'holdfast-e2e', client_secret: clientSecret, redirect_uris: [`http://127.0.0.1:${appPort}/api/v1/auth/oidc/callback`], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' }],
    cookies: { keys: [randomUUID()] },
    claims: { email: ['email', 'email_verified'] },
    conformIdTokenClaims: false, // the email claim in the ID token itself
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, id: string) {
      const a = SSO_ACCOUNTS[id as keyof typeof SSO_ACCOUNTS];
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: true }) };
    },
  });
  server.on('request', provider.callback());
  (globalThis as { holdfastE2eIdp?: http.Server }).holdfastE2eIdp = server;
  return { issuer, clientSecret };
}

export default async function globalSetup() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-e2e-'));
  const env = { HOLDFAST_DATA_DIR: dataDir };
  for (const [role, u] of Object.entries(USERS)) {
    const r = await runCli(['user', 'create', '--email', u.email, '--role', role, '--json'], { env, input: u.password });
    if (r.code !== 0) throw new Error(`user create failed: ${r.stderr}`);
  }
  const key = await runCli(['apikey', 'create', '--name', 'e2e', '--role', 'admin', '--json'], { env });
  if (key.code !== 0) throw new Error(`apikey create failed: ${key.stderr}`);
  // Every spec signs in from 127.0.0.1: lift the per-address budget (the per-account one stays).
  const port = await freePort();
  const idp = await startIdentityProvider(port);
  const server = await startServerProcess({ ...env, PORT: String(port), HOLDFAST_DEMO: 'auto', HOLDFAST_SIGNIN_LIMIT_PER_IP: '10000',
    // Single sign-on through the provider above: one allow-listed account (operator).
    HOLDFAST_OIDC_ISSUER: idp.issuer, HOLDFAST_OIDC_CLIENT_ID: 'holdfast-e2e', HOLDFAST_OIDC_CLIENT_SECRET: idp.clientSecret,
    HOLDFAST_OIDC_SCOPE: 'openid email', HOLDFAST_OIDC_USERS: `${SSO_ACCOUNTS.olivia.email}=operator`,
    // Specs compare the Overview with live lists right after background work (revocation legs,
    // findings) changed them: no view cache here (it is covered by lib/http/view-cache.test.ts).
    HOLDFAST_VIEW_CACHE_SECONDS: '0' });
  process.env.HOLDFAST_E2E_URL = server.url;
  process.env.HOLDFAST_E2E_API_KEY = JSON.parse(key.stdout).key;
  process.env.HOLDFAST_E2E_DATA_DIR = dataDir;
  writeFileSync(path.join(dataDir, 'e2e-server.pid'), String(server.child.pid));
}
