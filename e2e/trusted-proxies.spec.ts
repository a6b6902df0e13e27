// Journey: an admin says which proxies a backend's source may believe a forwarded client
// certificate from. On the Sources page a bad CIDR is refused in one line and nothing is created;
// the source is created with its trusted proxies (shown canonical), then changed in its row; the
// API answers the same list. A backend log uploaded on the Ingest page: as that source, the request
// sent straight to the backend (from 127.0.0.2) reads spoofed_client_cert; as a source without
// trusted proxies, the result warns that the header is believed from any peer; the Sources page then
// lists the two peers that forwarded certificates and the admin trusts only the edge. Networks broad
// enough to hold clients are warned of when saved. Screenshots at 1440, 1280 and 390 px.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { createGatewayPki, type GatewayPki } from '../lib/testing/gateway-pki.ts';
import { adminApi, shots, signIn, uploadNginxJson } from './fixtures.ts';

let pki: GatewayPki | null = null;
test.afterAll(() => pki?.cleanup());

/** Two lines of the recommended NGINX backend format carrying the same Client-Cert: from the edge (127.0.0.1) and from 127.0.0.2. */
function backendLog(ids: [string, string]): string {
  pki ??= createGatewayPki('holdfast-e2e-trusted-');
  const good = pki.clients.good;
  const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-e2e', client_id: 'svc-e2e', cnf: { 'x5t#S256': good.x5t } })}.c2ln`;
  return ids.map((id, i) => JSON.stringify({
    time: new Date().toISOString(), request_id: id, correlation_id: id, remote_addr: `127.0.0.${i + 1}`, realip_remote_addr: `127.0.0.${i + 1}`,
    method: 'GET', scheme: 'http', host: 'api.test', uri: `/api/${id}`, status: 200, http_authorization: `Bearer ${token}`, http_client_cert: `:${good.derB64}:`,
  })).join('\n');
}

test('a row sends one request however often its form is submitted, and more than 100 proxies are refused in words', async ({ page }) => {
  const source = `backend-${randomUUID().slice(0, 8)}`;
  await adminApi('PUT', `/api/v1/sources/${source}/trusted-proxies`, { trustedProxies: [] });
  await signIn(page, 'admin', '/sources');
  await page.goto('/sources');
  const row = page.locator(`tr[data-source="${source}"]`);
  const field = page.getByLabel(`Trusted proxies of ${source}`);
  const puts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'PUT' && r.url().includes(`/sources/${source}/trusted-proxies`)) puts.push(r.url());
  });
  // Two submits in one go (Enter pressed twice before the page repaints): one request.
  await field.fill('10.1.0.0/16');
  const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes(`/sources/${source}/trusted-proxies`));
  await row.locator('form').evaluate((f: HTMLFormElement) => {
    f.requestSubmit();
    f.requestSubmit();
  });
  await answered;
  await page.waitForTimeout(500);
  expect.soft(puts).toHaveLength(1);
  await expect.soft(row.getByRole('status')).toContainText('Saved: 10.1.0.0/16. Batches ingested from now on are judged with this list; requests already stored keep the verdicts they were given');
  // 65,536 addresses: a network of clients too, said where it was saved.
  await expect.soft(row.getByRole('alert')).toHaveText(
    "Warning: 10.1.0.0/16 trusts 65,536 addresses: any client inside it can send a forwarded client certificate header straight to the backend and be believed as a proxy; list your edges' own addresses instead",
  );

  // 101 addresses, as typed: the server's one reason, not a schema message about arrays.
  await field.fill(Array.from({ length: 101 }, (_, i) => `10.2.0.${i}`).join(', '));
  await row.getByRole('button', { name: 'Save' }).click();
  await expect.soft(row.getByRole('alert')).toHaveText('trustedProxies: at most 100 trusted proxies (got 101)');
  const listed = await adminApi('GET', '/api/v1/sources');
  expect((listed.json.sources as Array<{ name: string; trustedProxies: string[] }>).find((s) => s.name === source)?.trustedProxies).toEqual(['10.1.0.0/16']);
});

