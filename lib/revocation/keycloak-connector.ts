// Keycloak admin REST API: for a token leg without the raw token (RFC 7009 needs one), log out
// every session of the token's client's service-account user. Admin token by client_credentials
// at `{url}/realms/{adminRealm}/protocol/openid-connect/token`; client by
// `GET /admin/realms/{realm}/clients?clientId=…`; its service-account user by
// `GET …/clients/{id}/service-account-user`; `POST …/users/{userId}/logout`; confirmed when
// `GET …/users/{userId}/sessions` answers []. Access tokens already issued stay valid until they
// expire at a resource server that does not introspect (Keycloak access tokens are JWTs).
import { z } from 'zod';
import { httpRequest, parseJson } from './http.ts';
import { ConnectorError, type RevocationConnector } from './types.ts';

export const keycloakConfigSchema = z.object({
  /** Keycloak base URL (no `/auth` suffix on Keycloak ≥ 17 unless configured so). */
  url: z.string().url(),
  realm: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  /** Realm of the admin client (default: `realm`). */
  adminRealm: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).optional(),
  /** Confidential client with a service account holding realm-management `manage-users`, `view-clients`. */
  adminClientId: z.string().min(1).max(200),
  caPem: z.string().optional(),
});
export type KeycloakConfig = z.infer<typeof keycloakConfigSchema>;
export const keycloakSecretsSchema = z.object({ adminClientSecret: z.string().min(1) });
export type KeycloakSecrets = z.infer<typeof keycloakSecretsSchema>;

export function createKeycloakConnector(name: string, config: KeycloakConfig, secrets: KeycloakSecrets): RevocationConnector {
  const base = config.url.replace(/\/$/, '');
  const realm = encodeURIComponent(config.realm);
  const admin = `${base}/admin/realms/${realm}`;
  const tokenUrl = `${base}/realms/${encodeURIComponent(config.adminRealm ?? config.realm)}/protocol/openid-connect/token`;
  const fail = (what: string, status: number) => new ConnectorError(`keycloak ${what}: HTTP ${status}`, status >= 500 || status === 429);

  async function adminToken(timeoutMs: number): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: config.adminClientId, client_secret: secrets.adminClientSecret }).toString();
    const r = await httpRequest(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, timeoutMs, caPem: config.caPem }, 'keycloak token');
    if (r.status !== 200) throw fail('admin token', r.status);
    const t = (parseJson(r.text) as { access_token?: unknown } | null)?.access_token;
    if (typeof t !== 'string' || !t) throw new ConnectorError('keycloak admin token: no access_token in the answer', true);
    return t;
  }
  async function getJson(url: string, token: string, timeoutMs: number, what: string): Promise<unknown> {
    const r = await httpRequest(url, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, timeoutMs, caPem: config.caPem }, `keycloak ${what}`);
    if (r.status !== 200) throw fail(what, r.status);
    return parseJson(r.text);
  }

  return {
    kind: 'keycloak',
    name,
    async execute(target, ctx) {
      const clientId = target.token?.clientId;
      if (target.kind !== 'token' || !clientId) throw new ConnectorError('the Keycloak connector logs out the sessions of a token’s client (client_id needed)', false);
      const token = await adminToken(ctx.timeoutMs);
      const clients = await getJson(`${admin}/clients?clientId=${encodeURIComponent(clientId)}`, token, ctx.timeoutMs, 'find client');
      const client = Array.isArray(clients) ? (clients as { id?: unknown; clientId?: unknown }[]).find((c) => c.clientId === clientId) : undefined;
      if (!client || typeof client.id !== 'string') throw new ConnectorError(`keycloak: no client ${clientId} in realm ${config.realm}`, false);
      const cid = encodeURIComponent(client.id);
      const sa = await httpRequest(`${admin}/clients/${cid}/service-account-user`, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, timeoutMs: ctx.timeoutMs, caPem: config.caPem }, 'keycloak service account');
      if (sa.status === 400 || sa.status === 404) throw new ConnectorError(`keycloak: client ${clientId} has no service account`, false);
      if (sa.status !== 200) throw fail('service-account-user', sa.status);
      const userId = (parseJson(sa.text) as { id?: unknown } | null)?.id;
      if (typeof userId !== 'string' || !userId) throw new ConnectorError('keycloak: service-account user without id', true);
      const uid = encodeURIComponent(userId);
      const out = await httpRequest(`${admin}/users/${uid}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, timeoutMs: ctx.timeoutMs, caPem: config.caPem }, 'keycloak logout');
      if (out.status !== 204 && out.status !== 200) throw fail('logout', out.status);
      const sessions = await getJson(`${admin}/users/${uid}/sessions`, token, ctx.timeoutMs, 'sessions');
      if (!Array.isArray(sessions)) throw new ConnectorError('keycloak sessions: not a list', true);
      if (sessions.length) throw new ConnectorError(`keycloak: ${sessions.length} session(s) still open after logout`, true);
      return { detail: `keycloak logged out client ${clientId} (service-account sessions: 0)` };
    },
    async testConnection(ctx) {
      const token = await adminToken(ctx.timeoutMs);
      await getJson(`${admin}/clients?clientId=${encodeURIComponent(config.adminClientId)}`, token, ctx.timeoutMs, 'find client');
      return { detail: `keycloak admin API reachable (realm ${config.realm})` };
    },
  };
}
