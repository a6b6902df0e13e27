// Journey: an auditor opens Settings and reads what the evidence store keeps: each store's retention
// and the setting behind it, its partitions, rows and size, the oldest time it holds and its next
// drop — the same figures GET /api/v1/evidence/storage answers through the running server.
// Screenshots at 1440, 1280 and 390 px. Then an admin places and releases an evidence hold (below).
import { expect, test } from '@playwright/test';
import type { EvidenceStorageView } from '../lib/services/evidence/storage.ts';
import { nginxJsonLine } from '../lib/services/ingest/testing/generate.ts';
import { shots, signIn } from './fixtures.ts';
import { thisWorkersServer } from './servers.ts';

const DAY = 86_400_000;

test('an auditor reads the evidence store: retention, partitions, size and next drop per store', async ({ page }) => {
  await signIn(page, 'auditor', '/settings');
  const res = await page.request.get('/api/v1/evidence/storage');
  expect(res.status()).toBe(200);
  const api = (await res.json()) as EvidenceStorageView;
  expect(api.retention).toEqual({ requestWindowDays: 7, usageRetentionDays: 400, notableRetentionDays: 400 });
  // The demo estate's ingest filled the ledger, usage and notable stores.
  for (const table of ['Request', 'Usage', 'Notable'] as const) expect(api.stores.find((s) => s.table === table)!.rows, table).toBeGreaterThan(0);

  await page.goto('/settings');
  const panel = page.getByTestId('evidence-panel');
  await expect(panel.getByRole('heading', { name: 'Evidence kept' })).toBeVisible();
  const ledger = panel.locator('[data-testid="evidence-store"][data-table="Request"]');
  await expect(ledger).toContainText('Request ledger');
  await expect(ledger).toContainText('7 days');
  await expect(ledger).toContainText('HOLDFAST_REQUEST_WINDOW_DAYS');
  const ledgerApi = api.stores.find((s) => s.table === 'Request')!;
  await expect(ledger).toContainText(ledgerApi.rows.toLocaleString('en-US'));
  await expect(ledger).toContainText(ledgerApi.nextDrop!.partition);
  await expect(panel.locator('[data-testid="evidence-store"][data-table="Notable"]')).toContainText('HOLDFAST_NOTABLE_RETENTION_DAYS');
  await expect(panel.getByTestId('evidence-store')).toHaveCount(5);
  // Other journeys may have ingested lines old enough for a month to go already: either list is fine here.
  await expect(panel.getByRole('heading', { name: 'Dropped lately' })).toBeVisible();
  await expect(api.drops.length ? panel.getByTestId('evidence-drops') : panel.getByTestId('evidence-drops-none')).toBeVisible();
  await shots(page, 'evidence-store');
});

