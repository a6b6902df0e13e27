// Journey: an analyst opens Holdfast and within a minute knows which machine tokens a thief
// could replay, why, and what to do. Overview KPI → filtered token list (riskiest first) →
// the riskiest token's page (findings in words, recommended binding); the URLs reproduce the
// same views in a fresh browser context; identity page, failures grouped, findings queue with
// bulk acknowledge. Screenshots of each page are saved as test artifacts.
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './fixtures.ts';
import { thisWorkersServer } from './servers.ts';

const shot = (page: Page, name: string) => page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });

test('overview → unbound high-risk tokens → riskiest token: why and what to do; URLs reproduce the views', async ({ page, browser }) => {
  await signIn(page, 'analyst');
  const kpi = page.getByTestId('kpi-unbound-high-risk');
  const kpiText = (await kpi.locator('.value').textContent())!.trim();
  const count = Number(kpiText.replace(/,/g, ''));
  expect(count).toBeGreaterThan(0);
  await expect(page.getByTestId('binding-mix-chart')).toBeVisible();
  await expect(page.getByTestId('ttl-chart')).toBeVisible();
  await expect(page.getByTestId('top-identities-chart')).toBeVisible();
  await shot(page, '01-overview');

  // The shared time-range picker sets the trend window; the page states it, the URL keeps it.
  const windowWords = page.getByTestId('time-window');
  await expect(windowWords).toHaveText('Showing: last 7 days (default window)');
  await expect(page.getByTestId('kpi-tokens')).toContainText(/vs 7 d ago/);
  await page.getByLabel('Trend window').selectOption({ label: 'Last 30 days' });
  await expect(page).toHaveURL(/\/\?from=now-30d$/);
  await expect(windowWords).toHaveText('Showing: last 30 days');
  await expect(page.getByTestId('kpi-tokens')).toContainText(/vs 30 d ago/);
  await page.reload();
  await expect(page.getByLabel('Trend window')).toHaveValue('now-30d');
  await expect(windowWords).toHaveText('Showing: last 30 days');
  // A short window is charted by hour; links from before the picker (?days=30) still open 30 days.
  await page.getByLabel('Trend window').selectOption({ label: 'Last 24 hours' });
  await expect(page).toHaveURL(/\/\?from=now-24h$/);
  await expect(page.getByRole('heading', { name: 'Binding mix of traffic per hour' })).toBeVisible();
  await page.goto('/?days=30');
  await expect(page).toHaveURL(/\/\?from=now-30d$/);
  await expect(windowWords).toHaveText('Showing: last 30 days');
  await page.goto('/');

  // The KPI and the list it opens count the same tokens.
  const all = await page.request.get('/api/v1/tokens?binding=bearer&risk=high&format=json');
  expect(all.status()).toBe(200);
  expect(((await all.json()) as unknown[]).length).toBe(count);

  await kpi.getByRole('link').click();
  await expect(page).toHaveURL(/\/tokens\?binding=bearer&risk=high$/);
  await expect(page.getByRole('heading', { name: 'Tokens — unbound high-risk' })).toBeVisible();
  const rows = page.getByTestId('tokens-table').locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  const listUrl = page.url();
  const firstFingerprints = await page.getByTestId('tokens-table').locator('tbody tr td:nth-child(2)').allTextContents();
  await expect(page.getByTestId('export-links').getByRole('link', { name: 'CSV' })).toHaveAttribute('href', /\/api\/v1\/tokens\?binding=bearer&risk=high&format=csv/);
  await shot(page, '02-tokens-unbound-high-risk');

  // Riskiest first: the top row carries the worst severity on the page.
  const sevs = await page.getByTestId('tokens-table').locator('tbody tr td:first-child').allTextContents();
  const rank = (s: string) => ['critical', 'high', 'medium', 'low', 'info'].indexOf(s.trim().toLowerCase());
  expect(rank(sevs[0]!)).toBe(Math.min(...sevs.map(rank)));

  await rows.first().locator('td:nth-child(2) a').click();
  await expect(page).toHaveURL(/\/tokens\/[0-9a-f-]{36}$/);
  const why = page.getByTestId('why');
  await expect(why.getByTestId('token-finding').first()).toBeVisible();
  await expect(why).toContainText('What to do:');
  await expect(why).toContainText(/bearer/i);
  const rec = page.getByTestId('recommendation');
  await expect(rec.getByRole('heading')).toHaveText(/Recommended binding: (mTLS \(RFC 8705\)|DPoP \(RFC 9449\))/);
  await expect(page.getByTestId('controls')).toBeVisible();
  const tokenUrl = page.url();
  const recText = await rec.textContent();
  const whyText = await why.textContent();
  await shot(page, '03-riskiest-token');

  // A fresh browser context (no shared state) shows the same views from the URLs alone.
  const ctx = await browser.newContext({ baseURL: thisWorkersServer().url });
  try {
    const p2 = await ctx.newPage();
    await signIn(p2, 'analyst');
    await p2.goto(listUrl);
    expect(await p2.getByTestId('tokens-table').locator('tbody tr td:nth-child(2)').allTextContents()).toEqual(firstFingerprints);
    await p2.goto(tokenUrl);
    await expect(p2.getByTestId('recommendation')).toHaveText(recText!);
    await expect(p2.getByTestId('why')).toHaveText(whyText!);
  } finally {
    await ctx.close();
  }

  // The identity behind it: risk score with its breakdown.
  await page.locator('h1').getByRole('link').click();
  await expect(page).toHaveURL(/\/identities\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('risk-score')).toContainText(/Risk score: \d+ \/ 100/);
  await shot(page, '04-identity');
});

