// Issue #18, auditor: on the Frameworks page every status names what it rests on (no "Satisfied"
// beside 0 findings and 0 checks without saying which rule ran clean; no "Partially satisfied"
// without the failed checks or findings), coverage compares frameworks in percent with a text
// alternative, and the controls table fits its panel at 1280 px. The API answers the same evidence.
import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

test('auditor at 1280 px: statuses name their evidence, coverage in percent with a text alternative, the controls table fits', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, 'auditor', '/frameworks?framework=nist-csf-2.0');
  await page.goto('/frameworks?framework=nist-csf-2.0');
  const table = page.getByTestId('controls');
  await expect(table).toBeVisible();

  // The table fits its panel (no horizontal overflow).
  const fit = await table.evaluate((t) => ({ table: t.scrollWidth, panel: (t.parentElement as HTMLElement).clientWidth }));
  expect(fit.table, JSON.stringify(fit)).toBeLessThanOrEqual(fit.panel);

  // Every status names its evidence; the two contradictions of the issue cannot appear.
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute('data-testid'),
      status: tr.querySelector('.badge')?.textContent ?? '',
      why: tr.querySelector('[data-testid="status-why"]')?.textContent ?? '',
      open: Number.parseInt(tr.querySelector('[data-testid="open-findings"]')?.firstChild?.textContent ?? 'NaN', 10),
      checks: tr.querySelector('[data-testid="checks"]')?.textContent ?? '',
    })),
  );
  expect(rows.length).toBe(19);
  for (const r of rows) {
    expect(r.why, `${r.id}`).not.toBe('');
    if (r.status === 'Satisfied') expect(r.why, `${r.id}`).toMatch(/passed check|ran and found nothing open|info findings only/);
    if (r.status === 'Partially satisfied' && r.open === 0) expect(r.why, `${r.id}`).toMatch(/failed check/);
    if (r.status === 'Not assessed') expect(r.why, `${r.id}`).toMatch(/no evidence/);
  }
  await expect(page.getByTestId('framework')).not.toContainText('never satisfied');
  await page.screenshot({ path: 'test-results/frameworks-1280.png', fullPage: true });

  // Coverage in percent, with the numbers in words and as a table.
  const chart = page.getByTestId('coverage-chart');
  await expect(chart).toHaveAttribute('role', 'img');
  await expect(chart).toHaveAttribute('aria-label', /NIST Cybersecurity Framework: [\d.]+% satisfied, [\d.]+% partially satisfied, [\d.]+% not satisfied, [\d.]+% not assessed of 19 controls/);
  await expect(chart.locator('.recharts-cartesian-axis-tick-value').filter({ hasText: '100%' })).toHaveCount(1);
  await page.getByTestId('coverage-table').locator('summary').click();
  await expect(page.getByTestId('coverage-table').locator('tbody tr')).toHaveCount(await page.getByRole('navigation', { name: 'Frameworks' }).getByRole('link').count());

  // The API carries the same evidence per control.
  const api = await page.request.get('/api/v1/frameworks/nist-csf-2.0/controls');
  expect(api.status()).toBe(200);
  const body = (await api.json()) as { controls: Array<{ id: string; status: string; statusEvidence: { text: string; checksPassed: number; checksFailed: number; openFindings: number } }> };
  for (const c of body.controls) {
    const r = rows.find((x) => x.id === `control-${c.id}`)!;
    expect(c.statusEvidence.text, c.id).toContain(r.why);
    expect(c.statusEvidence.openFindings, c.id).toBe(r.open);
  }
});
