// Data tables on a phone: at 390 px each row of the tokens list is a card, each value after its
// column's header as a small label, still a table to assistive technology, and its checkbox still
// drives "Revoke selected"; at 1280 px the same table is a plain table (header row, no labels).
import { expect, test, type Locator } from '@playwright/test';
import { signIn } from './fixtures.ts';

/** The text a cell's ::before shows (CSS `content`), or 'none'. */
const before = (cell: Locator) => cell.evaluate((el) => getComputedStyle(el, '::before').content);

test('at 390 px a token row is a card of labelled values whose checkbox selects it for revocation; at 1280 px the header row shows and cells have no label', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, 'operator', '/tokens');
  const table = page.getByTestId('tokens-table');
  const row = table.getByTestId('token-row').first();
  await expect(row).toBeVisible();

  // The card: Risk and Identity, each labelled with its column's header, stacked in one column.
  const risk = row.locator('td[data-label="Risk"]');
  const identity = row.locator('td[data-label="Identity"]');
  await expect(risk).toHaveText(/critical|high|medium|low|none|—/i);
  await expect(identity).not.toBeEmpty();
  expect(await before(risk)).toContain('Risk');
  expect(await before(identity)).toContain('Identity');
  const [r, i, card] = [await risk.boundingBox(), await identity.boundingBox(), await row.boundingBox()];
  expect(i!.y).toBeGreaterThan(r!.y + r!.height - 1);
  expect(Math.abs(i!.x - r!.x)).toBeLessThanOrEqual(1);
  expect(card!.x + card!.width).toBeLessThanOrEqual(390);
  // The label takes the card's left column: the value starts to its right, inside the card.
  const value = (await risk.locator('.sev').boundingBox())!;
  expect(value.x).toBeGreaterThan(card!.x + 80);
  expect(value.x + value.width).toBeLessThanOrEqual(card!.x + card!.width);
  // Columns hidden on narrow screens stay hidden; the checkbox cell has no label.
  await expect(row.locator('td.opt')).toHaveCount(2);
  await expect(row.locator('td.opt').first()).toBeHidden();
  await expect(row.locator('td').first()).not.toHaveAttribute('data-label');
  // The header row is out of sight, its sort links are not.
  await expect(table.locator('thead th', { hasText: 'Fingerprint' })).toHaveCSS('position', 'absolute');
  expect((await table.locator('thead th', { hasText: 'Fingerprint' }).boundingBox())!.width).toBeLessThanOrEqual(1);
  await expect(table.getByRole('link', { name: 'Sort by Identity' })).toBeVisible();

  // Still a table to assistive technology: rows, column headers and cells.
  await expect(table.getByRole('row')).toHaveCount((await table.getByTestId('token-row').count()) + 1);
  await expect(table.getByRole('columnheader', { name: 'Binding' })).toHaveCount(1);
  await expect(row.getByRole('cell').nth(1)).toHaveAttribute('data-label', 'Risk');

  // The checkbox works inside the card.
  const revoke = page.getByTestId('revoke-selected');
  await expect(revoke).toBeDisabled();
  await row.getByTestId('select-token').check();
  await expect(revoke).toBeEnabled();
  await expect(revoke).toHaveText('Revoke selected (1)');

  // A wide screen shows the plain table: the header row, cells side by side, no labels.
  await page.setViewportSize({ width: 1280, height: 900 });
  const head = table.locator('thead th', { hasText: 'Fingerprint' });
  await expect(head).toBeVisible();
  expect((await head.boundingBox())!.height).toBeGreaterThan(10);
  expect(await before(risk)).toBe('none');
  expect(await before(identity)).toBe('none');
  const [r2, i2] = [await risk.boundingBox(), await identity.boundingBox()];
  expect(Math.abs(i2!.y - r2!.y)).toBeLessThanOrEqual(1);
  expect(i2!.x).toBeGreaterThan(r2!.x + r2!.width - 1);
});