test('binding failures grouped by reason, gateway and identity; the findings queue acknowledges in bulk', async ({ page }) => {
  await signIn(page, 'analyst');
  await page.goto('/failures');
  await expect(page.getByRole('heading', { name: 'Binding failures' })).toBeVisible();
  await expect(page.getByTestId('failure-groups').locator('tbody tr').first()).toBeVisible();
  await shot(page, '05-failures-by-reason');
  await page.goto('/failures?group=gateway');
  await expect(page.getByTestId('failure-groups')).toContainText('nginx');
  await page.getByTestId('failure-groups').locator('tbody tr a').first().click();
  await expect(page).toHaveURL(/gateway=/);
  await expect(page.getByTestId('events-table').locator('tbody tr').first()).toBeVisible();
  await shot(page, '06-failures-one-gateway');

  await page.goto('/identities');
  await expect(page.getByTestId('identities-table').locator('tbody tr').first()).toBeVisible();
  await shot(page, '07-identities');

  // Acknowledge two certificate-expiry findings: they leave the open queue (other specs do not count these).
  await page.goto('/findings?rule=cert_expiring');
  const queue = page.getByTestId('findings-table');
  await expect(queue.locator('tbody tr').first()).toBeVisible();
  const before = await queue.locator('tbody tr').count();
  expect(before).toBeGreaterThanOrEqual(2);
  await shot(page, '08-findings-queue');
  await queue.locator('tbody tr').nth(0).getByRole('checkbox').check();
  await queue.locator('tbody tr').nth(1).getByRole('checkbox').check();
  await page.getByLabel('Reason (risk accepted because…)').fill('certificate rotation scheduled this week');
  await page.getByRole('button', { name: /Acknowledge 2 selected/ }).click();
  await expect(page.getByRole('status')).toContainText('Acknowledged 2 finding(s)');
  await expect(queue.locator('tbody tr')).toHaveCount(before - 2);
  await page.goto('/findings?rule=cert_expiring&status=acknowledged');
  await expect(page.getByTestId('findings-table')).toContainText('certificate rotation scheduled this week');
  await shot(page, '09-findings-acknowledged');
});

test('a shared link with a bad filter shows one clear error, not a crash', async ({ page }) => {
  await signIn(page, 'analyst');
  await page.goto('/tokens?binding=carrier-pigeon');
  await expect(page.locator('.panel[role=alert]')).toContainText('binding must be one of bearer, mtls, dpop');
  const res = await page.request.get('/api/v1/openapi.json');
  expect(res.status()).toBe(200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/tokens', '/findings', '/events', '/identities', '/summary']));
});

test('filters match the URL after client-side navigation; Apply writes only what is set; chips remove one filter', async ({ page }) => {
  await signIn(page, 'analyst');
  await page.goto('/tokens?binding=bearer&risk=high');
  const bar = page.getByRole('form', { name: 'Token filters' });
  await expect(bar.getByLabel('Binding')).toHaveValue('bearer');
  await expect(bar.getByLabel('Risk')).toHaveValue('high');
  await expect(page.getByTestId('pager-position')).toContainText(/Page 1 of \d+/);
  // Remove one chip: a client-side navigation; the controls follow the URL.
  await page.getByRole('link', { name: 'Remove filter Binding' }).click();
  await expect(page).toHaveURL(/\/tokens\?risk=high$/);
  await expect(bar.getByLabel('Binding')).toHaveValue('');
  await expect(bar.getByLabel('Risk')).toHaveValue('high');
  // Lifetime in the table's units: 90 d is 7,776,000 s in the URL and "90 d" in the chip.
  await bar.getByLabel('Lifetime at least, amount').fill('90');
  await bar.getByLabel('Lifetime at least, unit').selectOption('d');
  await bar.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/\/tokens\?risk=high&ttlMin=7776000$/);
  await expect(page.getByTestId('filter-chips')).toContainText('Lifetime at least: 90 d');
  await page.goBack();
  await expect(page).toHaveURL(/\/tokens\?risk=high$/);
  await expect(bar.getByLabel('Lifetime at least, amount')).toHaveValue('');

  // Binding failures: reason has a control; a drill-down link updates every control.
  await page.goto('/failures');
  await expect(page.getByTestId('time-window')).toContainText('last 30 days (default window)');
  const first = page.getByTestId('failure-groups').locator('tbody tr').first();
  const reason = (await first.locator('td').nth(1).textContent())!.trim();
  await first.getByRole('link').click();
  await expect(page).toHaveURL(/reason=/);
  await expect(page.getByRole('form', { name: 'Event filters' }).getByLabel('Reason')).toHaveValue(reason);
  await page.getByRole('link', { name: 'Remove filter Reason' }).click();
  await expect(page).not.toHaveURL(/reason=/);
  await expect(page.getByRole('form', { name: 'Event filters' }).getByLabel('Reason')).toHaveValue('');
});
