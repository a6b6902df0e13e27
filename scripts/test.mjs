#!/usr/bin/env node
// `npm test`: build the app and the CLI bundle, run unit + integration tests (vitest, PGlite and
// PostgreSQL), then the browser journeys (Playwright in Debian's Chromium) against the build.
// Ends with one plain line `tests: N passed, N failed, N skipped` over both runners.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const out = path.join(root, 'test-results');
mkdirSync(out, { recursive: true });
const only = process.argv[2]; // optional: "unit" or "e2e"

function step(title, cmd, args, extraEnv = {}) {
  process.stdout.write(`\n── ${title}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...env, ...extraEnv } });
  return r.status ?? 1;
}

let failedSteps = 0;
const totals = { passed: 0, failed: 0, skipped: 0 };

// The app for the journeys and the servers tests start; the bundles of the CLI and of the server's
// start module for every test that runs `holdfast` or starts a server (bin/holdfast.mjs and
// scripts/start.mjs fall back to the sources if one is edited after this).
const built =
  (only === 'unit' || step('build', process.execPath, [path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build']) === 0) &&
  step('build the CLI and server bundles', process.execPath, [path.join(root, 'scripts', 'build-bundles.mjs')]) === 0;
if (!built) {
  process.stdout.write('tests: 0 passed, 1 failed\n');
  process.exit(1);
}

if (only !== 'e2e') {
  const report = path.join(out, 'vitest.json');
  failedSteps += step('unit and integration tests (vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]) ? 1 : 0;
  if (existsSync(report)) {
    const j = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += j.numPassedTests ?? 0;
    totals.failed += (j.numFailedTests ?? 0) + (j.numFailedTestSuites ?? 0);
    totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  } else totals.failed += 1;
}

if (only !== 'unit') {
  const report = path.join(out, 'playwright.json');
  failedSteps += step('browser journeys (Playwright, Chromium)', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: report }) ? 1 : 0;
  if (existsSync(report)) {
    const s = JSON.parse(readFileSync(report, 'utf8')).stats ?? {};
    totals.passed += (s.expected ?? 0) + (s.flaky ?? 0);
    totals.failed += s.unexpected ?? 0;
    totals.skipped += s.skipped ?? 0;
  } else totals.failed += 1;
}

if (failedSteps && totals.failed === 0) totals.failed = failedSteps;
process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(totals.failed ? 1 : 0);
