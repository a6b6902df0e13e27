// Journey: an operator uploads a small NGINX JSON log on the Ingest page (file chooser → the
// File is streamed to POST /api/v1/ingest with the CSRF header) and sees the batch with its
// counts, including the rejected line and its reason; re-uploading counts duplicates.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { signIn } from './fixtures.ts';

test('the operator uploads an NGINX JSON log and sees the batch with its counts', async ({ page }) => {
  const run = randomUUID().slice(0, 8);
  const line = (i: number, verify: string, status: number) =>
    JSON.stringify({
      time: '2026-11-22T08:06:14+00:00', request_id: `e2e-${run}-${i}`, remote_addr: '10.0.0.9', method: 'GET', scheme: 'https',
      host: 'api.example.com', uri: `/e2e/${i}`, status, ssl_client_verify: verify, ssl_client_s_dn: verify === 'NONE' ? '' : 'O=Test,CN=svc-e2e',
      ssl_client_i_dn: verify === 'NONE' ? '' : 'CN=Test Client CA,O=Test', authz_scheme: 'Bearer', has_dpop: '0',
    });
  const body = [line(1, 'SUCCESS', 200), line(2, 'FAILED:certificate revoked', 400), line(3, 'NONE', 200), '{"time": truncated'].join('\n') + '\n';
  const source = `e2e-${run}`;

  await signIn(page, 'operator');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Ingest' }).click();
  await expect(page.getByRole('heading', { name: 'Ingest', level: 1 })).toBeVisible();
  await page.locator('input[type=file][name=file]').setInputFiles({ name: 'access.json', mimeType: 'application/json', buffer: Buffer.from(body) });
  await expect(page.getByTestId('dropzone')).toContainText('access.json');
  await page.getByLabel('Format').selectOption('nginx-json');
  await page.getByLabel('Source').fill(source);
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  const result = page.getByTestId('ingest-result');
  await expect(result).toContainText('4 lines read, 3 accepted, 1 rejected, 0 duplicates');

  const row = page.getByTestId('batches').locator('tbody tr', { hasText: source }).first();
  await expect(row).toBeVisible();
  await expect(row.locator('td').nth(3)).toHaveText('committed');
  await expect(row.locator('td').nth(4)).toHaveText('4');
  await expect(row.locator('td').nth(5)).toHaveText('3');
  await expect(row.locator('td').nth(6)).toHaveText('1');
  await row.getByText('1 errors').click();
  await expect(row).toContainText('line 4: invalid_json');
  await page.screenshot({ path: test.info().outputPath('ingest-batch.png'), fullPage: true });

  // The same file again: nothing new, every event a duplicate.
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  await expect(result).toContainText('4 lines read, 0 accepted, 1 rejected, 3 duplicates');

  // The snippets use the exact NGINX log format.
  await page.locator('#snippet-nginx summary').click();
  await expect(page.locator('#snippet-nginx')).toContainText('log_format holdfast_json escape=json');
});
