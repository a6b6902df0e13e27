// Starts Holdfast the way a user does (scripts/start.mjs on a production build), once per
// Playwright worker, each on its own fresh embedded database with the demo estate, one account
// per role and an admin API key for the CLI; e2e/servers.ts hands each worker its own server.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FullConfig } from '@playwright/test';
import Provider from 'oidc-provider';
import { freePorts, startServerProcess, type ServerProcess } from '../lib/testing/processes.ts';
import { SSO_ACCOUNTS, USERS } from './fixtures.ts';
import globalTeardown from './global-teardown.ts';
import { publishServers, type E2eServer } from './servers.ts';

interface IdentityProvider {
  issuer: string;
  clientSecret: string;
}

/**
 * A real OpenID Provider (oidc-provider, its own login and consent pages) on 127.0.0.1 for the
 * single sign-on journey, shared by every server: its one client lists each server's redirect
 * URI (one per port in `appPorts`). Kept in this process until the global teardown.
 */
async function startIdentityProvider(appPorts: number[]): Promise<IdentityProvider> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientSecret = randomUUID();
  const redirectUris = appPorts.map((port) => `http://127.0.0.1:${port}/api/v1/auth/oidc/callback`);
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'holdfast-e2e', client_secret: clientSecret, redirect_uris: redirectUris, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' }],
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

/** Signs in through the API (session cookie and CSRF token) for the setup's own calls. */
async function apiSession(url: string, who: { email: string; password: string }): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${url}/api/v1/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) });
  if (res.status !== 200) throw new Error(`sign-in as ${who.email} failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

/**
 * One server on `port` from fresh state in its own data directory (removed again if the start fails).
 * The admin is made by the server's first start (HOLDFAST_ADMIN_EMAIL / _PASSWORD), the other
 * accounts and the CLI's API key through the API as that admin: one `holdfast` process on the
 * embedded database costs ~2 s (PGlite's start), five of them were half of this setup.
 */
async function startHoldfast(port: number, idp: IdentityProvider): Promise<E2eServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-e2e-'));
  let server: ServerProcess | undefined;
  try {
    // Every spec signs in from 127.0.0.1: lift the per-address budget (the per-account one stays).
    server = await startServerProcess({ HOLDFAST_DATA_DIR: dataDir, PORT: String(port), HOLDFAST_DEMO: 'auto', HOLDFAST_SIGNIN_LIMIT_PER_IP: '10000',
      HOLDFAST_ADMIN_EMAIL: USERS.admin.email, HOLDFAST_ADMIN_PASSWORD: USERS.admin.password,
      // Single sign-on through the shared provider: one allow-listed account (operator).
      HOLDFAST_OIDC_ISSUER: idp.issuer, HOLDFAST_OIDC_CLIENT_ID: 'holdfast-e2e', HOLDFAST_OIDC_CLIENT_SECRET: idp.clientSecret,
      HOLDFAST_OIDC_SCOPE: 'openid email', HOLDFAST_OIDC_USERS: `${SSO_ACCOUNTS.olivia.email}=operator`,
      // Specs compare the Overview with live lists right after background work (revocation legs,
      // findings) changed them: no view cache here (it is covered by lib/http/view-cache.test.ts).
      HOLDFAST_VIEW_CACHE_SECONDS: '0' });
    writeFileSync(path.join(dataDir, 'e2e-server.pid'), String(server.child.pid));
    const url = server.url;
    const admin = await apiSession(url, USERS.admin);
    const post = async (route: string, body: unknown) => {
      const res = await fetch(`${url}${route}`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`POST ${route} failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    for (const [role, u] of Object.entries(USERS)) if (role !== 'admin') await post('/api/v1/users', { email: u.email, role, password: u.password });
    const key = await post('/api/v1/api-keys', { name: 'e2e', role: 'admin' });
    // The setup's own session ends here: journeys sign in themselves.
    await fetch(`${url}/api/v1/auth/sign-out`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf } });
    return { url, apiKey: key.key as string, dataDir };
  } catch (e) {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

export default async function globalSetup(config: FullConfig) {
  // config.workers is what this run uses (HOLDFAST_E2E_WORKERS, or --workers on the command line).
  const ports = await freePorts(Math.max(1, config.workers));
  const idp = await startIdentityProvider(ports);
  // The servers are independent: start them side by side.
  const started = await Promise.allSettled(ports.map((port) => startHoldfast(port, idp)));
  publishServers(started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    // Stop the ones that did start (and the provider) before failing the run.
    await globalTeardown();
    publishServers([]);
    throw failed.reason;
  }
}
