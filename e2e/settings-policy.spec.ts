// Risk policy in Settings: an admin changes what counts as privileged and the TTL limits; a bad
// value is refused next to its field with nothing saved; a good one is saved, audited and the
// findings are re-evaluated at once. An analyst sees the policy (it explains the findings) but
// cannot change it, and the API refuses the change (403). The original policy is restored after.
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './fixtures.ts';

const shot = (page: Page, name: string) => page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });

test('admin edits the risk policy; a bad value is refused at its field; analyst reads it only', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signIn(page, 'admin', '/settings');
  await page.goto('/settings');
  const original = ((await (await page.request.get('/api/v1/risk-policy')).json()) as { policy: { ttl: { agentSeconds: number } } }).policy;
  const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content'))!;
  try {
    const form = page.getByTestId('risk-policy');
    await expect(form.getByLabel('Privileged scopes')).toHaveValue(/admin/);

    // 100,000 h for agent tokens is over the 90-day absolute limit: refused, shown at the field.
    await form.getByLabel('AI agent tokens, hours').fill('100000');
    await form.getByRole('button', { name: 'Save and re-evaluate findings' }).click();
    await expect(form.getByTestId('policy-error-ttl.agentHours')).toContainText('must not exceed absoluteSeconds');
    await shot(page, '01-policy-refused');
    const unchanged = ((await (await page.request.get('/api/v1/risk-policy')).json()) as typeof original & { policy: unknown }).policy as typeof original;
    expect(unchanged.ttl.agentSeconds).toBe(original.ttl.agentSeconds);

    await form.getByLabel('AI agent tokens, hours').fill('2');
    const scopes = form.getByLabel('Privileged scopes');
    await scopes.fill(`${await scopes.inputValue()}\nbilling:*`);
    // Enter pressed twice before the page repaints: one save (one re-evaluation, one audit entry), not two.
    const puts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().endsWith('/api/v1/risk-policy')) puts.push(r.url());
    });
    await form.evaluate((f: HTMLFormElement) => {
      f.requestSubmit();
      f.requestSubmit();
    });
    await expect(form.getByTestId('policy-saved')).toContainText('Findings re-evaluated');
    expect(puts).toHaveLength(1);
    await shot(page, '02-policy-saved');
    const saved = ((await (await page.request.get('/api/v1/risk-policy')).json()) as { policy: { ttl: { agentSeconds: number }; privileged: { scopePatterns: string[] } } }).policy;
    expect(saved.ttl.agentSeconds).toBe(7200);
    expect(saved.privileged.scopePatterns).toContain('billing:*');
    // The change is in the audit log.
    await page.goto('/audit');
    await expect(page.locator('body')).toContainText('risk.policy.update');

    // An analyst reads the policy but has no way to change it.
    const ctx = await browser.newContext();
    const analyst = await ctx.newPage();
    await signIn(analyst, 'analyst', '/settings');
    await analyst.goto('/settings');
    const ro = analyst.getByTestId('risk-policy');
    await expect(ro.getByLabel('AI agent tokens, hours')).toHaveValue('2');
    await expect(ro.getByLabel('AI agent tokens, hours')).toBeDisabled();
    await expect(ro.getByRole('button', { name: 'Save and re-evaluate findings' })).toHaveCount(0);
    const acsrf = (await analyst.locator('meta[name="csrf-token"]').getAttribute('content'))!;
    const refused = await analyst.request.put('/api/v1/risk-policy', { data: { policy: {} }, headers: { 'x-csrf-token': acsrf } });
    expect(refused.status()).toBe(403);
    await ctx.close();
  } finally {
    const r = await page.request.put('/api/v1/risk-policy', { data: { policy: original }, headers: { 'x-csrf-token': csrf } });
    expect(r.status()).toBe(200);
  }
});
