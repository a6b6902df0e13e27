// Journey: an operator uploads a small NGINX JSON log on the Ingest page (file chooser → the
// File is streamed to POST /api/v1/ingest with the CSRF header) and sees the batch with its
// counts, including the rejected line and its reason; re-uploading counts duplicates. A 14 MB
// upload is read whole.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { nginxJsonLine } from '../lib/services/ingest/testing/generate.ts';
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
  await row.getByText('1 error', { exact: true }).click();
  await expect(row).toContainText('line 4: invalid_json');
  await page.screenshot({ path: test.info().outputPath('ingest-batch.png'), fullPage: true });

  // The same file again: nothing new, every event a duplicate.
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  await expect(result).toContainText('4 lines read, 0 accepted, 1 rejected, 3 duplicates');

  // The snippets use the exact NGINX log format.
  await page.locator('#snippet-nginx summary').click();
  await expect(page.locator('#snippet-nginx')).toContainText('log_format holdfast_json escape=json');
});

// Next.js hands a handler behind its proxy at most 10 MB of a body (issue #14: a 14 MB log
// committed 4,379 of 6,000 lines): an upload past that is read and committed whole.
test('the operator uploads a 14 MB log and sees every line read and accepted', async ({ page }) => {
  test.setTimeout(240_000);
  const run = randomUUID().slice(0, 8);
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 14_000_000; i++) {
    const l = nginxJsonLine(5_000_000 + i) + '\n';
    lines.push(l);
    size += l.length;
  }
  expect(size).toBeGreaterThan(10 * 1024 * 1024);
  const file = test.info().outputPath('access-14mb.json');
  writeFileSync(file, lines.join(''));

  await signIn(page, 'operator');
  await page.goto('/ingest');
  await page.locator('input[type=file][name=file]').setInputFiles(file);
  await expect(page.getByTestId('dropzone')).toContainText('access-14mb.json');
  await expect(page.getByTestId('dropzone')).toContainText('13.4 MiB');
  await page.getByLabel('Format').selectOption('nginx-json');
  await page.getByLabel('Source').fill(`e2e-large-${run}`);
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  await expect(page.getByTestId('ingest-result')).toContainText(`${lines.length} lines read, ${lines.length} accepted, 0 rejected, 0 duplicates`, { timeout: 200_000 });
  const row = page.getByTestId('batches').locator('tbody tr', { hasText: `e2e-large-${run}` }).first();
  await expect(row.locator('td').nth(3)).toHaveText('committed');
  await expect(row.locator('td').nth(4)).toHaveText(String(lines.length));
  await page.screenshot({ path: test.info().outputPath('ingest-14mb.png'), fullPage: true });
});
