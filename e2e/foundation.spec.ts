import { expect, test } from '@playwright/test';
import { runCli } from '../lib/testing/processes.ts';
import { signIn, signInThroughForm } from './fixtures.ts';
import { thisWorkersServer } from './servers.ts';

async function cliSummary() {
  const r = await runCli(['summary', '--json', '--server', thisWorkersServer().url, '--api-key', thisWorkersServer().apiKey]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { identities: number; tokens: { total: number; bearer: number; mtls: number; dpop: number; unboundHighRisk: number; exposedActive: number } };
}

const num = (n: number) => n.toLocaleString('en-US');

test('an unauthenticated visitor is sent to sign-in', async ({ page }) => {
  await page.goto('/tokens');
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole('heading', { name: 'Holdfast' })).toBeVisible();
});

test('a wrong password gets a generic error', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill('analyst@holdfast.test');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('form [role=alert]')).toHaveText(/Email or password is wrong/);
});

test('the analyst signs in and the overview numbers match the database', async ({ page }) => {
  await signInThroughForm(page, 'analyst');
  const s = await cliSummary();
  expect(s.tokens.total).toBeGreaterThanOrEqual(5000);
  await expect(page.getByTestId('kpi-tokens').locator('.value')).toHaveText(num(s.tokens.total));
  await expect(page.getByTestId('kpi-bearer').locator('.value')).toHaveText(num(s.tokens.bearer));
  await expect(page.getByTestId('kpi-mtls').locator('.value')).toHaveText(num(s.tokens.mtls));
  await expect(page.getByTestId('kpi-dpop').locator('.value')).toHaveText(num(s.tokens.dpop));
  await expect(page.getByTestId('kpi-unbound-high-risk').locator('.value')).toHaveText(num(s.tokens.unboundHighRisk));
  await expect(page.getByTestId('kpi-exposed').locator('.value')).toHaveText(num(s.tokens.exposedActive));
  await expect(page.getByTestId('failures-chart').locator('.recharts-bar-rectangle').first()).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('overview.png'), fullPage: true });

  // The unbound high-risk figure leads to exactly those tokens.
  await page.getByTestId('kpi-unbound-high-risk').getByRole('link').click();
  await expect(page).toHaveURL(/binding=bearer&risk=high/);
  await expect(page.getByTestId('tokens-table').locator('tbody tr').first()).toBeVisible();
  const badges = await page.getByTestId('tokens-table').locator('tbody .badge').allTextContents();
  expect(new Set(badges)).toEqual(new Set(['bearer']));
});

test('an analyst cannot open admin settings data, and the API answers 403', async ({ page }) => {
  await signIn(page, 'analyst');
  await page.goto('/settings');
  await expect(page.getByRole('heading', { name: 'API keys' })).toHaveCount(0);
  const res = await page.request.get('/api/v1/users');
  expect(res.status()).toBe(403);
});

test('the admin creates an API key in Settings and it is shown once', async ({ page }) => {
  await signIn(page, 'admin');
  await page.goto('/settings');
  await page.getByRole('form', { name: 'Create API key' }).getByLabel('Name').fill('nginx-edge-e2e');
  await page.getByRole('button', { name: 'Create API key' }).click();
  const key = await page.getByTestId('new-api-key').textContent();
  expect(key).toMatch(/^hf_/);
  await page.reload();
  await expect(page.getByText('nginx-edge-e2e')).toBeVisible();
  expect(await page.content()).not.toContain(key!);
});

test('signing out ends the session', async ({ page }) => {
  await signInThroughForm(page, 'operator');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in/);
});

test('every page carries a strict CSP with a nonce and security headers, and nothing violates it', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (execute|load)/i.test(m.text())) violations.push(m.text());
  });
  await signIn(page, 'admin');
  for (const path of ['/', '/identities', '/tokens', '/failures', '/findings', '/revocations', '/frameworks', '/ingest', '/settings', '/sign-in']) {
    const res = await page.goto(path);
    const h = res!.headers();
    expect(h['content-security-policy'], path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}' 'strict-dynamic'/);
    expect(h['content-security-policy'], path).toContain("frame-ancestors 'none'");
    expect(h['content-security-policy'], path).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(h['x-content-type-options'], path).toBe('nosniff');
    expect(h['referrer-policy'], path).toBe('no-referrer');
  }
  // Hydration works under the policy: a client-side interaction still runs.
  await page.goto('/settings');
  await page.getByRole('form', { name: 'Create API key' }).getByLabel('Name').fill('csp-check');
  await page.getByRole('button', { name: 'Create API key' }).click();
  await expect(page.getByTestId('new-api-key')).toBeVisible();
  expect(violations).toEqual([]);
});
