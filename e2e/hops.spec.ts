// Journey: an operator uploads one request's lines from three hops (an mTLS edge, a proxy that
// receives the client certificate in Envoy's x-forwarded-client-cert, a backend that receives none),
// each as its own source, on the Ingest page; the Hops page (from the navigation) shows the route's
// path client → edge → backend, names the proxy as the leaking hop, and its example opens every
// hop's line of the request with the chain verdict. Sources and ids are unique per run.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { signIn, uploadNginxJson } from './fixtures.ts';

test('the Hops page names the hop that stripped the client certificate, and opens every hop of the request', async ({ page }) => {
  const run = randomUUID().slice(0, 8);
  const corr = randomBytes(16).toString('hex');
  const der = randomBytes(32);
  const sha256 = createHash('sha256').update(der).digest();
  const t0 = Date.now() - 60_000;
  const at = (ms: number) => new Date(t0 + ms).toISOString().replace(/\.\d+Z$/, '+00:00');
  const base = (ms: number, host: string) => ({
    time: at(ms), request_id: randomBytes(16).toString('hex'), correlation_id: corr, remote_addr: '10.9.8.7', method: 'GET', scheme: 'https', host,
    uri: `/e2e-${run}/orders/1`, status: 200,
  });
  const edge = JSON.stringify({ ...base(5000, `hops-${run}.example`), ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'CN=svc-hops', ssl_client_x5t: sha256.toString('base64url') });
  const proxy = JSON.stringify({ ...base(0, 'proxy.internal'), http_x_forwarded_client_cert: `Hash=${sha256.toString('hex')}` });
  const backend = JSON.stringify({ ...base(3000, 'orders.internal'), http_client_cert: '', http_x_forwarded_client_cert: '' });
  const src = { edge: `e2e-edge-${run}`, proxy: `e2e-proxy-${run}`, backend: `e2e-orders-${run}` };

  await signIn(page, 'operator');
  // The backend's line first, the edge's last: the chain is decided whichever arrives last.
  await uploadNginxJson(page, 'backend.json', backend + '\n', src.backend);
  await uploadNginxJson(page, 'proxy.json', proxy + '\n', src.proxy);
  await uploadNginxJson(page, 'edge.json', edge + '\n', src.edge);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hops' }).click();
  await expect(page.getByRole('heading', { name: 'Hops', level: 1 })).toBeVisible();
  await page.getByLabel('Route').fill(`/e2e-${run}/orders`);
  await page.getByRole('button', { name: 'Apply' }).click();
  const path = page.getByTestId('hop-path');
  await expect(path).toHaveCount(1);
  await expect(path).toContainText(`hops-${run}.example /e2e-${run}/orders`);
  await expect(path).toContainText(`Edge: ${src.edge}`);
  await expect(path).toContainText(`Backend: ${src.backend}`);
  await expect(path.getByTestId('leaking-hop')).toContainText(`Leaking hop: ${src.proxy} (proxy)`);
  await expect(path.getByTestId('leaking-hop')).toContainText("stripped the client's certificate 1 time");
  // The path shows the proxy between, with what it did; the edge lost nothing.
  await expect(path).toContainText('1 proxy between');
  await expect(path).toContainText(`${src.proxy}: did not forward the certificate it received (1)`);
  await expect(path).toContainText("received none although the client presented one: 1");
  await page.screenshot({ path: test.info().outputPath('hops.png'), fullPage: true });

  await path.getByTestId('leaking-hop').getByRole('link', { name: 'example request' }).click();
  const request = page.getByTestId('hop-request');
  await expect(request).toContainText(corr);
  const rows = request.locator('tbody tr');
  await expect(rows).toHaveCount(3);
  for (const s of Object.values(src)) await expect(request.locator('tbody tr', { hasText: s })).toContainText('binding_context_stripped');
});
