import { defineConfig } from '@playwright/test';
import { e2eWorkers, thisWorkersServerIfAny } from './e2e/servers.ts';

// Playwright drives Debian's Chromium (it cannot download its own browser here) against a
// production build started by e2e/global-setup.ts on a throwaway embedded database, one server per
// worker (e2e/servers.ts). Files run side by side; the journeys within one file stay in order.
export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: e2eWorkers(),
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  globalSetup: './e2e/global-setup.ts',
  globalTeardown: './e2e/global-teardown.ts',
  use: {
    // Each worker loads this file itself, after the global setup started its server.
    baseURL: thisWorkersServerIfAny()?.url,
    browserName: 'chromium',
    // Journeys save the screenshots they mean to keep themselves (page.screenshot); an automatic one
    // after every journey cost time and nobody read it. A failure still gets one.
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
