// Auditor journey: NIST CSF 2.0 controls with status, the CSF 1.1 crosswalk, PR.AA-01's evidence,
// and CSV / OSCAL / PDF exports downloaded through the browser. An analyst sees no export button
// and the API refuses the export (403).
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

test('auditor opens NIST CSF 2.0, sees PR.AA-01 with its evidence and exports CSV, OSCAL and PDF', async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, 'auditor', '/frameworks');
  await page.goto('/frameworks');
  await page.getByRole('combobox', { name: 'Framework' }).selectOption('nist-csf-2.0');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/framework=nist-csf-2\.0/);
  await expect(page.getByTestId('coverage-chart')).toBeVisible();

  const row = page.getByTestId('control-PR.AA-01');
  await expect(row).toBeVisible();
  await expect(row.locator('.badge')).toHaveText(/^(Satisfied|Partially satisfied|Not satisfied)$/);
  await expect(page.getByTestId('control-PR.AA-05')).toContainText('PR.AC-4 → PR.AA-05');
  await page.screenshot({ path: 'test-results/auditor-frameworks.png', fullPage: true });

  await row.getByRole('link', { name: 'PR.AA-01' }).click();
  const evidence = page.getByTestId('evidence');
  await expect(evidence).toContainText('Evidence for PR.AA-01');
  await expect(evidence.locator('a[href^="/findings?rule="]').first()).toBeVisible();
  await expect(evidence.getByRole('heading', { name: 'Top open findings' })).toBeVisible();
  await expect(evidence.locator('a[href^="/identities/"]').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/auditor-evidence.png', fullPage: true });

  for (const [format, label, check] of [
    ['csv', 'CSV', (b: Buffer) => expect(b.toString('utf8')).toContain('PR.AA-01')],
    ['oscal', 'OSCAL', (b: Buffer) => expect(JSON.parse(b.toString('utf8'))['assessment-results'].metadata['oscal-version']).toBe('1.0.4')],
    ['pdf', 'PDF', (b: Buffer) => expect(b.subarray(0, 5).toString()).toBe('%PDF-')],
  ] as const) {
    await page.getByRole('button', { name: `Export ${label}` }).click();
    const link = page.getByTestId(`export-${format}`).getByRole('link', { name: /^Download/ });
    await expect(link).toBeVisible({ timeout: 90_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^holdfast-nist-csf-2\\.0-\\d{8}T\\d{6}Z\\.${format === 'oscal' ? 'oscal\\.json' : format}$`));
    check(readFileSync((await download.path())!));
  }
  await page.screenshot({ path: 'test-results/auditor-exports.png', fullPage: true });
});

test('an analyst has no export button and POST /api/v1/exports answers 403', async ({ page, baseURL }) => {
  await signIn(page, 'analyst', '/frameworks');
  await page.goto('/frameworks?framework=nist-csf-2.0');
  await expect(page.getByTestId('control-PR.AA-01')).toBeVisible();
  await expect(page.getByRole('button', { name: /^Export/ })).toHaveCount(0);
  const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  const res = await page.request.post('/api/v1/exports', {
    headers: { 'x-csrf-token': csrf ?? '', origin: baseURL ?? '' },
    data: { framework: 'nist-csf-2.0', format: 'csv' },
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).code).toBe('forbidden');
});

test('an admin uploads a custom framework: per-field errors first, then the framework is listed', async ({ page }) => {
  await signIn(page, 'admin', '/frameworks');
  await page.goto('/frameworks');
  await page.getByText('Add a custom framework').click();
  const form = page.getByTestId('custom-framework-form');
  await form.getByLabel('Framework JSON').fill(JSON.stringify({ id: 'E2E', name: '', version: '1', controls: [], mapping: [] }));
  await form.getByRole('button', { name: 'Upload framework' }).click();
  const errors = page.getByTestId('framework-errors');
  await expect(errors).toContainText('id');
  await expect(errors).toContainText('controls');
  // No answer at all (the network failed): said in the form, not swallowed.
  await page.route('**/api/v1/frameworks', (route) => route.abort('connectionreset'));
  await form.getByRole('button', { name: 'Upload framework' }).click();
  await expect(errors).toContainText('the request got no answer');
  await page.unroute('**/api/v1/frameworks');
  const doc = {
    id: 'e2e-custom',
    name: 'E2E custom baseline',
    version: '1',
    controls: [{ id: 'E2E-1', title: 'Tokens are sender-constrained' }],
    mapping: [{ subject: 'unbound_high_risk', controlId: 'E2E-1', rationale: 'Unbound high-risk tokens break it.' }],
  };
  await form.getByLabel('Framework JSON').fill(JSON.stringify(doc));
  await form.getByRole('button', { name: 'Upload framework' }).click();
  await expect(page).toHaveURL(/framework=e2e-custom/);
  await expect(page.getByTestId('control-E2E-1')).toContainText('Not satisfied');
});
