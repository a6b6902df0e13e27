// Journey: an operator uploads a log whose times carry no zone (Apache's error log, as mod_ssl
// writes it) on the Ingest page. The Time zone field offers the browser's own zone without filling
// it in; an unknown zone is refused in the form with the server's problem and commits nothing; with
// Europe/Berlin the 10:22 wall time is read as 09:22 UTC and the event is listed at that time with
// its verdict on the events list.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { adminApi, signIn } from './fixtures.ts';

test.use({ timezoneId: 'America/New_York' });

test('the operator names the time zone of a zone-less log; an unknown zone is refused in the form and commits nothing', async ({ page }) => {
  const run = randomUUID().slice(0, 8);
  const source = `tz-${run}`;
  const pid = 10_000 + Math.floor(Math.random() * 50_000);
  // A real mod_ssl line (Apache ran with TZ=Europe/Berlin: 10:22 local is 09:22 UTC in December).
  const line = `[Fri Dec 04 10:22:24.581841 2026] [ssl:error] [pid ${pid}:tid 4640] [client 127.0.0.1:57882] AH02039: Certificate Verification: Error (10): certificate has expired\n`;

  await signIn(page, 'operator', '/ingest');
  await page.goto('/ingest');
  await page.locator('input[type=file][name=file]').setInputFiles({ name: 'ssl_error.log', mimeType: 'text/plain', buffer: Buffer.from(line) });
  await page.getByLabel('Format').selectOption('apache-error');
  await page.getByLabel('Source').fill(source);

  // The browser's zone is a suggestion, not a default: the field stays empty and says UTC.
  const zone = page.getByLabel('Time zone');
  await expect(zone).toHaveValue('');
  await expect(page.getByTestId('time-zone-note')).toContainText('read in UTC unless you name a zone');
  await expect(page.getByRole('button', { name: 'Use America/New_York' })).toBeVisible();

  // An unknown zone: the server's 400 problem in the form, and no batch for the source.
  await zone.fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  await expect(page.locator('p[role=alert]')).toHaveText('query parameter timeZone: must be an IANA time zone such as Europe/Berlin, or a fixed offset such as +02:00');
  await expect(page.getByTestId('ingest-result')).toHaveCount(0);
  const batches = await adminApi('GET', '/api/v1/ingest/batches?limit=500');
  expect((batches.json.batches as Array<{ source: string | null }>).filter((b) => b.source === source)).toEqual([]);

  await zone.fill('Europe/Berlin');
  await expect(page.getByTestId('time-zone-note')).toHaveText('Times without a zone are read in Europe/Berlin.');
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  await expect(page.getByTestId('ingest-result')).toContainText('1 lines read, 1 accepted, 0 rejected, 0 duplicates');
  await expect(page.locator('p[role=alert]')).toHaveCount(0);

  // Listed at 09:22:24 UTC with its verdict.
  await page.goto(`/failures?failures=all&source=${source}&from=2026-12-01T00:00:00Z&to=2026-12-06T00:00:00Z`);
  const row = page.getByTestId('events-table').locator('tbody tr');
  await expect(row).toHaveCount(1);
  await expect(row.locator('time')).toHaveAttribute('datetime', '2026-12-04T09:22:24.581Z');
  await expect(row).toContainText('Expired certificate');
  await page.screenshot({ path: test.info().outputPath('ingest-time-zone.png'), fullPage: true });
});
