// Journey: trust anchors. The test makes a CA with the real openssl, issues and revokes a client
// certificate, and writes its CRL twice (number 1 in PEM, number 2 in DER). The admin adds the CA
// with CRL 1 on the Trust anchors page by file upload and sees it listed with its CRL state,
// uploads the newer CRL, is refused the older one in one line, and an analyst sees the anchor but
// no way to add or remove one; the admin removes it through the confirmation dialog.
// Screenshots at 1440, 1280 and 390 px.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { generateCrl, issueLeaf, makeCa, revokeLeaf, type TestCa } from '../lib/testing/crl-pki.ts';
import { signIn } from './fixtures.ts';

let dir = '';
let ca: TestCa;
let crl1 = '';
let crl2 = '';

test.beforeAll(() => {
  dir = mkdtempSync(join(os.tmpdir(), 'holdfast-e2e-trust-'));
  // A name of its own: the e2e database is shared by every spec.
  ca = makeCa(dir, 'ca', { subj: `/CN=E2E Client CA ${randomUUID().slice(0, 8)}/O=Test` });
  const leaf = issueLeaf(ca, 'svc-revoked', '/O=Test/CN=svc-revoked');
  revokeLeaf(ca, leaf, 'keyCompromise');
  crl1 = generateCrl(ca, 'crl1');
  crl2 = generateCrl(ca, 'crl2', { der: true });
});

test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function shots(page: Page, name: string) {
  for (const width of [1440, 1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: test.info().outputPath(`${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}

const row = (page: Page) => page.locator(`tr[data-anchor="${ca.subject}"]`);

test.describe.configure({ mode: 'serial' });

test('the admin adds a CA with its CRL by file upload and sees it listed with the CRL state', async ({ page }) => {
  await signIn(page, 'admin');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trust anchors' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Trust anchors' })).toBeVisible();
  await page.getByLabel('CA certificate (PEM or DER)').setInputFiles(ca.certPath);
  await page.getByLabel('CRL (optional)').setInputFiles(crl1);
  await page.getByRole('button', { name: 'Add CA' }).click();
  await expect(page.getByTestId('add-anchor-form').getByRole('status')).toContainText(`Added ${ca.subject}; CRL added, 1 revoked certificate`);
  await expect(row(page)).toBeVisible();
  const cells = row(page).locator('td');
  await expect(cells.nth(2)).toHaveText('1');
  await expect(row(page).getByTestId('crl-entries')).toHaveText('1');
  await expect(row(page).getByTestId('crl-stale')).toHaveCount(0);
  await shots(page, 'trust-added');

  // A newer CRL (DER) replaces it; the older one is refused in one line and changes nothing.
  await row(page).getByLabel(`Upload a newer CRL for ${ca.subject}`).setInputFiles(crl2);
  await expect(row(page).getByRole('status')).toHaveText('CRL replaced: 1 revoked');
  await expect(cells.nth(2)).toHaveText('2');
  await row(page).getByLabel(`Upload a newer CRL for ${ca.subject}`).setInputFiles(crl1);
  await expect(row(page).getByRole('alert')).toContainText('the CRL is older than the one Holdfast has');
  // The refused CRL is not the removal's problem: the Remove dialog opens without it.
  await row(page).getByRole('button', { name: `Remove ${ca.subject}` }).click();
  const dialog = page.getByTestId('confirm-dialog');
  await expect(dialog).toBeVisible();
  await expect.soft(dialog.getByRole('alert')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.reload();
  await expect(row(page).locator('td').nth(2)).toHaveText('2');
});

test('an analyst sees the anchor and its CRL but no way to add or remove one', async ({ page }) => {
  await signIn(page, 'analyst', '/trust');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trust anchors' }).click();
  await expect(row(page)).toBeVisible();
  await expect(row(page).locator('td').nth(2)).toHaveText('2');
  await expect(page.getByRole('button', { name: 'Add CA' })).toHaveCount(0);
  await expect(page.getByTestId('add-anchor-form')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Remove/ })).toHaveCount(0);
  await shots(page, 'trust-analyst');
});

test('the admin removes the anchor after confirming', async ({ page }) => {
  await signIn(page, 'admin', '/trust');
  await page.goto('/trust');
  await row(page).getByRole('button', { name: `Remove ${ca.subject}` }).click();
  const dialog = page.getByTestId('confirm-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(ca.subject);
  // Cancel keeps it.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(row(page)).toBeVisible();
  await row(page).getByRole('button', { name: `Remove ${ca.subject}` }).click();
  await page.getByTestId('confirm-action').click();
  await expect(row(page)).toHaveCount(0);
});
