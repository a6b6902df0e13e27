// Journey: an operator uploads an NGINX mTLS log line that carries the client's whole certificate
// ($ssl_client_escaped_cert) and opens the certificate's page: it offers the certificate as PEM (the
// bytes OpenSSL made), to read and to download. Screenshots at 1440, 1280 and 390 px.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { createGatewayPki, type GatewayPki } from '../lib/testing/gateway-pki.ts';
import { adminApi, shots, signIn, uploadNginxJson } from './fixtures.ts';

let pki: GatewayPki | null = null;
test.afterAll(() => pki?.cleanup());

test('the certificate page gives the certificate a log line carried, as PEM', async ({ page }) => {
  pki = createGatewayPki('holdfast-e2e-pem-');
  const good = pki.clients.good;
  const id = randomUUID().replace(/-/g, '');
  const line = JSON.stringify({
    time: new Date().toISOString(), request_id: id, remote_addr: '192.0.2.10', method: 'GET', scheme: 'https', host: 'api.test', uri: `/pem/${id}`, status: 200,
    ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'CN=svc-pem', ssl_client_escaped_cert: encodeURIComponent(good.pem),
  });
  await signIn(page, 'operator', '/ingest');
  await uploadNginxJson(page, 'mtls.json', `${line}\n`, `pem-${id.slice(0, 8)}`);

  await page.goto(`/certificates/${good.x5t}`);
  const download = page.getByTestId('certificate-pem-download');
  await expect(download).toHaveAttribute('download', `${good.x5t}.pem`);
  const href = (await download.getAttribute('href'))!;
  const pem = Buffer.from(href.slice(href.indexOf(',') + 1), 'base64').toString('utf8');
  expect(pem.replace(/-----[A-Z ]+-----|\s/g, '')).toBe(good.derB64);
  // The API gives the same PEM (GET /api/v1/certificates/{x5t#S256} through the running server).
  const api = await adminApi('GET', `/api/v1/certificates/${good.x5t}`);
  expect(api.status).toBe(200);
  expect((api.json.certificate as { pem: string }).pem).toBe(pem);
  await page.getByText('Show PEM').click();
  await expect(page.getByTestId('certificate-pem')).toContainText('-----BEGIN CERTIFICATE-----');
  await shots(page, 'certificate-pem');
});
