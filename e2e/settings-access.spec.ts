// The admin's shut-off journey in Settings (issue #14 item 6, issue #18): create an analyst through
// the UI, watch them work in a second browser context, change their role and disable them — each
// after a confirmation dialog that keeps focus inside and closes on Escape — and see their next page
// load go to sign-in; create and revoke an API key and see it refused at once. Own accounts and keys
// only: the shared server's e2e accounts are left alone. Screenshots at 1440, 1280 and 390 px.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { signIn } from './fixtures.ts';

const PASSWORD = 'settings access e2e passphrase';
const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

async function signInAs(page: Page, email: string, next = '/') {
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toHaveText(email);
}

/** Tab and Shift+Tab several times: focus never leaves the dialog. */
async function expectFocusTrapped(page: Page, dialog: Locator) {
  for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
    await page.keyboard.press(key);
    expect(await dialog.evaluate((d) => d.contains(document.activeElement)), `focus after ${key}`).toBe(true);
  }
}

async function shots(page: Page, name: string) {
  for (const [width, height] of [[1440, 900], [1280, 800], [390, 844]] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: test.info().outputPath(`${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('the admin creates an analyst, changes their role and disables them: each change ends their session at once', async ({ page, browser, baseURL }) => {
  const email = `access-${unique()}@holdfast.test`;
  await signIn(page, 'admin', '/settings');
  await page.goto('/settings');

  const form = page.getByRole('form', { name: 'Create user' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Role').selectOption('analyst');
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create user' }).click();
  const create = page.getByRole('dialog', { name: 'Create user' });
  await expect(create).toContainText(`Create ${email} with the analyst role?`);
  await create.getByRole('button', { name: 'Create user' }).click();
  await expect(create).toBeHidden();
  const row = page.getByTestId('user-row').filter({ hasText: email });
  await expect(row).toBeVisible();
  await expect(row.getByLabel(`Role of ${email}`)).toHaveValue('analyst');

  // The new analyst works in their own browser context.
  const theirs = await browser.newContext({ baseURL });
  const them = await theirs.newPage();
  try {
    await signInAs(them, email, '/tokens');
    await expect(them).toHaveURL(/\/tokens/);

    // The role dialog: focus starts on Cancel, stays inside, Escape closes it and changes nothing.
    await row.getByLabel(`Role of ${email}`).selectOption('auditor');
    const roleDialog = page.getByRole('dialog', { name: 'Change role' });
    await expect(roleDialog).toContainText(`Change ${email} from analyst to auditor?`);
    await expect(roleDialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await expectFocusTrapped(page, roleDialog);
    await page.keyboard.press('Escape');
    await expect(roleDialog).toBeHidden();
    await expect(row.getByLabel(`Role of ${email}`)).toHaveValue('analyst');
    await them.reload();
    await expect(them).toHaveURL(/\/tokens/);

    // Confirmed this time: their next page load goes to sign-in; signing in again gives the new role.
    await row.getByLabel(`Role of ${email}`).selectOption('auditor');
    await page.getByRole('dialog', { name: 'Change role' }).getByRole('button', { name: 'Make auditor' }).click();
    await expect(row.getByLabel(`Role of ${email}`)).toHaveValue('auditor');
    await them.reload();
    await expect(them).toHaveURL(/\/sign-in/);
    await signInAs(them, email, '/tokens');
    await expect(them.getByText('role: auditor')).toBeVisible();

    // Disable: Escape first (nothing happens), then confirmed.
    await row.getByRole('button', { name: `Disable ${email}` }).click();
    const disable = page.getByRole('dialog', { name: 'Disable user' });
    await expect(disable).toContainText('Their sessions end at once');
    await expectFocusTrapped(page, disable);
    await page.screenshot({ path: test.info().outputPath('settings-disable-dialog-1280.png') });
    await page.keyboard.press('Escape');
    await expect(disable).toBeHidden();
    await expect(row.getByRole('button', { name: `Disable ${email}` })).toBeFocused();
    await row.getByRole('button', { name: `Disable ${email}` }).click();
    await disable.getByRole('button', { name: 'Disable user' }).click();
    await expect(row).toContainText('disabled');
    await them.reload();
    await expect(them).toHaveURL(/\/sign-in/);
    expect((await them.request.get('/api/v1/auth/session')).status()).toBe(401);

    // The only admin cannot disable themselves: the dialog says why, nothing changes.
    const me = page.getByTestId('user-row').filter({ hasText: 'admin@holdfast.test' });
    await me.getByRole('button', { name: 'Disable admin@holdfast.test' }).click();
    const self = page.getByRole('dialog', { name: 'Disable user' });
    await expect(self).toContainText('This is your own account.');
    await self.getByRole('button', { name: 'Disable user' }).click();
    await expect(self.getByRole('alert')).toContainText('last enabled admin');
    await page.keyboard.press('Escape');
    await expect(self).toBeHidden();
    await expect(me).not.toContainText('disabled');

    await page.setViewportSize({ width: 390, height: 844 });
    await row.getByRole('button', { name: `Enable ${email}` }).click();
    await expect(page.getByRole('dialog', { name: 'Enable user' })).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('settings-enable-dialog-390.png') });
    await page.keyboard.press('Escape');
    await shots(page, 'settings-users');
  } finally {
    await theirs.close();
  }
});

test('Create API key makes one key however often the form is submitted at once', async ({ page }) => {
  const name = `e2e-once-${unique()}`;
  await signIn(page, 'admin', '/settings');
  await page.goto('/settings');
  const form = page.getByRole('form', { name: 'Create API key' });
  await form.getByLabel('Name').fill(name);
  // Enter pressed twice before the page repaints: one key, not two.
  await form.evaluate((f: HTMLFormElement) => {
    f.requestSubmit();
    f.requestSubmit();
  });
  await expect(page.getByTestId('new-api-key')).toHaveText(/^hf_/);
  await page.waitForTimeout(500);
  await page.reload();
  await expect(page.getByTestId('key-row').filter({ hasText: name })).toHaveCount(1);
});

test('the admin revokes an API key in Settings and the key is refused at once', async ({ page, playwright, baseURL }) => {
  const name = `e2e-revoke-${unique()}`;
  await signIn(page, 'admin', '/settings');
  await page.goto('/settings');
  const form = page.getByRole('form', { name: 'Create API key' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Role').selectOption('auditor');
  await page.getByRole('button', { name: 'Create API key' }).click();
  const key = (await page.getByTestId('new-api-key').textContent())!;
  expect(key).toMatch(/^hf_/);
  const row = page.getByTestId('key-row').filter({ hasText: name });
  await expect(row).toContainText('active');
  await expect(row).not.toContainText(key);

  // A fresh client with only the key: no cookies from the admin's context.
  const client = await playwright.request.newContext({ baseURL });
  try {
    expect((await client.get('/api/v1/summary', { headers: { authorization: `Bearer ${key}` } })).status()).toBe(200);
    await row.getByRole('button', { name: `Revoke ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke API key' });
    await expect(dialog).toContainText(name);
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await expectFocusTrapped(page, dialog);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    expect((await client.get('/api/v1/summary', { headers: { authorization: `Bearer ${key}` } })).status()).toBe(200);

    await row.getByRole('button', { name: `Revoke ${name}` }).click();
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toContainText('revoked');
    await expect(row.getByRole('button', { name: `Revoke ${name}` })).toHaveCount(0);
    const refused = await client.get('/api/v1/summary', { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status()).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('unauthorized');
  } finally {
    await client.dispose();
  }
  // An ingest key is listed as such, whatever its role.
  await form.getByLabel('Name').fill(`${name}-shipper`);
  await form.getByLabel('Role').selectOption('operator');
  await form.getByLabel('ingest scope (the key may only ingest)').check();
  await page.getByRole('button', { name: 'Create API key' }).click();
  await expect(page.getByTestId('key-row').filter({ hasText: `${name}-shipper` })).toContainText('ingest only');
  await shots(page, 'settings-keys');
});
