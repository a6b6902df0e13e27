// Journey: an auditor opens Settings and reads what the evidence store keeps: each store's retention
// and the setting behind it, its partitions, rows and size, the oldest time it holds and its next
// drop — the same figures GET /api/v1/evidence/storage answers through the running server.
// Screenshots at 1440, 1280 and 390 px.
import { expect, test } from '@playwright/test';
import type { EvidenceStorageView } from '../lib/services/evidence/storage.ts';
import { shots, signIn } from './fixtures.ts';

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
