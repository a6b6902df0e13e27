// step-ca connector against a small local HTTP fake of step-ca's `/1.0/revoke`, `/1.0/crl` and
// `/health` (a real step-ca is not installable here): the fake verifies the one-time token with
// the provisioner's public key and the claims step-ca checks (iss, sub = decimal serial, aud),
// and serves a real DER CRL signed by an openssl CA listing what was revoked.
import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki, type OpensslPki } from '../binding/testing/openssl.ts';
import { createStepCaConnector, serialToDecimal } from './step-ca-connector.ts';

describe('step-ca connector (local fake of the step-ca API)', () => {
  let server: http.Server;
  let url = '';
  let pki: OpensslPki;
  let leafSerial = '';
  let crlEnabled = true;
  const revoked: string[] = [];
  let provisionerJwk = '';

  beforeAll(async () => {
    pki = createPki();
    const ca = pki.makeCa('step-fake-ca');
    leafSerial = new X509Certificate(pki.read(pki.makeLeaf('svc', ca).cert)).serialNumber.toLowerCase();
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    provisionerJwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'prov-kid', alg: 'ES256' });
    const caCert = new x509.X509Certificate(pki.read(ca.cert));
    const caKey = await webcrypto.subtle.importKey('pkcs8', createPrivateKey(pki.read(ca.key)).export({ type: 'pkcs8', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        if (req.url === '/health') return void res.writeHead(200).end('{"status":"ok"}');
        if (req.url === '/1.0/crl') {
          if (!crlEnabled) return void res.writeHead(404).end();
          const crl = await x509.X509CrlGenerator.create({
            issuer: caCert.subject, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 3600_000),
            signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams, signingKey: caKey as CryptoKey,
            entries: revoked.map((d) => ({ serialNumber: BigInt(d).toString(16) })),
          });
          return void res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(Buffer.from(crl.rawData));
        }
        if (req.method === 'POST' && req.url === '/1.0/revoke') {
          const b = JSON.parse(body) as { serial: string; ott: string; passive: boolean };
          try {
            const { payload, protectedHeader } = await jwtVerify(b.ott, publicKey, { issuer: 'holdfast-prov', audience: `${url}/1.0/revoke`, subject: b.serial });
            if (protectedHeader.kid !== 'prov-kid' || !payload.jti || !b.passive) throw new Error('bad token');
          } catch {
            return void res.writeHead(401).end('{"status":401,"message":"unauthorized"}');
          }
          revoked.push(b.serial);
          return void res.writeHead(200).end('{"status":"ok"}');
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    pki?.cleanup();
  });

  const ctx = { now: () => new Date(), timeoutMs: 2000 };
  const target = (serial: string) => ({ legId: 'l', revocationId: 'r', kind: 'certificate' as const, reason: 'key compromise', certificate: { id: 'c', serial, issuerDn: null, subjectDn: null, x5tS256: 'x', caName: 'step', revokedAt: new Date() } });

  it('serials go to step-ca in decimal', () => {
    expect(serialToDecimal('0a')).toBe('10');
    expect(serialToDecimal('01:00')).toBe('256');
  });

  it('revokes with a provisioner one-time token and confirms from step-ca\'s CRL', async () => {
    const c = createStepCaConnector('step', { url, provisioner: 'holdfast-prov' }, { provisionerJwk });
    const r = await c.execute(target(leafSerial), ctx);
    expect(revoked).toEqual([serialToDecimal(leafSerial)]);
    expect(r.detail).toContain('listed in its CRL');
    expect((await c.testConnection(ctx)).detail).toBe('step-ca reachable; provisioner key signs');
  });

  it('a wrong provisioner is refused for good; without a CRL the leg is not confirmed', async () => {
    const wrong = createStepCaConnector('step', { url, provisioner: 'someone-else' }, { provisionerJwk });
    await expect(wrong.execute(target('0b'), ctx)).rejects.toMatchObject({ message: 'step-ca revoke: HTTP 401', retryable: false });
    crlEnabled = false;
    const c = createStepCaConnector('step', { url, provisioner: 'holdfast-prov' }, { provisionerJwk });
    await expect(c.execute(target('0c'), ctx)).rejects.toMatchObject({ message: /serves no CRL/, retryable: false });
    crlEnabled = true;
  });
});
