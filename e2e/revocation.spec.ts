// Operator journey: select a high-risk mTLS-bound token, revoke it with its certificate, and
// watch both legs confirm; the analyst sees no revoke button and the API answers 403.
//
// What is real here: the running Holdfast server, its worker, the browser flow, the signed
// webhook call, the CRL Holdfast signs and serves at /crl/<ca>.pem (checked with openssl).
// What is staged: the demo estate's tokens come from no real authorization server, so the
// token leg goes to a webhook receiver started by this spec (it checks the HMAC signature
// and answers { revoked: true }); the demo CA's key does not exist, so the spec registers an
// openssl-made CA key under the demo CA's name and Holdfast publishes that CA's CRL.
import { expect, test } from '@playwright/test';
import { createPki, type OpensslPki } from '../lib/binding/testing/openssl.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../lib/revocation/testing/webhook-receiver.ts';
import { CAS } from '../lib/seed/demo-vocabulary.ts';
import { adminApi, signIn } from './fixtures.ts';
import { thisWorkersServer } from './servers.ts';

const HMAC = 'e2e-revocation-webhook-secret';
const base = () => thisWorkersServer().url;
const adminKey = () => thisWorkersServer().apiKey;

let receiver: WebhookReceiver | undefined;
let pki: OpensslPki;

test.beforeAll(async () => {
  receiver = await startWebhookReceiver(HMAC);
  const url = receiver.url;
  const hook = await adminApi('POST', '/api/v1/connectors', { name: 'e2e-token-webhook', kind: 'webhook', matchIssuer: '*', config: { url }, secrets: { hmacSecret: HMAC } });
  expect(hook.status, JSON.stringify(hook.json)).toBe(201);
  pki = createPki();
  for (const ca of Object.values(CAS)) {
    const made = pki.makeCa(ca.name);
    const c = await adminApi('POST', '/api/v1/connectors', { name: `e2e-crl-${ca.name}`, kind: 'crl', config: { caName: ca.name, caCertPem: pki.read(made.cert) }, secrets: { caKeyPem: pki.read(made.key) } });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
  }
  const list = await adminApi('GET', '/api/v1/connectors');
  expect(JSON.stringify(list.json)).not.toContain('PRIVATE KEY');
  expect(JSON.stringify(list.json)).not.toContain(HMAC);
});

test.afterAll(async () => {
  await receiver?.close();
  pki?.cleanup();
});

