// axe-core on every page (signed in as admin over the demo estate): no serious or critical
// violation. Also the keyboard basics axe cannot see: a skip link that moves focus to the page,
// a visible focus ring, and no 404 for the site icon.
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';
import { everyPage } from './pages.ts';

test('axe reports no serious or critical violation on any page', async ({ page }) => {
  test.setTimeout(900_000);
  await signIn(page, 'admin');
  const problems: string[] = [];
  for (const path of await everyPage(page)) {
    await page.goto(path);
    await page.locator('main h1').first().waitFor();
    const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    for (const v of r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
      problems.push(`${path}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    }
  }
  expect(problems).toEqual([]);
});

test('a skip link moves focus to the page, focus is visible, and the site icon loads', async ({ page }) => {
  const missing: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 404) missing.push(r.url());
  });
  await signIn(page, 'analyst');
  await page.goto('/tokens');
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  // The next stop is inside the page, not the sidebar.
  expect(await page.evaluate(() => !!document.activeElement?.closest('main'))).toBe(true);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).not.toBe('none');
  const icon = await page.locator('link[rel="icon"]').first().getAttribute('href');
  expect(icon).toBeTruthy();
  expect((await page.request.get(icon!)).status()).toBe(200);
  expect(missing).toEqual([]);
});
