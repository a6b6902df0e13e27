// Operator journey: a token known by its fingerprint only (an inventory row) is revoked from its
// page; its issuer's RFC 7009 endpoint needs the raw token, so the leg fails and the Revocations
// page asks for it; the operator pastes it, retries, and watches the leg confirm. Checked at a
// desktop (1440 px) and a phone (390 px) width.
//
// What is real here: the running Holdfast server and its worker, the browser flow, and the
// authorization server (oidc-provider over TLS, RFC 7009 revocation and RFC 7662 introspection)
// that issued the token and says it is inactive afterwards.
import { expect, test, type Page } from '@playwright/test';
import { fingerprintToken } from '../lib/credentials/fingerprint.ts';
import { startOidcPeer, type OidcPeer } from '../lib/revocation/testing/oidc-peer.ts';
import { adminApi, signIn } from './fixtures.ts';
import { thisWorkersServer } from './servers.ts';

let peer: OidcPeer | undefined;
let raw = '';
let tokenId = '';

test.beforeAll(async () => {
  peer = await startOidcPeer();
  const c = await adminApi('POST', '/api/v1/connectors', {
    name: 'e2e-oauth-as', kind: 'oauth', matchIssuer: peer.issuer,
    config: { revocationEndpoint: peer.revocationEndpoint, introspectionEndpoint: peer.introspectionEndpoint, clientId: peer.holdfastClient.clientId, authMethod: 'client_secret_basic', caPem: peer.caPem },
    secrets: { clientSecret: peer.holdfastClient.clientSecret },
  });
  expect(c.status, JSON.stringify(c.json)).toBe(201);
  raw = await peer.grant();
  const fp = fingerprintToken(raw);
  // Holdfast learns the token by its fingerprint only, as from an inventory export.
  const ingested = await fetch(`${thisWorkersServer().url}/api/v1/ingest?format=inventory-csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${thisWorkersServer().apiKey}`, 'content-type': 'text/csv' },
    body: `nhi,fingerprint,issuer,binding\nsvc-e2e-raw-token,${fp},${peer.issuer},bearer\n`,
  });
  expect(ingested.status, await ingested.clone().text()).toBe(200);
  const listed = await adminApi('GET', `/api/v1/tokens?limit=500&issuer=${encodeURIComponent(peer.issuer)}`);
  tokenId = (listed.json.items as { id: string; fingerprint: string }[]).find((t) => t.fingerprint === fp)!.id;
  expect(tokenId).toBeTruthy();
});

test.afterAll(async () => {
  await peer?.close();
});

/** The page at a desktop and a phone width, whole, for the record; nothing wider than the window. */
async function atBothWidths(page: Page, name: string) {
  for (const [width, height] of [[1440, 900], [390, 844]] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: test.info().outputPath(`${name}-${width}.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name} at ${width} px is wider than the window`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

test('the operator pastes the raw token into the failed leg, retries, and sees it confirmed', async ({ page }) => {
  await signIn(page, 'operator', `/tokens/${tokenId}`);
  await page.goto(`/tokens/${tokenId}`);
  await page.getByTestId('revoke-token').click();
  const dialog = page.getByTestId('revoke-dialog');
  await dialog.getByTestId('revoke-reason').fill('e2e: leaked in a support ticket');
  await dialog.getByTestId('confirm-revoke').click();
  await expect(page).toHaveURL(/\/revocations\?id=/);
  const id = new URL(page.url()).searchParams.get('id')!;
  const rev = page.locator(`[data-testid=revocation][data-id="${id}"]`);

  // The issuer's endpoint needs the raw token Holdfast never kept: the leg fails and says so.
  await expect(rev).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
  await expect(rev.locator('[data-testid=leg][data-kind=token][data-state=failed]')).toContainText('needs the raw token');
  const input = rev.getByTestId('retry-raw-token');
  await expect(input).toBeVisible();
  await expect(input).toHaveAttribute('type', 'password');
  expect(await peer!.activeAtAs(raw)).toBe(true);
  await atBothWidths(page, 'revocation-needs-raw-token');

  await input.fill(raw);
  await rev.getByTestId('retry').click();
  await expect(rev).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });
  await expect(rev.locator('[data-testid=leg][data-kind=token][data-state=confirmed]')).toHaveCount(1);
  // The form is gone with the need for it, and the page never shows the token.
  await expect(rev.getByTestId('retry-raw-token')).toHaveCount(0);
  expect(await page.content()).not.toContain(raw);
  await atBothWidths(page, 'revocation-confirmed-after-raw-token');

  // The issuer agrees, and the token reads revoked on its page.
  expect(await peer!.activeAtAs(raw)).toBe(false);
  await page.goto(`/tokens/${tokenId}`);
  await expect(page.getByTestId('token-state')).toHaveAttribute('data-state', 'revoked');
});