test('the operator revokes a high-risk mTLS token with its certificate and watches both legs confirm', async ({ page }) => {
  await signIn(page, 'operator', '/tokens?binding=mtls&risk=flagged&status=active');
  await page.goto('/tokens?binding=mtls&risk=flagged&status=active');
  const first = page.getByTestId('token-row').first();
  await expect(first).toBeVisible();
  await first.getByTestId('select-token').check();
  await page.getByTestId('revoke-selected').click();

  const dialog = page.getByTestId('revoke-dialog');
  await expect(dialog.getByTestId('with-certificate')).toBeChecked();
  await expect(dialog.getByTestId('plan-certificate')).toHaveCount(1);
  const plannedTokens = await dialog.getByTestId('plan-token').count();
  expect(plannedTokens).toBeGreaterThanOrEqual(1);
  await expect(dialog.getByTestId('confirm-revoke')).toBeDisabled(); // no reason yet
  await dialog.getByTestId('revoke-reason').fill('e2e: token replayed from an unexpected network');
  await page.screenshot({ path: test.info().outputPath('revoke-dialog.png') });
  await dialog.getByTestId('confirm-revoke').click();

  await expect(page).toHaveURL(/\/revocations\?id=/);
  const id = new URL(page.url()).searchParams.get('id')!;
  const rev = page.locator(`[data-testid=revocation][data-id="${id}"]`);
  await expect(rev).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });
  await expect(rev.locator('[data-testid=leg][data-kind=certificate][data-state=confirmed]')).toHaveCount(1);
  await expect(rev.locator('[data-testid=leg][data-kind=token][data-state=confirmed]')).toHaveCount(plannedTokens);
  await page.screenshot({ path: test.info().outputPath('revocation-confirmed.png'), fullPage: true });

  // The peers saw what Holdfast claims: signed webhook calls for the tokens, and the serial in
  // the CRL served at /crl/<ca>.pem (openssl parses it and lists the serial).
  expect(receiver!.calls.filter((c) => c.body.kind === 'token' && c.signed).length).toBe(plannedTokens);
  const detail = await adminApi('GET', `/api/v1/revocations/${id}`);
  const certLeg = (detail.json.legs as { kind: string; certificateId: string }[]).find((l) => l.kind === 'certificate')!;
  const plan = await adminApi('POST', '/api/v1/revocations/preview', { certificateIds: [certLeg.certificateId] });
  const cert = (plan.json.certificates as { serial: string; caName: string }[])[0]!;
  const pem = await (await fetch(`${base()}/crl/${cert.caName}.pem`)).text();
  expect(pem.startsWith('-----BEGIN X509 CRL-----')).toBe(true);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${pki.dir}/e2e.crl`, pem);
  expect(pki.run(['crl', '-in', `${pki.dir}/e2e.crl`, '-noout', '-text'])).toContain(cert.serial.toUpperCase().replace(/^(00)+/, ''));
});

test('the analyst sees no revoke control and the API answers 403', async ({ page }) => {
  await signIn(page, 'analyst', '/tokens');
  await page.goto('/tokens');
  await expect(page.getByTestId('token-row').first()).toBeVisible();
  await expect(page.getByTestId('revoke-selected')).toHaveCount(0);
  await expect(page.getByTestId('select-token')).toHaveCount(0);
  const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  const res = await page.request.post('/api/v1/revocations', {
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf ?? '', origin: base() },
    data: { tokenIds: ['00000000-0000-4000-8000-000000000000'], reason: 'should not be allowed' },
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).code).toBe('forbidden');
  // Nor on a token's own page.
  await page.getByTestId('token-row').first().locator('a[href^="/tokens/"]').first().click();
  await expect(page.getByTestId('why')).toBeVisible();
  await expect(page.getByTestId('revoke-token')).toHaveCount(0);
  await page.goto('/revocations');
  await expect(page.getByTestId('retry')).toHaveCount(0);
});

test('the operator revokes one token from its page; the dialog names the token', async ({ page }) => {
  await signIn(page, 'operator', '/tokens?binding=bearer&status=active');
  await page.goto('/tokens?binding=bearer&status=active');
  await page.getByTestId('token-row').first().locator('a[href^="/tokens/"]').first().click();
  // A modal: focus starts in it (on the reason), Tab never leaves it, Escape closes it and
  // focus returns to the button that opened it.
  const opener = page.getByTestId('revoke-token');
  await opener.click();
  const dialog = page.getByTestId('revoke-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('revoke-reason')).toBeFocused();
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="revoke-dialog"]'))).toBe(true);
  }
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(opener).toBeFocused();
  await opener.click();
  await expect(dialog.getByTestId('plan-token')).toHaveCount(1);
  await expect(dialog.getByTestId('plan-certificate')).toHaveCount(0); // a bearer token has none
  await dialog.getByTestId('revoke-reason').fill('e2e: single token from its page');
  await dialog.getByTestId('confirm-revoke').click();
  await expect(page).toHaveURL(/\/revocations\?id=/);
  const id = new URL(page.url()).searchParams.get('id')!;
  await expect(page.locator(`[data-testid=revocation][data-id="${id}"]`)).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });
});

test('the operator revokes every credential of an identity from its page', async ({ page }) => {
  await signIn(page, 'operator', '/tokens?binding=mtls&status=active');
  await page.goto('/tokens?binding=mtls&status=active&sort=id');
  await page.getByTestId('token-row').last().locator('a[href^="/identities/"]').first().click();
  await page.getByTestId('revoke-identity').click();
  const dialog = page.getByTestId('revoke-dialog');
  await expect(dialog.getByTestId('revoke-plan')).toBeVisible();
  expect((await dialog.getByTestId('plan-token').count()) + (await dialog.getByTestId('plan-certificate').count())).toBeGreaterThan(0);
  await dialog.getByTestId('revoke-reason').fill('e2e: identity decommissioned');
  await dialog.getByTestId('confirm-revoke').click();
  await expect(page).toHaveURL(/\/revocations\?id=/);
  const id = new URL(page.url()).searchParams.get('id')!;
  await expect(page.locator(`[data-testid=revocation][data-id="${id}"]`)).toHaveAttribute('data-state', 'confirmed', { timeout: 45_000 });
});

test('the admin sees the connectors (secrets sealed, never shown) and tests one', async ({ page }) => {
  await signIn(page, 'admin', '/settings');
  await page.goto('/settings');
  const panel = page.getByTestId('connectors');
  await expect(panel.getByRole('cell', { name: 'e2e-token-webhook', exact: true })).toBeVisible();
  await expect(panel).not.toContainText(HMAC);
  const row = panel.getByRole('row', { name: /e2e-crl-spire-mesh-ca/ });
  await row.getByRole('button', { name: 'Test connection' }).click();
  await expect(row.getByRole('status')).toContainText('signing key matches the certificate');
});

test('holdfast revoke --server waits for confirmation and prints the CONTRACT shape', async () => {
  const { runCli } = await import('../lib/testing/processes.ts');
  const page = await adminApi('GET', '/api/v1/tokens?binding=bearer&status=active&limit=1');
  const tokenId = (page.json.items as { id: string }[])[0]!.id;
  const r = await runCli(['revoke', '--token-id', tokenId, '--reason', 'e2e cli', '--json', '--server', base(), '--api-key', adminKey()]);
  expect(r.code, r.stderr).toBe(0);
  // CONTRACT fields exactly; added fields (receipts) allowed.
  expect(JSON.parse(r.stdout)).toMatchObject({ id: expect.any(String), state: 'confirmed', legs: [{ kind: 'token', state: 'confirmed', attempts: 1, lastError: null }] });
  const bad = await runCli(['revoke', '--token-id', tokenId, '--json', '--server', base(), '--api-key', adminKey()]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--reason is required/);
});