test('the admin sets and changes the trusted proxies of a source', async ({ page }) => {
  const source = `backend-${randomUUID().slice(0, 8)}`;
  await signIn(page, 'admin');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources' }).click();

  await page.getByLabel('Name', { exact: true }).fill(source);
  await page.getByLabel('Trusted proxies', { exact: true }).fill('10.0.0.1/8');
  await page.getByRole('button', { name: 'Create source and key' }).click();
  const createForm = page.locator('form', { has: page.getByRole('button', { name: 'Create source and key' }) });
  await expect(createForm.getByRole('alert')).toHaveText('trustedProxies: "10.0.0.1/8" has host bits set: the network is 10.0.0.0/8');
  await expect(page.locator(`tr[data-source="${source}"]`)).toHaveCount(0);

  await page.getByLabel('Trusted proxies', { exact: true }).fill('10.0.0.0/8, 2001:DB8::/32');
  await page.getByRole('button', { name: 'Create source and key' }).click();
  await expect(page.getByTestId('source-key')).toBeVisible();
  // Both networks hold clients as well as proxies: said where the source was created.
  await expect(createForm.getByRole('alert')).toHaveText([
    "Warning: 10.0.0.0/8 trusts 16,777,216 addresses: any client inside it can send a forwarded client certificate header straight to the backend and be believed as a proxy; list your edges' own addresses instead",
    "Warning: 2001:db8::/32 trusts 2^96 addresses: any client inside it can send a forwarded client certificate header straight to the backend and be believed as a proxy; list your edges' own addresses instead",
  ]);
  const field = page.getByLabel(`Trusted proxies of ${source}`);
  await expect(field).toHaveValue('10.0.0.0/8, 2001:db8::/32');
  await shots(page, 'sources-trusted-proxies');

  // Changed in the source's row: a bad one is refused there, a good one saved canonical.
  const row = page.locator(`tr[data-source="${source}"]`);
  await field.fill('127.0.0.1, edge.internal');
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(row.getByRole('alert')).toHaveText('trustedProxies: "edge.internal" is not an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)');
  await field.fill('127.0.0.1');
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByLabel(`Trusted proxies of ${source}`)).toHaveValue('127.0.0.1/32');
  await expect(row.getByRole('alert')).toHaveCount(0);
  await expect.soft(row.getByRole('status')).toContainText('Saved: 127.0.0.1/32.');

  const listed = await adminApi('GET', '/api/v1/sources');
  expect((listed.json.sources as Array<{ name: string; trustedProxies: string[] }>).find((s) => s.name === source)?.trustedProxies).toEqual(['127.0.0.1/32']);

  // The backend's log as this source: the request from 127.0.0.2 brought the header itself.
  const ids: [string, string] = [randomUUID().replace(/-/g, ''), randomUUID().replace(/-/g, '')];
  await uploadNginxJson(page, 'backend.json', backendLog(ids), source);
  await expect(page.getByTestId('ingest-warnings')).toHaveCount(0);
  const events = await adminApi('GET', `/api/v1/events?source=${source}&limit=10`);
  const verdicts = Object.fromEntries((events.json.items as Array<{ requestId: string; verdict: string }>).map((e) => [e.requestId, e.verdict]));
  expect(verdicts).toEqual({ [ids[0]]: 'ok', [ids[1]]: 'spoofed_client_cert' });

  // As a source without trusted proxies: believed from any peer, and the result says so.
  await uploadNginxJson(page, 'backend.json', backendLog([randomUUID().replace(/-/g, ''), randomUUID().replace(/-/g, '')]), `${source}-open`);
  await expect(page.getByTestId('ingest-warnings')).toContainText(
    `Warning: 2 lines of source ${source}-open carry a forwarded client certificate (from TCP peers 127.0.0.1, 127.0.0.2): forwarded certificate headers are believed from any peer: set the trusted proxies`,
  );
  await shots(page, 'ingest-trusted-proxies-warning');

  // The Sources page lists the peers that forwarded certificates to the open source; the admin
  // ticks the edge and trusts only it: the other peer is then outside the trusted proxies.
  await page.goto('/sources#forwarders');
  const seen = page.getByRole('region', { name: `Forwarders of ${source}-open` });
  await expect(seen.locator('tr[data-peer]')).toHaveCount(2);
  await expect(seen.locator('tr[data-peer="127.0.0.2"]')).toContainText('yes (any peer)');
  await shots(page, 'sources-forwarders');
  await seen.getByLabel(`127.0.0.1 is an edge of ${source}-open`).check();
  await seen.getByRole('button', { name: 'Trust only the ticked peer' }).click();
  await expect(seen.getByRole('status')).toContainText(`Saved: the trusted proxies of ${source}-open are 127.0.0.1/32.`);
  await expect(page.getByLabel(`Trusted proxies of ${source}-open`)).toHaveValue('127.0.0.1/32');
  await expect(seen.locator('tr[data-peer="127.0.0.2"]')).toContainText('no: spoofed_client_cert');
  await expect(seen.locator('tr[data-peer="127.0.0.1"]')).toContainText('yes');

  // The API answers the same forwarders (GET /api/v1/sources through the running server).
  const api = await adminApi('GET', '/api/v1/sources');
  const open = (api.json.sources as Array<{ name: string; forwarding: { forwarders: Array<{ peer: string; lines: number; believedLines: number; trusted: boolean | null }>; forwardersTotal: number; trustedProxyWarnings: string[] } }>)
    .find((x) => x.name === `${source}-open`)!;
  expect(open.forwarding.forwarders.map((f) => [f.peer, f.lines, f.believedLines, f.trusted]).sort()).toEqual([['127.0.0.1', 1, 1, true], ['127.0.0.2', 1, 1, false]]);
  expect([open.forwarding.forwardersTotal, open.forwarding.trustedProxyWarnings]).toEqual([2, []]);
});
