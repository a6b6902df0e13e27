// Integration: a real oidc-provider (v9) on 127.0.0.1 issues a DPoP-bound token (requested by
// oauth4webapi with a DPoP proof) and an mTLS-bound token (requested over TLS with a client
// certificate made by openssl). The classifier must read the binding from the JWT and from the
// introspection response, and the request verifiers must accept the right proof/cert.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import Provider, { type ProviderContext } from 'oidc-provider';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyToken } from './classify-token.ts';
import { KeyCache } from './key-cache.ts';
import { MemoryReplayStore } from './replay-store.ts';
import { createPki, type OpensslPki } from './testing/openssl.ts';
import { forgeAlg } from './testing/proofs.ts';
import { verifyDpopRequest, verifyMtlsRequest } from './verify-request.ts';

const API = 'urn:holdfast:test-api';
// oidc-provider refuses to introspect JWT access tokens ("Structured JWT Tokens cannot be
// introspected"), so a second resource server gets opaque tokens for the introspection path.
const OPAQUE_API = 'urn:holdfast:opaque-api';

describe('tokens issued by a real oidc-provider', () => {
  let pki: OpensslPki;
  let server: Server;
  let issuer: string;
  let clientPem: string;
  let clientX5t: string;
  let otherClientPem: string;
  let plainAgent: Agent;
  let mtlsAgent: Agent;
  let as: oauth.AuthorizationServer;
  let jwks: { keys: Record<string, unknown>[] };
  const secrets = { dpop: randomUUID(), mtls: randomUUID() };

  // oauth4webapi's customFetch over undici, so TLS options (client cert, test CA) apply.
  const fetchVia = (agent: Agent) => async (url: string, options: oauth.CustomFetchOptions<string, unknown>) => {
    const r = await undiciFetch(url, { method: options.method, headers: options.headers, body: options.body as string | undefined, redirect: 'manual', dispatcher: agent });
    return new Response(await r.arrayBuffer(), { status: r.status, headers: Object.fromEntries(r.headers) });
  };

  async function introspect(token: string, client: 'dpop-client' | 'mtls-client', agent: Agent): Promise<unknown> {
    const body = new URLSearchParams({ token, client_id: client, client_secret: client === 'dpop-client' ? secrets.dpop : secrets.mtls });
    const r = await undiciFetch(as.introspection_endpoint!, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, dispatcher: agent });
    const json: unknown = await r.json();
    if (r.status !== 200) throw new Error(`introspection ${r.status}: ${JSON.stringify(json)}`);
    return json;
  }

  async function grant(clientId: 'dpop-client' | 'mtls-client', resource: string, agent: Agent, DPoP?: oauth.DPoPHandle) {
    const client: oauth.Client = { client_id: clientId };
    const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(clientId === 'dpop-client' ? secrets.dpop : secrets.mtls), { scope: 'read', resource }, {
      ...(DPoP ? { DPoP } : {}),
      [oauth.customFetch]: fetchVia(agent),
    });
    return oauth.processClientCredentialsResponse(as, client, res);
  }

  beforeAll(async () => {
    pki = createPki();
    const ca = pki.makeCa('oidc-test-ca');
    const serverCert = pki.makeLeaf('127.0.0.1', ca);
    const clientCert = pki.makeLeaf('mtls-client', ca);
    clientPem = pki.read(clientCert.cert);
    clientX5t = pki.x5tByShell(clientCert.cert);
    otherClientPem = pki.read(pki.makeLeaf('someone-else', ca).cert);

    const es = await generateKeyPair('ES256', { extractable: true });
    const rs = await generateKeyPair('RS256', { extractable: true });
    const signingKeys = [
      { ...(await exportJWK(es.privateKey)), kid: 'es', alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(rs.privateKey)), kid: 'rs', alg: 'RS256', use: 'sig' },
    ];

    server = createServer({ key: pki.read(serverCert.key), cert: pki.read(serverCert.cert), ca: pki.read(ca.cert), requestCert: true, rejectUnauthorized: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const provider = new Provider(issuer, {
      jwks: { keys: signingKeys },
      cookies: { keys: [randomUUID()] },
      scopes: ['openid', 'read'],
      clients: [
        { client_id: 'dpop-client', client_secret: secrets.dpop, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post', scope: 'read' },
        {
          client_id: 'mtls-client', client_secret: secrets.mtls, grant_types: ['client_credentials'], redirect_uris: [], response_types: [],
          token_endpoint_auth_method: 'client_secret_post', scope: 'read', tls_client_certificate_bound_access_tokens: true,
        },
      ],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        dPoP: { enabled: true },
        mTLS: {
          enabled: true,
          certificateBoundAccessTokens: true,
          getCertificate(ctx: ProviderContext) {
            const peer = (ctx.socket as TLSSocket).getPeerX509Certificate?.();
            return peer ? peer.toString() : undefined;
          },
          certificateAuthorized(ctx: ProviderContext) {
            return (ctx.socket as TLSSocket).authorized;
          },
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => API,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) =>
            resource === OPAQUE_API
              ? { scope: 'read', audience: OPAQUE_API, accessTokenTTL: 600, accessTokenFormat: 'opaque' }
              : { scope: 'read', audience: API, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } },
        },
      },
    });
    server.on('request', provider.callback());
    provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err));
    provider.on('grant.error', (_ctx, err) => console.error('oidc-provider grant.error', err.message, err.error_description));

    plainAgent = new Agent({ connect: { rejectUnauthorized: false } });
    mtlsAgent = new Agent({ connect: { rejectUnauthorized: false, cert: clientPem, key: pki.read(clientCert.key) } });
    const issuerUrl = new URL(issuer);
    as = await oauth.processDiscoveryResponse(
      issuerUrl,
      await oauth.discoveryRequest(issuerUrl, { algorithm: 'oidc', [oauth.customFetch]: fetchVia(plainAgent) }),
    );
    const jr = await undiciFetch(as.jwks_uri!, { dispatcher: plainAgent });
    jwks = (await jr.json()) as { keys: Record<string, unknown>[] };
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server?.closeAllConnections?.();
    await plainAgent?.close();
    await mtlsAgent?.close();
    pki?.cleanup();
  });

  it('DPoP: oauth4webapi gets a DPoP-bound JWT; classifier reads cnf.jkt from the JWT and introspection; the resource proof verifies', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP({}, keyPair);
    const expectedJkt = await DPoP.calculateThumbprint();
    const tokens = await grant('dpop-client', API, plainAgent, DPoP);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const token = tokens.access_token;

    const fromJwt = await classifyToken({ kind: 'jwt', token }, { verification: { jwks: jwks as never } });
    expect(fromJwt).toMatchObject({ binding: 'dpop', cnfJkt: expectedJkt, cnfX5tS256: null, bindingAnomaly: false, signature: 'verified', issuer, clientId: 'dpop-client', scopes: ['read'] });
    expect(fromJwt.ttlSeconds).toBe(600);

    const opaque = (await grant('dpop-client', OPAQUE_API, plainAgent, DPoP)).access_token;
    expect(opaque.split('.').length).toBe(1);
    const intro = await introspect(opaque, 'dpop-client', plainAgent);
    const fromIntrospection = await classifyToken({ kind: 'introspection', response: intro, token: opaque });
    expect(fromIntrospection).toMatchObject({ binding: 'dpop', cnfJkt: expectedJkt, active: true, tokenType: 'DPoP', clientId: 'dpop-client' });
    expect(JSON.stringify(fromIntrospection)).not.toContain(opaque);

    // The same client then calls a resource server with a fresh proof (ath + jkt checked).
    let proof: string | null = null;
    const rsUrl = 'https://rs.example.com/v1/orders';
    await oauth.protectedResourceRequest(token, 'GET', new URL(rsUrl), new Headers(), null, {
      DPoP,
      [oauth.customFetch]: async (_u, init) => {
        proof = new Headers(init.headers).get('dpop');
        return new Response('{}', { status: 200 });
      },
    });
    const deps = { replayStore: new MemoryReplayStore(), keyCache: new KeyCache() };
    const ok = await verifyDpopRequest({ proof: proof!, method: 'GET', url: rsUrl, token, authScheme: 'DPoP' }, deps);
    expect(ok).toMatchObject({ ok: true, reason: null, jkt: expectedJkt, tokenBinding: 'dpop' });
    const replay = await verifyDpopRequest({ proof: proof!, method: 'GET', url: rsUrl, token, authScheme: 'DPoP' }, deps);
    expect(replay.reason).toBe('jti_replay');
    const asBearer = await verifyDpopRequest({ proof: proof!, method: 'GET', url: rsUrl, token, authScheme: 'Bearer' }, { keyCache: new KeyCache(), replayStore: new MemoryReplayStore() });
    expect(asBearer.reason).toBe('bearer_scheme_for_dpop_token');
  });

  it('mTLS: a client certificate over TLS gets an x5t#S256-bound JWT; classifier reads cnf from JWT and introspection; the cert verifies, another does not', async () => {
    const token = (await grant('mtls-client', API, mtlsAgent)).access_token;

    const fromJwt = await classifyToken({ kind: 'jwt', token }, { verification: { jwks: jwks as never } });
    expect(fromJwt).toMatchObject({ binding: 'mtls', cnfX5tS256: clientX5t, cnfJkt: null, signature: 'verified', clientId: 'mtls-client' });

    const opaque = (await grant('mtls-client', OPAQUE_API, mtlsAgent)).access_token;
    const intro = await introspect(opaque, 'mtls-client', mtlsAgent);
    const fromIntrospection = await classifyToken({ kind: 'introspection', response: intro });
    expect(fromIntrospection).toMatchObject({ binding: 'mtls', cnfX5tS256: clientX5t, active: true });

    expect(await verifyMtlsRequest({ cert: clientPem, token })).toMatchObject({ ok: true, x5tS256: clientX5t, tokenBinding: 'mtls' });
    expect(await verifyMtlsRequest({ cert: otherClientPem, token })).toMatchObject({ ok: false, reason: 'x5t_mismatch' });
  });

  // Issue #16: `alg: none` proofs were reported as `malformed`. oauth4webapi's real token-request
  // proof, re-headed as an attacker would: the real oidc-provider refuses each at its token
  // endpoint, and Holdfast says why — reason `alg`, the algorithm named in the check detail.
  it.each([
    ['alg "none", unsigned', { alg: 'none' }, /alg "none" is not allowed: an unsigned proof/],
    ['alg "none", unsigned, no jwk', { alg: 'none', jwk: 'drop' }, /alg "none" is not allowed: an unsigned proof/],
    ['alg "HS256", HMAC under an oct jwk', { alg: 'HS256', jwk: 'oct' }, /alg "HS256" is not allowed: symmetric \(HMAC\)/],
    ['alg "HS256", HMAC, the public jwk kept', { alg: 'HS256' }, /alg "HS256" is not allowed: symmetric \(HMAC\)/],
    ['an unknown alg "ES256K"', { alg: 'ES256K' }, /alg "ES256K" is not allowed: not an algorithm known/],
  ] as const)('a real client\'s proof re-headed with %s: oidc-provider refuses it, Holdfast names the alg', async (_name, forge, detail) => {
    const keyPair = await oauth.generateKeyPair('ES256');
    let captured: string | null = null;
    // The proof oauth4webapi makes for a token request, captured before it is sent.
    await oauth.clientCredentialsGrantRequest(as, { client_id: 'dpop-client' }, oauth.ClientSecretPost(secrets.dpop), { scope: 'read', resource: API }, {
      DPoP: oauth.DPoP({}, keyPair),
      [oauth.customFetch]: async (_u, init) => {
        captured = new Headers(init.headers).get('dpop');
        return new Response('{}', { status: 500 });
      },
    }).catch(() => undefined);
    expect(captured).toMatch(/^ey/);
    const forged = forgeAlg(captured!, forge);

    const body = new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: API, client_id: 'dpop-client', client_secret: secrets.dpop });
    const res = await undiciFetch(as.token_endpoint!, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: forged }, dispatcher: plainAgent });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_dpop_proof');

    const r = await verifyDpopRequest({ proof: forged, method: 'POST', url: as.token_endpoint! }, { keyCache: new KeyCache() });
    expect({ ok: r.ok, reason: r.reason, rfcError: r.rfcError }).toEqual({ ok: false, reason: 'alg', rfcError: 'invalid_dpop_proof' });
    expect(r.checks.find((c) => !c.ok)).toMatchObject({ name: 'alg', detail: expect.stringMatching(detail) });
    expect(r.explanation).toContain(`"${forge.alg}"`);
  });

  it('a token requested without proof or certificate is bearer', async () => {
    const { access_token } = await grant('dpop-client', API, plainAgent);
    expect((await classifyToken({ kind: 'jwt', token: access_token })).binding).toBe('bearer');
    const opaque = (await grant('dpop-client', OPAQUE_API, plainAgent)).access_token;
    const intro = await introspect(opaque, 'dpop-client', plainAgent);
    expect(await classifyToken({ kind: 'introspection', response: intro })).toMatchObject({ binding: 'bearer', active: true });
  });
});
