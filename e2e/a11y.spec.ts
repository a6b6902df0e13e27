// The keyboard basics axe cannot see: a skip link that moves focus to the page, a visible focus
// ring, and no 404 for the site icon. (axe-core itself runs on every page in screenshots.spec.ts,
// during the one visit that also shoots each page at three widths.)
import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

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
