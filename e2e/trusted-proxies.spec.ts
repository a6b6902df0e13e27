// Journey: an admin says which proxies a backend's source may believe a forwarded client
// certificate from. On the Sources page a bad CIDR is refused in one line and nothing is created;
// the source is created with its trusted proxies (shown canonical), then changed in its row; the
// API answers the same list. Screenshots at 1440, 1280 and 390 px.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { adminApi, shots, signIn } from './fixtures.ts';

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

  const listed = await adminApi('GET', '/api/v1/sources');
  expect((listed.json.sources as Array<{ name: string; trustedProxies: string[] }>).find((s) => s.name === source)?.trustedProxies).toEqual(['127.0.0.1/32']);
});
