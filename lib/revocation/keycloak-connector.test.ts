// Keycloak admin-API connector against a small local HTTP fake of exactly the documented
// endpoints it calls (token by client_credentials, clients?clientId=, service-account-user,
// users/{id}/logout, users/{id}/sessions): a real Keycloak is not installable here, so this
// checks our side of the contract only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKeycloakConnector } from './keycloak-connector.ts';
import { ConnectorError, type LegTarget } from './types.ts';

describe('Keycloak admin-API connector (local fake of the Keycloak admin REST API)', () => {
  let server: http.Server;
  let url = '';
  const seen: string[] = [];
  const SECRET = 'admin-secret';
  const ADMIN = 'admin-token-1';
  let sessions: Record<string, string[]> = {};
  let logoutStatus = 204;
  let logoutKeepsSessions = false;

  beforeEach(() => {
    sessions = { 'sa-user-1': ['s1', 's2'] };
    logoutStatus = 204;
    logoutKeepsSessions = false;
    seen.length = 0;
  });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const path = req.url ?? '';
        seen.push(`${req.method} ${path}`);
        const json = (status: number, v: unknown) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
        if (req.method === 'POST' && path === '/realms/acme/protocol/openid-connect/token') {
          const f = new URLSearchParams(body);
          if (f.get('grant_type') !== 'client_credentials' || f.get('client_id') !== 'holdfast-admin' || f.get('client_secret') !== SECRET) return json(401, { error: 'unauthorized_client' });
          return json(200, { access_token: ADMIN, token_type: 'Bearer', expires_in: 60 });
        }
        if (req.headers.authorization !== `Bearer ${ADMIN}`) return json(401, { error: 'HTTP 401 Unauthorized' });
        const u = new URL(path, 'http://x');
        if (req.method === 'GET' && u.pathname === '/admin/realms/acme/clients') {
          const want = u.searchParams.get('clientId');
          const all = [{ id: 'uuid-payments', clientId: 'payments' }, { id: 'uuid-web', clientId: 'web' }, { id: 'uuid-admin', clientId: 'holdfast-admin' }];
          return json(200, all.filter((c) => !want || c.clientId === want));
        }
        if (req.method === 'GET' && u.pathname === '/admin/realms/acme/clients/uuid-payments/service-account-user') return json(200, { id: 'sa-user-1', username: 'service-account-payments' });
        if (req.method === 'GET' && u.pathname === '/admin/realms/acme/clients/uuid-web/service-account-user') return json(400, { error: 'Service account not enabled for the client' });
        let m = /^\/admin\/realms\/acme\/users\/([^/]+)\/logout$/.exec(u.pathname);
        if (req.method === 'POST' && m) {
          if (logoutStatus !== 204) return json(logoutStatus, { error: 'boom' });
          if (!logoutKeepsSessions) sessions[m[1]!] = [];
          return void res.writeHead(204).end();
        }
        m = /^\/admin\/realms\/acme\/users\/([^/]+)\/sessions$/.exec(u.pathname);
        if (req.method === 'GET' && m) return json(200, (sessions[m[1]!] ?? []).map((id) => ({ id, clients: {} })));
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const leg = (clientId: string | null): LegTarget => ({
    legId: 'l', revocationId: 'r', kind: 'token', reason: 'x',
    token: { id: 't', fingerprint: 'f', tokenType: 'access', jti: null, issuer: `${url}/realms/acme`, clientId, subject: null, raw: null },
  });
  const ctx = { now: () => new Date(), timeoutMs: 2000 };
  const connector = (secret = SECRET) => createKeycloakConnector('kc', { url, realm: 'acme', adminClientId: 'holdfast-admin' }, { adminClientSecret: secret });

  it('logs out the client’s service-account sessions and confirms none are left', async () => {
    const r = await connector().execute(leg('payments'), ctx);
    expect(r.detail).toBe('keycloak logged out client payments (service-account sessions: 0)');
    expect(seen).toEqual([
      'POST /realms/acme/protocol/openid-connect/token',
      'GET /admin/realms/acme/clients?clientId=payments',
      'GET /admin/realms/acme/clients/uuid-payments/service-account-user',
      'POST /admin/realms/acme/users/sa-user-1/logout',
      'GET /admin/realms/acme/users/sa-user-1/sessions',
    ]);
    expect((await connector().testConnection(ctx)).detail).toBe('keycloak admin API reachable (realm acme)');
  });

  it('sessions still listed after logout → retryable, not confirmed', async () => {
    logoutKeepsSessions = true;
    await expect(connector().execute(leg('payments'), ctx)).rejects.toMatchObject({ message: 'keycloak: 2 session(s) still open after logout', retryable: true });
  });

  it('a 500 on logout is retryable; bad admin credentials, unknown client, no service account and no client_id are not', async () => {
    logoutStatus = 500;
    await expect(connector().execute(leg('payments'), ctx)).rejects.toMatchObject({ message: 'keycloak logout: HTTP 500', retryable: true });
    logoutStatus = 204;
    const bad = await connector('wrong').execute(leg('payments'), ctx).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConnectorError);
    expect(bad).toMatchObject({ message: 'keycloak admin token: HTTP 401', retryable: false });
    await expect(connector().execute(leg('nope'), ctx)).rejects.toMatchObject({ message: 'keycloak: no client nope in realm acme', retryable: false });
    await expect(connector().execute(leg('web'), ctx)).rejects.toMatchObject({ message: 'keycloak: client web has no service account', retryable: false });
    await expect(connector().execute(leg(null), ctx)).rejects.toMatchObject({ retryable: false });
    await expect(connector().execute({ legId: 'l', revocationId: 'r', kind: 'certificate', reason: 'x' }, ctx)).rejects.toMatchObject({ retryable: false });
  });

  it('an unreachable Keycloak is a retryable network error', async () => {
    const c = createKeycloakConnector('kc', { url: 'http://127.0.0.1:1', realm: 'acme', adminClientId: 'holdfast-admin' }, { adminClientSecret: SECRET });
    await expect(c.execute(leg('payments'), ctx)).rejects.toMatchObject({ retryable: true });
  });
});
