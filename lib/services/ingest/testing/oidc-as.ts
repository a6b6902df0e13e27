// Test-only: a real oidc-provider on 127.0.0.1 issuing client-credentials tokens — DPoP-bound when
// the client sends a proof (npm `dpop`), bearer otherwise — with RFC 7662 introspection and RFC 7009
// revocation open to the test client. Shared by real-peers.test.ts and measure-verdict-agreement.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateProof, type KeyPair } from 'dpop';
import Provider from 'oidc-provider';

export const TEST_CLIENT = { id: 'svc-orders', secret: 'test-secret-for-ingest-real-peers-0123456789' };
const basic = `Basic ${Buffer.from(`${TEST_CLIENT.id}:${TEST_CLIENT.secret}`).toString('base64')}`;
const form = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };

export interface TestAuthorizationServer {
  issuer: string;
  /** A client-credentials access token: DPoP-bound to `dpop` when given, bearer otherwise. */
  token(dpop?: KeyPair): Promise<string>;
  /** The token endpoint's own answer to a client-credentials request carrying `dpopProof` as given. */
  tokenRequest(dpopProof: string | null): Promise<{ status: number; body: Record<string, unknown> }>;
  introspect(token: string): Promise<Record<string, unknown>>;
  /** RFC 7009 revocation; the HTTP status. */
  revoke(token: string): Promise<number>;
  close(): Promise<void>;
}

export async function startTestAuthorizationServer(): Promise<TestAuthorizationServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: TEST_CLIENT.id, client_secret: TEST_CLIENT.secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic', scope: 'orders:read' }],
    scopes: ['orders:read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      dPoP: { enabled: true },
    },
  });
  provider.on('server_error', () => {});
  server.on('request', provider.callback());
  const tokenRequest = async (dpopProof: string | null) => {
    const headers: Record<string, string> = { ...form, ...(dpopProof ? { dpop: dpopProof } : {}) };
    const res = await fetch(`${issuer}/token`, { method: 'POST', headers, body: 'grant_type=client_credentials&scope=orders%3Aread' });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return {
    issuer,
    tokenRequest,
    async token(dpop) {
      const { body } = await tokenRequest(dpop ? await generateProof(dpop, `${issuer}/token`, 'POST') : null);
      return body.access_token as string;
    },
    async introspect(token) {
      const res = await fetch(`${issuer}/token/introspection`, { method: 'POST', headers: form, body: new URLSearchParams({ token }).toString() });
      return (await res.json()) as Record<string, unknown>;
    },
    async revoke(token) {
      const res = await fetch(`${issuer}/token/revocation`, { method: 'POST', headers: form, body: new URLSearchParams({ token }).toString() });
      return res.status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