// Journey: an admin places an evidence hold for an incident (retention pauses: nothing is dropped
// while it is in force) that reaches back 700 days; a log sent before the hold again is refused whole
// (409, through the API and on the Ingest page, where the failed batch is listed with its reason), its
// archived lines alone are kept (the batch says why); an auditor sees it and cannot change it, the admin releases it with a
// confirmation. A reason of blanks is refused with the server's one-line reason, and nothing is placed.
test('an admin places an evidence hold, an auditor sees it, the admin releases it with a confirmation', async ({ page, browser, baseURL }) => {
  const reason = `INC-${Date.now()}: suspected token theft from the CI runners`;
  await signIn(page, 'admin', '/settings');
  const panel = page.getByTestId('evidence-holds');
  const form = panel.getByRole('form', { name: 'Place an evidence hold' });
  await form.getByLabel('Reason').fill('   ');
  await form.getByRole('button', { name: 'Place hold' }).click();
  await expect(form.getByRole('alert')).toContainText('a hold needs a reason');
  expect(((await (await page.request.get('/api/v1/evidence/holds')).json()) as { holds: Array<{ reason: string }> }).holds.map((h) => h.reason)).not.toContain('   ');

  // Before the hold, a log that spans the retention's start: its recent lines are kept, the rest refused.
  const send = (body: string) => fetch(`${thisWorkersServer().url}/api/v1/ingest?format=nginx-json&source=archive-inc`, {
    method: 'POST', headers: { authorization: `Bearer ${thisWorkersServer().apiKey}`, 'content-type': 'application/x-ndjson' }, body,
  });
  const lines = (n: number, at: number, from: number) => Array.from({ length: n }, (_, i) => nginxJsonLine(from + i, at)).join('\n') + '\n';
  const archivedLines = lines(20, Date.now() - 600 * DAY, 5000);
  const spanning = lines(5, Date.now() - DAY, 6000) + archivedLines;
  const first = await send(spanning);
  expect(first.status).toBe(200);
  expect(await first.json()).toMatchObject({ accepted: 5, rejected: 20 });

  // The matter reaches back before retention: its archived gateway logs are to be loaded too.
  const since = new Date(Date.now() - 700 * DAY).toISOString().slice(0, 10);
  await form.getByLabel('Reason').fill(reason);
  await form.getByLabel('Reaches back to').fill(since);
  await form.getByRole('button', { name: 'Place hold' }).click();
  const row = panel.getByTestId('evidence-hold').filter({ hasText: reason });
  await expect(row).toHaveAttribute('data-state', 'in-force');
  await expect(row).toContainText(since);
  await expect(panel.getByTestId('evidence-held')).toContainText('Retention is paused');
  await expect(panel.getByTestId('evidence-held')).toContainText(`Ingest keeps lines from ${since} on`);
  const listed = (await (await page.request.get('/api/v1/evidence/holds')).json()) as { holds: Array<{ id: string; reason: string; since: string | null; releasedAt: string | null }>; inForce: number };
  const hold = listed.holds.find((h) => h.reason === reason)!;
  expect(hold.releasedAt).toBeNull();
  expect(hold.since).toBe(`${since}T00:00:00.000Z`);

  // The same file again under the hold is a repeat that would keep what the first batch refused: a
  // 409 problem saying to send those lines alone; then the archived lines alone are kept (600 days
  // old, past the 400 days kept), and the batch says why.
  const again = await send(spanning);
  expect(again.status).toBe(409);
  expect(again.headers.get('content-type')).toContain('application/problem+json');
  expect(((await again.json()) as { detail: string }).detail).toContain('send those lines alone');
  // The same from the Ingest page: the form says why, and the batch is listed as failed with its reason.
  await page.goto('/ingest');
  await page.locator('input[type=file][name=file]').setInputFiles({ name: 'archive.json', mimeType: 'application/json', buffer: Buffer.from(spanning) });
  await page.getByLabel('Format').selectOption('nginx-json');
  await page.getByLabel('Source').fill('archive-inc');
  const failedRows = page.getByTestId('batches').locator('tbody tr', { hasText: 'archive-inc' }).filter({ has: page.locator('td', { hasText: /^failed$/ }) });
  await expect(failedRows).toHaveCount(1); // the API's attempt above
  await page.getByRole('button', { name: 'Ingest', exact: true }).click();
  await expect(page.locator('main').getByRole('alert')).toContainText('send those lines alone');
  await expect(failedRows).toHaveCount(2);
  const failed = failedRows.first();
  await failed.getByText('1 error', { exact: true }).click();
  await expect(failed).toContainText('conflict — this body repeats batch');
  await page.goto('/settings');
  const ingested = await send(archivedLines);
  const batch = (await ingested.json()) as { accepted: number; rejected: number; warnings?: string[] };
  expect(ingested.status, JSON.stringify(batch)).toBe(200);
  expect([batch.accepted, batch.rejected]).toEqual([20, 0]);
  expect(batch.warnings?.join('\n')).toContain(`20 lines older than the configured retention kept because an evidence hold in force reaches back to ${since}`);
  expect(listed.inForce).toBeGreaterThanOrEqual(1);
  const storage = (await (await page.request.get('/api/v1/evidence/storage')).json()) as EvidenceStorageView;
  expect(storage.held).toBe(true);
  await shots(page, 'evidence-hold');

  // An auditor reads the hold; placing and releasing are an admin's.
  const auditor = await (await browser.newContext()).newPage();
  await signIn(auditor, 'auditor', '/settings');
  const seen = auditor.getByTestId('evidence-holds');
  await expect(seen.getByTestId('evidence-hold').filter({ hasText: reason })).toContainText('in force');
  await expect(seen.getByRole('button', { name: /Release/ })).toHaveCount(0);
  await expect(seen.getByRole('form', { name: 'Place an evidence hold' })).toHaveCount(0);
  const csrf = await auditor.locator('meta[name="csrf-token"]').getAttribute('content');
  const refused = await auditor.request.post(`/api/v1/evidence/holds/${hold.id}/release`, { headers: { 'x-csrf-token': csrf ?? '', origin: baseURL ?? '' } });
  expect([refused.status(), ((await refused.json()) as { code: string }).code]).toEqual([403, 'forbidden']);
  await auditor.context().close();

  await row.getByRole('button', { name: /^Release the hold/ }).click();
  const dialog = page.getByTestId('confirm-dialog');
  await expect(dialog).toContainText(reason);
  await dialog.getByTestId('confirm-action').click();
  await expect(dialog).toBeHidden();
  await expect(row).toHaveAttribute('data-state', 'released');
  const after = (await (await page.request.get('/api/v1/evidence/holds')).json()) as { holds: Array<{ id: string; releasedAt: string | null; releasedBy: string | null }> };
  expect(after.holds.find((h) => h.id === hold.id)).toMatchObject({ releasedBy: expect.stringContaining('admin') });
});

