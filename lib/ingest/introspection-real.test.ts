// Tokens from a real oidc-provider (DPoP-bound and bearer client-credentials tokens),
// introspected over RFC 7662 and ingested with the introspection parser.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256B64url } from '../credentials/fingerprint.ts';
import { PARSERS } from './registry.ts';
import { createParseContext, type ParseResult } from './types.ts';

const CLIENT = { id: 'svc-orders', secret: 'test-secret-for-introspection-0123456789abcdef' };
const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;

let server: http.Server;
let issuer = '';

beforeAll(async () => {
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'orders:read orders:write',
      },
    ],
    scopes: ['orders:read', 'orders:write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      dPoP: { enabled: true },
    },
  });
  provider.on('server_error', () => {});
  server.on('request', provider.callback());
}, 30_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function token(dpopKeys?: Awaited<ReturnType<typeof generateKeyPair>>): Promise<{ access_token: string; token_type: string }> {
  const headers: Record<string, string> = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };
  if (dpopKeys) headers.dpop = await generateProof(dpopKeys, `${issuer}/token`, 'POST');
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers, body: 'grant_type=client_credentials&scope=orders%3Aread' });
  const body = (await res.json()) as { access_token: string; token_type: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function introspect(accessToken: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: accessToken }).toString(),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

function parse(line: string): ParseResult {
  return PARSERS.introspection.parseLine(line, createParseContext());
}

describe('introspection responses from a real oidc-provider', () => {
  it('a DPoP-bound token ingests as binding dpop with the key thumbprint, fingerprinted and without the raw token', async () => {
    const keys = await generateKeyPair('ES256');
    const t = await token(keys);
    expect(t.token_type).toBe('DPoP');
    const resp = await introspect(t.access_token);
    const line = JSON.stringify({ ...resp, token: t.access_token });
    const r = parse(line);
    expect(r).toMatchObject({
      kind: 'token',
      token: {
        fingerprint: sha256B64url(t.access_token),
        identityName: CLIENT.id,
        clientId: CLIENT.id,
        binding: 'dpop',
        cnfJkt: await calculateThumbprint(keys.publicKey),
        bindingAnomaly: false,
        active: true,
        issuer,
        scopes: ['orders:read'],
      },
    });
    if (r.kind === 'token') {
      expect(r.token.expiresAt!.getTime()).toBeGreaterThan(Date.now());
      expect(JSON.stringify(r)).not.toContain(t.access_token);
    }
  });

  it('a bearer token ingests as binding bearer; without a token member it cannot be identified (oidc-provider sends no jti)', async () => {
    const t = await token();
    expect(t.token_type).toBe('Bearer');
    const resp = await introspect(t.access_token);
    expect(resp.jti).toBeUndefined();
    const r = parse(JSON.stringify({ ...resp, token: t.access_token }));
    expect(r).toMatchObject({ kind: 'token', token: { binding: 'bearer', cnfJkt: null, cnfX5tS256: null, identityName: CLIENT.id, fingerprint: sha256B64url(t.access_token) } });
    expect(parse(JSON.stringify(resp))).toMatchObject({ kind: 'error', reason: 'missing_field', message: expect.stringContaining('jti') });
  });

  it('an unknown token introspects as {"active":false} and is rejected with missing_field (nothing identifies it)', async () => {
    const resp = await introspect('not-a-real-token');
    expect(resp).toEqual({ active: false });
    expect(parse(JSON.stringify(resp))).toMatchObject({ kind: 'error', reason: 'missing_field' });
  });
});
