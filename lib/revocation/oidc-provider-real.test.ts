// A real oidc-provider (v9) on 127.0.0.1 over TLS issues opaque DPoP-bound and mTLS
// certificate-bound tokens. Holdfast revokes them through its OAuth connector (RFC 7009) and
// confirms with RFC 7662 introspection; a leg is confirmed only once introspection says
// `active: false`. Faults are made at the real server: a front handler answering 500, the
// listener closed (connection refused), and a handler that never answers (timeout).
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import Provider, { type ProviderContext } from 'oidc-provider';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki, type OpensslPki } from '../binding/testing/openssl.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { createConnector, dbConnectorResolver } from './connector-store.ts';
import { requestRevocation } from './request-revocation.ts';
import { getRevocation, retryRevocation } from './revocation-queries.ts';
import { runRevocationWorker, type RevocationWorkerOptions } from './run-revocation-worker.ts';
import { makeCertificate, makeIdentity, makeToken } from './testing/fixtures.ts';

const OPAQUE_API = 'urn:holdfast:opaque-api';
const key = randomBytes(32);

describe('revocation against a real oidc-provider', () => {
  let pki: OpensslPki;
  let ca: { cert: string; key: string };
  let server: Server;
  let port = 0;
  let issuer = '';
  let as: oauth.AuthorizationServer;
  let plainAgent: Agent;
  let mtlsAgent: Agent;
  let clientCertPem = '';
  let holdfastJwtKeyPem = '';
  let holdfastCert = { cert: '', key: '' };
  let mode: 'ok' | '500' | 'hang' = 'ok';
  const peerCalls = { revocation: 0, introspection: 0 };
  const secrets = { dpop: randomUUID(), mtls: randomUUID(), holdfast: randomUUID() };

  const fetchVia = (agent: Agent) => async (url: string, options: oauth.CustomFetchOptions<string, unknown>) => {
    const r = await undiciFetch(url, { method: options.method, headers: options.headers, body: options.body as string | undefined, redirect: 'manual', dispatcher: agent });
    return new Response(await r.arrayBuffer(), { status: r.status, headers: Object.fromEntries(r.headers) });
  };

  async function grant(clientId: 'dpop-client' | 'mtls-client', agent: Agent, DPoP?: oauth.DPoPHandle): Promise<string> {
    const client: oauth.Client = { client_id: clientId };
    const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(clientId === 'dpop-client' ? secrets.dpop : secrets.mtls), { scope: 'read', resource: OPAQUE_API }, {
      ...(DPoP ? { DPoP } : {}),
      [oauth.customFetch]: fetchVia(agent),
    });
    try {
      return (await oauth.processClientCredentialsResponse(as, client, res)).access_token;
    } catch (e) {
      throw new Error(`grant failed: ${JSON.stringify((e as { cause?: unknown }).cause)}`);
    }
  }

  async function activeAtAs(token: string): Promise<boolean> {
    const body = new URLSearchParams({ token, client_id: 'dpop-client', client_secret: secrets.dpop });
    const r = await undiciFetch(as.introspection_endpoint!, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, dispatcher: plainAgent });
    return ((await r.json()) as { active: boolean }).active;
  }

  const listen = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const unlisten = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  beforeAll(async () => {
    pki = createPki();
    ca = pki.makeCa('oidc-rev-ca');
    // The connector verifies the AS's TLS certificate against caPem: it needs an IP SAN.
    const serverCert = { key: `${pki.dir}/as.key`, cert: `${pki.dir}/as.pem` };
    pki.run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', serverCert.key, '-out', `${pki.dir}/as.csr`, '-subj', '/CN=127.0.0.1']);
    writeFileSync(`${pki.dir}/as.ext`, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    pki.run(['x509', '-req', '-in', `${pki.dir}/as.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '30', '-extfile', `${pki.dir}/as.ext`, '-out', serverCert.cert]);
    const clientCert = pki.makeLeaf('mtls-client', ca);
    clientCertPem = pki.read(clientCert.cert);
    const hc = pki.makeLeaf('holdfast-client', ca);
    holdfastCert = { cert: pki.read(hc.cert), key: pki.read(hc.key) };
    const es = await generateKeyPair('ES256', { extractable: true });
    const rs = await generateKeyPair('RS256', { extractable: true });
    const hk = await generateKeyPair('ES256', { extractable: true });
    holdfastJwtKeyPem = await exportPKCS8(hk.privateKey);

    server = createServer({ key: pki.read(serverCert.key), cert: pki.read(serverCert.cert), ca: pki.read(ca.cert), requestCert: true, rejectUnauthorized: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    issuer = `https://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      jwks: { keys: [{ ...(await exportJWK(es.privateKey)), kid: 'es', alg: 'ES256', use: 'sig' }, { ...(await exportJWK(rs.privateKey)), kid: 'rs', alg: 'RS256', use: 'sig' }] },
      cookies: { keys: [randomUUID()] },
      scopes: ['openid', 'read'],
      clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'none'],
      clients: [
        { client_id: 'dpop-client', client_secret: secrets.dpop, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post', scope: 'read' },
        { client_id: 'mtls-client', client_secret: secrets.mtls, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post', scope: 'read', tls_client_certificate_bound_access_tokens: true },
        // Holdfast's own clients at the AS: one per client authentication method it supports.
        { client_id: 'holdfast-basic', client_secret: secrets.holdfast, grant_types: [], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic' },
        { client_id: 'holdfast-post', client_secret: secrets.holdfast, grant_types: [], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post' },
        { client_id: 'holdfast-mtls', grant_types: [], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=holdfast-client' },
        { client_id: 'holdfast-jwt', grant_types: [], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [{ ...(await exportJWK(hk.publicKey)), alg: 'ES256', use: 'sig' }] } },
      ],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        // A governance client revokes other clients' tokens: the default policy refuses that.
        revocation: { enabled: true, allowedPolicy: async () => true },
        dPoP: { enabled: true },
        mTLS: {
          enabled: true,
          certificateBoundAccessTokens: true,
          tlsClientAuth: true,
          getCertificate(ctx: ProviderContext) {
            const peer = (ctx.socket as TLSSocket).getPeerX509Certificate?.();
            return peer ? peer.toString() : undefined;
          },
          certificateAuthorized(ctx: ProviderContext) {
            return (ctx.socket as TLSSocket).authorized;
          },
          // tls_client_auth_subject_dn 'CN=holdfast-client' against the verified peer certificate.
          certificateSubjectMatches(ctx: ProviderContext, property: string, expected: string) {
            const peer = (ctx.socket as TLSSocket).getPeerX509Certificate?.();
            return property === 'tls_client_auth_subject_dn' && !!peer && `CN=${peer.subject.replace(/^CN=/, '')}` === expected;
          },
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => OPAQUE_API,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({ scope: 'read', audience: OPAQUE_API, accessTokenTTL: 600, accessTokenFormat: 'opaque' }),
        },
      },
    });
    provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err));
    const callback = provider.callback();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/token/revocation')) peerCalls.revocation++;
      if (req.url?.startsWith('/token/introspection')) peerCalls.introspection++;
      if (mode === '500') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}');
      if (mode === 'hang') return; // never answers
      void callback(req, res);
    });
    plainAgent = new Agent({ connect: { rejectUnauthorized: false } });
    mtlsAgent = new Agent({ connect: { rejectUnauthorized: false, cert: clientCertPem, key: pki.read(clientCert.key) } });
    const issuerUrl = new URL(issuer);
    as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, { algorithm: 'oidc', [oauth.customFetch]: fetchVia(plainAgent) }));
  });

  afterAll(async () => {
    mode = 'ok';
    await unlisten().catch(() => {});
    await plainAgent?.close();
    await mtlsAgent?.close();
    pki?.cleanup();
  });

  for (const runtime of RUNTIMES) {
    describe(`on ${runtime}`, async () => {
      const available = runtime === 'pglite' || (await postgresAvailable());
      let t: TestDatabase;
      const worker = (extra: Partial<RevocationWorkerOptions> = {}): RevocationWorkerOptions => ({
        connectors: dbConnectorResolver(t.db, key),
        key,
        workerId: `w-${runtime}`,
        baseDelayMs: 1,
        maxDelayMs: 5,
        timeoutMs: 8000, // generous on loaded shared machines; the timeout case sets its own
        ...extra,
      });
      const state = (id: string) => t.db.prisma.revocation.findUniqueOrThrow({ where: { id }, include: { legs: { include: { token: true } } } });
      const useConnector = async (clientId: string, authMethod: string, extra: Record<string, unknown> = {}) => {
        await t.db.prisma.connector.deleteMany({ where: { kind: 'oauth' } });
        await createConnector(t.db, key, {
          name: `as-${authMethod}`,
          kind: 'oauth',
          matchIssuer: issuer,
          config: { revocationEndpoint: as.revocation_endpoint, introspectionEndpoint: as.introspection_endpoint, clientId, authMethod, caPem: pki.read(ca.cert), ...extra },
          secrets: authMethod === 'private_key_jwt' ? { clientKeyPem: holdfastJwtKeyPem } : authMethod === 'tls_client_auth' ? { clientKeyPem: holdfastCert.key } : { clientSecret: secrets.holdfast },
        }, 'test');
      };

      beforeAll(async () => {
        if (!available) return;
        t = await openTestDatabase(runtime);
        await createConnector(t.db, key, { name: 'crl', kind: 'crl', config: { caName: 'oidc-rev-ca', caCertPem: pki.read(ca.cert) }, secrets: { caKeyPem: pki.read(ca.key) } }, 'test');
      });
      afterAll(async () => {
        await t?.drop();
      });

      it.skipIf(!available).each([
        ['client_secret_basic', 'holdfast-basic'],
        ['client_secret_post', 'holdfast-post'],
        ['private_key_jwt', 'holdfast-jwt'],
        ['tls_client_auth', 'holdfast-mtls'],
      ])('DPoP-bound token, %s: introspection turns active:false and only then is the leg confirmed', async (method, clientId) => {
        mode = 'ok';
        await useConnector(clientId, method, method === 'private_key_jwt' ? { assertionAudience: issuer } : method === 'tls_client_auth' ? { clientCertPem: holdfastCert.cert } : {});
        const DPoP = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
        const raw = await grant('dpop-client', plainAgent, DPoP);
        expect(await activeAtAs(raw)).toBe(true);
        const id = await makeIdentity(t.db);
        const { token } = await makeToken(t.db, id.id, { raw, issuer, binding: 'dpop' });
        const r = await requestRevocation(t.db, key, { tokenIds: [token.id], rawToken: raw, reason: 'compromised runner', actor: 'user:op@example.com' });
        expect((await state(r.id)).legs[0]!.state).toBe('pending');
        expect(await activeAtAs(raw)).toBe(true); // nothing left Holdfast yet: the outbox holds it
        const pass = await runRevocationWorker(t.db, worker());
        expect(pass, (await state(r.id)).legs[0]!.lastError ?? '').toMatchObject({ claimed: 1, confirmed: 1 });
        expect(await activeAtAs(raw)).toBe(false);
        const rev = await state(r.id);
        expect(rev.state).toBe('confirmed');
        expect(rev.legs[0]).toMatchObject({ state: 'confirmed', attempts: 1, sealedToken: null, lastError: null });
      });

      it.skipIf(!available)('mTLS-bound token with its certificate: token leg via RFC 7009, certificate leg via the CRL; both confirmed', async () => {
        mode = 'ok';
        await useConnector('holdfast-basic', 'client_secret_basic');
        const raw = await grant('mtls-client', mtlsAgent);
        const id = await makeIdentity(t.db);
        const cert = await makeCertificate(t.db, id.id, clientCertPem, 'oidc-rev-ca');
        const { token } = await makeToken(t.db, id.id, { raw, issuer, certificateId: cert.id, x5t: cert.x5tS256 });
        const r = await requestRevocation(t.db, key, { tokenIds: [token.id], rawToken: raw, withCertificate: true, reason: 'key compromise', actor: 'user:op@example.com' });
        await runRevocationWorker(t.db, worker());
        const rev = await state(r.id);
        expect(rev.state).toBe('confirmed');
        expect(rev.legs.map((l) => `${l.kind}:${l.state}`).sort()).toEqual(['certificate:confirmed', 'token:confirmed']);
        expect(await activeAtAs(raw)).toBe(false);
        await t.db.prisma.certificate.delete({ where: { id: cert.id } }); // the PEM is reused by the next runtime
      });

      it.skipIf(!available)('AS answering 500, unreachable, then timing out: the token leg retries and the revocation is partial; when the AS is back both legs complete', async () => {
        mode = 'ok';
        await useConnector('holdfast-basic', 'client_secret_basic');
        const raw = await grant('mtls-client', mtlsAgent);
        const id = await makeIdentity(t.db);
        const leaf = pki.makeLeaf(`leaf-${randomBytes(3).toString('hex')}`, ca);
        const cert = await makeCertificate(t.db, id.id, pki.read(leaf.cert), 'oidc-rev-ca');
        const { token } = await makeToken(t.db, id.id, { raw, issuer, certificateId: cert.id });
        const r = await requestRevocation(t.db, key, { tokenIds: [token.id], rawToken: raw, withCertificate: true, reason: 'fault drill', actor: 'user:op@example.com' });
        const tokenLeg = async () => (await state(r.id)).legs.find((l) => l.kind === 'token')!;
        const pause = () => new Promise((res) => setTimeout(res, 10));

        mode = '500';
        await runRevocationWorker(t.db, worker());
        expect((await state(r.id)).state).toBe('partial');
        expect(await tokenLeg()).toMatchObject({ state: 'in_progress', attempts: 1, lastError: 'revocation: HTTP 500 server_error' });

        mode = 'ok';
        await unlisten();
        await pause();
        await runRevocationWorker(t.db, worker());
        expect((await state(r.id)).state).toBe('partial');
        // A pooled keep-alive connection cut by the stop reads as a reset; a new one is refused.
        expect(await tokenLeg()).toMatchObject({ state: 'in_progress', attempts: 2, lastError: expect.stringMatching(/^revocation: (ECONNREFUSED|ECONNRESET)$/) });
        await listen();

        mode = 'hang';
        await pause();
        const t0 = Date.now();
        await runRevocationWorker(t.db, worker({ timeoutMs: 800 }));
        expect(Date.now() - t0).toBeLessThan(6000);
        expect(await tokenLeg()).toMatchObject({ state: 'in_progress', attempts: 3, lastError: 'revocation: timed out' });
        expect(await activeAtAs((mode = 'ok', raw))).toBe(true); // nothing was revoked by the failed attempts

        await pause();
        await runRevocationWorker(t.db, worker());
        const rev = await state(r.id);
        expect(rev.state).toBe('confirmed');
        expect(await tokenLeg()).toMatchObject({ state: 'confirmed', attempts: 4, lastError: null, sealedToken: null });
        expect(await activeAtAs(raw)).toBe(false);
      });

      it.skipIf(!available)('without the raw token an RFC 7009 leg fails at once with a reason (Holdfast keeps only fingerprints)', async () => {
        mode = 'ok';
        await useConnector('holdfast-basic', 'client_secret_basic');
        const id = await makeIdentity(t.db);
        const { token } = await makeToken(t.db, id.id, { issuer });
        const r = await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'x', actor: 'a' });
        await runRevocationWorker(t.db, worker());
        const rev = await state(r.id);
        expect(rev.state).toBe('failed');
        expect(rev.legs[0]!.lastError).toMatch(/needs the raw token/);
      });

      it.skipIf(!available)('a failed RFC 7009 leg says it needs the raw token; a retry with it (the right one only) confirms at the AS', async () => {
        mode = 'ok';
        await useConnector('holdfast-basic', 'client_secret_basic');
        const DPoP = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
        const raw = await grant('dpop-client', plainAgent, DPoP);
        const id = await makeIdentity(t.db);
        const { token } = await makeToken(t.db, id.id, { raw, issuer, binding: 'dpop' });
        const r = await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'x', actor: 'a' });
        await runRevocationWorker(t.db, worker());
        expect((await getRevocation(t.db, r.id)).legs[0]).toMatchObject({ state: 'failed', needsRawToken: true });
        await expect(retryRevocation(t.db, r.id, 'user:op@example.com', { rawToken: `${raw}x`, key })).rejects.toMatchObject({ code: 'validation_failed' });
        expect((await state(r.id)).legs[0]!.sealedToken).toBeNull();
        const again = await retryRevocation(t.db, r.id, 'user:op@example.com', { rawToken: raw, key });
        expect(again.legs[0]).toMatchObject({ state: 'pending', needsRawToken: false });
        await runRevocationWorker(t.db, worker());
        expect((await getRevocation(t.db, r.id)).legs[0]).toMatchObject({ state: 'confirmed', needsRawToken: false });
        expect(await activeAtAs(raw)).toBe(false);
        // Sealed while it waited, erased once the leg finished; never in the audit log.
        expect((await state(r.id)).legs[0]!.sealedToken).toBeNull();
        const audit = await t.db.prisma.auditEntry.findMany({ where: { action: 'revocation.retry', target: `revocation:${r.id}` } });
        expect(audit.map((e) => e.details)).toEqual([{ legs: 1, rawTokenSupplied: true }]);
        expect(JSON.stringify(audit, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(raw);
      });

      it.skipIf(!available)('test connection: right secret ok, wrong secret not', async () => {
        mode = 'ok';
        const { testConnector } = await import('./connector-store.ts');
        await useConnector('holdfast-basic', 'client_secret_basic');
        const good = await t.db.prisma.connector.findFirstOrThrow({ where: { kind: 'oauth' } });
        expect(await testConnector(t.db, key, good.id)).toMatchObject({ ok: true });
        await t.db.prisma.connector.deleteMany({ where: { kind: 'oauth' } });
        const bad = await createConnector(t.db, key, { name: 'bad', kind: 'oauth', matchIssuer: 'x', config: { revocationEndpoint: as.revocation_endpoint, introspectionEndpoint: as.introspection_endpoint, clientId: 'holdfast-basic', caPem: pki.read(ca.cert) }, secrets: { clientSecret: 'wrong' } }, 'test');
        expect(await testConnector(t.db, key, bad.id)).toMatchObject({ ok: false, detail: 'introspection: HTTP 401 invalid_client' });
      });
    });
  }
});