// The store and its holds from the shell against the running server: holdfast evidence … --server.
test('holdfast evidence storage / hold / holds / release --server read the store and place, list and release a hold through the API', async () => {
  const { runCli } = await import('../lib/testing/processes.ts');
  const remote = ['--server', thisWorkersServer().url, '--api-key', thisWorkersServer().apiKey];
  // What the store keeps, from the shell: the same view the API answers.
  const stored = await runCli(['evidence', 'storage', '--json', ...remote]);
  expect(stored.code, stored.stderr).toBe(0);
  const view = JSON.parse(stored.stdout) as EvidenceStorageView;
  expect(view.retention).toEqual({ requestWindowDays: 7, usageRetentionDays: 400, notableRetentionDays: 400 });
  expect(view.stores.map((x) => x.table)).toEqual(['Request', 'Usage', 'Notable', 'Hop', 'HopUsage']);
  const placed = await runCli(['evidence', 'hold', '--reason', 'e2e CLI hold', '--json', ...remote]);
  expect(placed.code, placed.stderr).toBe(0);
  const { hold } = JSON.parse(placed.stdout) as { hold: { id: string; reason: string; createdBy: string } };
  expect(hold.reason).toBe('e2e CLI hold');
  const list = await runCli(['evidence', 'holds', '--json', ...remote]);
  expect(list.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toContain(hold.id);
  const released = await runCli(['evidence', 'release', '--id', hold.id, '--json', ...remote]);
  expect(released.code, released.stderr).toBe(0);
  expect(JSON.parse(released.stdout)).toMatchObject({ alreadyReleased: false, hold: { id: hold.id } });
  // The server's 422 for a reason the CLI would refuse too is never reached: the CLI refuses first, one line.
  const blank = await runCli(['evidence', 'hold', '--reason', '  ', ...remote]);
  expect([blank.code, blank.stdout, blank.stderr.trim().split('\n').length]).toEqual([2, '', 1]);
});
