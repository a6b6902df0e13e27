// Vault PKI connector against a small local HTTP fake of Vault's documented endpoints
// (`POST /v1/<mount>/revoke`, `GET /v1/<mount>/cert/<serial>`, `GET /v1/<mount>/ca/pem`):
// a real Vault is not installable here, so this checks our side of the contract only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from './types.ts';
import { createVaultPkiConnector, vaultSerial } from './vault-pki-connector.ts';

describe('Vault PKI connector (local fake of the Vault API)', () => {
  let server: http.Server;
  let address = '';
  const revoked = new Map<string, number>();
  const seen: string[] = [];
  const TOKEN = 'hvs.test-token';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}`);
        if (req.headers['x-vault-token'] !== TOKEN) return void res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":["permission denied"]}');
        if (req.method === 'POST' && req.url === '/v1/pki/revoke') {
          const serial = (JSON.parse(body) as { serial_number: string }).serial_number;
          revoked.set(serial, 1_700_000_000);
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { revocation_time: 1_700_000_000 } }));
        }
        const m = /^\/v1\/pki\/cert\/(.+)$/.exec(req.url ?? '');
        if (req.method === 'GET' && m) {
          const s = decodeURIComponent(m[1]!);
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { certificate: '…', revocation_time: revoked.get(s) ?? 0 } }));
        }
        if (req.method === 'GET' && req.url === '/v1/pki/ca/pem') return void res.writeHead(200).end('-----BEGIN CERTIFICATE-----');
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const target = (serial: string) => ({
    legId: 'l', revocationId: 'r', kind: 'certificate' as const, reason: 'x',
    certificate: { id: 'c', serial, issuerDn: null, subjectDn: null, x5tS256: 'x', caName: 'vault', revokedAt: new Date() },
  });
  const ctx = { now: () => new Date(), timeoutMs: 2000 };

  it.each([
    ['0a1b2c', '0a:1b:2c'],
    ['A1B2C3', 'a1:b2:c3'],
    ['1b2c3', '01:b2:c3'],
    ['00:ff:01', 'ff:01'],
  ])('serial %s is sent as %s', (input, want) => {
    expect(vaultSerial(input)).toBe(want);
  });

  it('revokes by serial and confirms from the certificate read-back', async () => {
    const c = createVaultPkiConnector('vault', { address, mount: 'pki' }, { token: TOKEN });
    const r = await c.execute(target('3fa1b2'), ctx);
    expect(r.detail).toMatch(/vault revoked 3f:a1:b2 at 2023-11-14T22:13:20.000Z/);
    expect(seen.slice(-2)).toEqual(['POST /v1/pki/revoke', `GET /v1/pki/cert/${encodeURIComponent('3f:a1:b2')}`]);
    expect((await c.testConnection(ctx)).detail).toBe('vault PKI mount reachable');
  });

  it('a refused token is a permanent failure; no certificate is not retried either', async () => {
    const c = createVaultPkiConnector('vault', { address, mount: 'pki' }, { token: 'wrong' });
    const e = await c.execute(target('01'), ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectorError);
    expect(e).toMatchObject({ message: 'vault revoke: HTTP 403', retryable: false });
    const tokenLeg = await c.execute({ legId: 'l', revocationId: 'r', kind: 'token', reason: 'x' }, ctx).catch((x: unknown) => x);
    expect(tokenLeg).toMatchObject({ retryable: false });
  });
});
