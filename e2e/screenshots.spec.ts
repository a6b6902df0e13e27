// Every page at 1440, 1280 and 390 px wide, saved under test-results/screenshots/ for people to
// look at; at 1440 and 1280 px no table is wider than the panel that holds it (a cut-off column is
// a defect, not a scroll bar to discover); at 390 px nothing scrolls sideways (not the page, not a
// table, not the panel around one: each row of a data table is a card) and every cell of a headed
// data table carries its column's header text as its label; and axe-core finds no serious or
// critical violation on any of them. One visit per page does all of it: the walk is the suite's
// longest journey.
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';
import { everyPage, mislabelledCells, overflowingTables, scrollingTables } from './pages.ts';

const DIR = 'test-results/screenshots';
const WIDTHS = [1440, 1280, 390] as const;
const name = (path: string) => (path === '/' ? 'overview' : path.slice(1).replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '')).slice(0, 80);

test('every page at 1440, 1280 and 390 px: no table overflows its panel, none scrolls sideways at 390 px where each cell carries its column header as label, no serious or critical axe violation', async ({ page }) => {
  // 18 pages × 3 widths on a shared 2-core machine: each page takes seconds to render and shoot.
  test.setTimeout(1_800_000);
  mkdirSync(DIR, { recursive: true });
  await signIn(page, 'admin');
  const pages = await everyPage(page);
  const overflow: string[] = [];
  const axeProblems: string[] = [];
  // Each page is loaded once and looked at in all three widths: the layout is CSS only (media
  // queries, no script reads the width), so a resize lays it out as a load at that width would.
  for (const path of pages) {
    await page.setViewportSize({ width: WIDTHS[0], height: 900 });
    const res = await page.goto(path);
    expect(res?.status(), path).toBeLessThan(400);
    await page.locator('main h1').first().waitFor();
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    for (const v of axe.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
      axeProblems.push(`${path}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    }
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.waitForTimeout(150);
      if (width !== 390) overflow.push(...(await overflowingTables(page)).map((o) => `${width} px ${path}: ${o}`));
      // Nothing wider than the viewport on a phone: the page itself never scrolls sideways.
      if (width === 390) {
        const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect.soft(sideways, `${path} scrolls sideways at 390 px`).toBeLessThanOrEqual(1);
        // A label/value table (no header row) shows its values, not a strip to scroll through.
        const kv = await page.evaluate(() => [...document.querySelectorAll<HTMLTableElement>('main table')].filter((t) => !t.tHead && t.offsetParent !== null && t.scrollWidth > t.clientWidth + 1).length);
        expect.soft(kv, `${path}: label/value tables that scroll sideways at 390 px`).toBe(0);
        // Nor does any data table: its rows are cards, no wider than the panel, and none scrolls.
        expect.soft(await scrollingTables(page), `${path}: tables that scroll sideways at 390 px`).toEqual([]);
        expect.soft(await overflowingTables(page), `${path}: tables wider than their panel at 390 px`).toEqual([]);
        // Each value is told by its column's header (TableLabels copies it from the <thead>).
        expect.soft(await mislabelledCells(page), `${path}: cells without their column header as label at 390 px`).toEqual([]);
      }
      await page.screenshot({ path: `${DIR}/${width}-${name(path)}.png`, fullPage: true });
    }
  }
  expect(overflow).toEqual([]);
  expect(axeProblems).toEqual([]);
});

test('at 390 px the sidebar hides behind a menu button that opens it and Escape closes it; wide screens collapse it', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, 'analyst');
  const side = page.locator('#sidebar');
  const menu = page.getByRole('button', { name: 'Menu' });
  await expect(side).toBeHidden();
  await menu.click();
  await expect(side).toBeVisible();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Escape');
  await expect(side).toBeHidden();
  await menu.click();
  await side.getByRole('link', { name: 'Tokens' }).click();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(side).toBeHidden();

  await page.setViewportSize({ width: 1280, height: 900 });
  await expect(side).toBeVisible();
  const before = (await side.boundingBox())!.width;
  await page.getByRole('button', { name: 'Collapse the sidebar' }).click();
  await expect.poll(async () => (await side.boundingBox())!.width).toBeLessThan(before / 2);
  await page.reload();
  await expect.poll(async () => (await side.boundingBox())!.width).toBeLessThan(before / 2);
  await page.getByRole('button', { name: 'Expand the sidebar' }).click();
  await expect.poll(async () => (await side.boundingBox())!.width).toBe(before);
});
