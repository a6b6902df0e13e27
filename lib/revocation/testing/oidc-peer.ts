// Test/bench-only: a real oidc-provider (v9) over TLS on 127.0.0.1 with revocation and
// introspection, opaque client-credentials tokens, and a Holdfast client allowed to revoke
// other clients' tokens. Counts calls per endpoint; its revocation endpoint can be made to answer
// 500 (`faults.revocation`), as an AS having trouble does.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { createPki, type OpensslPki } from '../../binding/testing/openssl.ts';

export interface OidcPeer {
  issuer: string;
  revocationEndpoint: string;
  introspectionEndpoint: string;
  tokenEndpoint: string;
  caPem: string;
  pki: OpensslPki;
  ca: { cert: string; key: string };
  holdfastClient: { clientId: string; clientSecret: string };
  calls: { revocation: number; introspection: number };
  /** `'500'`: the revocation endpoint answers HTTP 500 server_error (before oidc-provider sees the call) until set back to `'ok'`. */
  faults: { revocation: 'ok' | '500' };
  /** A fresh opaque access token for the `svc` client. */
  grant(): Promise<string>;
  /** RFC 7009 revocation straight at the AS (the benchmark's baseline). */
  revokeDirect(token: string): Promise<number>;
  /** RFC 7662 introspection straight at the AS: whether the token is still active. */
  activeAtAs(token: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function startOidcPeer(): Promise<OidcPeer> {
  const pki = createPki();
  const ca = pki.makeCa('oidc-peer-ca');
  const serverCert = { key: `${pki.dir}/as.key`, cert: `${pki.dir}/as.pem` };
  pki.run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', serverCert.key, '-out', `${pki.dir}/as.csr`, '-subj', '/CN=127.0.0.1']);
  writeFileSync(`${pki.dir}/as.ext`, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  pki.run(['x509', '-req', '-in', `${pki.dir}/as.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '30', '-extfile', `${pki.dir}/as.ext`, '-out', serverCert.cert]);
  const caPem = pki.read(ca.cert);
  const secrets = { svc: randomUUID(), holdfast: randomUUID() };
  const es = await generateKeyPair('ES256', { extractable: true });
  const rs = await generateKeyPair('RS256', { extractable: true });
  const server: Server = createServer({ key: pki.read(serverCert.key), cert: pki.read(serverCert.cert) });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...(await exportJWK(es.privateKey)), kid: 'es', alg: 'ES256', use: 'sig' }, { ...(await exportJWK(rs.privateKey)), kid: 'rs', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomUUID()] },
    scopes: ['openid', 'read'],
    clients: [
      { client_id: 'svc', client_secret: secrets.svc, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post', scope: 'read' },
      { client_id: 'holdfast', client_secret: secrets.holdfast, grant_types: [], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic' },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:holdfast:bench-api',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'read', audience: 'urn:holdfast:bench-api', accessTokenTTL: 3600, accessTokenFormat: 'opaque' }),
      },
    },
  });
  const calls = { revocation: 0, introspection: 0 };
  const faults: OidcPeer['faults'] = { revocation: 'ok' };
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/token/revocation')) {
      calls.revocation++;
      if (faults.revocation === '500') {
        req.resume();
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'server_error', error_description: 'injected fault' }));
        return;
      }
    }
    if (req.url?.startsWith('/token/introspection')) calls.introspection++;
    void callback(req, res);
  });
  const { Agent, fetch } = await import('undici');
  const agent = new Agent({ connect: { ca: caPem }, connections: 8 });
  const post = async (path: string, form: Record<string, string>, auth?: string) => {
    const r = await fetch(`${issuer}${path}`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) }, body: new URLSearchParams(form).toString() });
    const text = await r.text();
    return { status: r.status, text };
  };
  const basic = `Basic ${Buffer.from(`holdfast:${secrets.holdfast}`).toString('base64')}`;
  return {
    issuer,
    revocationEndpoint: `${issuer}/token/revocation`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    tokenEndpoint: `${issuer}/token`,
    caPem,
    pki,
    ca,
    holdfastClient: { clientId: 'holdfast', clientSecret: secrets.holdfast },
    calls,
    faults,
    async grant() {
      const r = await post('/token', { grant_type: 'client_credentials', client_id: 'svc', client_secret: secrets.svc, scope: 'read' });
      if (r.status !== 200) throw new Error(`grant ${r.status}: ${r.text}`);
      return (JSON.parse(r.text) as { access_token: string }).access_token;
    },
    async revokeDirect(token) {
      return (await post('/token/revocation', { token, token_type_hint: 'access_token' }, basic)).status;
    },
    async activeAtAs(token) {
      const r = await post('/token/introspection', { token }, basic);
      if (r.status !== 200) throw new Error(`introspection ${r.status}: ${r.text}`);
      return (JSON.parse(r.text) as { active: boolean }).active;
    },
    async close() {
      await agent.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      pki.cleanup();
    },
  };
}
