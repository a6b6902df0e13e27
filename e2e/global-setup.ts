// Starts Holdfast the way a user does (scripts/start.mjs on a production build) on a fresh
// embedded database with the demo estate, creates one account per role and an admin API key
// for the CLI, and hands the URL to the tests through the environment.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startServerProcess } from '../lib/testing/processes.ts';
import { USERS } from './fixtures.ts';

export default async function globalSetup() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-e2e-'));
  const env = { HOLDFAST_DATA_DIR: dataDir };
  for (const [role, u] of Object.entries(USERS)) {
    const r = await runCli(['user', 'create', '--email', u.email, '--role', role, '--json'], { env, input: u.password });
    if (r.code !== 0) throw new Error(`user create failed: ${r.stderr}`);
  }
  const key = await runCli(['apikey', 'create', '--name', 'e2e', '--role', 'admin', '--json'], { env });
  if (key.code !== 0) throw new Error(`apikey create failed: ${key.stderr}`);
  // Every spec signs in from 127.0.0.1: lift the per-address budget (the per-account one stays).
  const server = await startServerProcess({ ...env, HOLDFAST_DEMO: 'auto', HOLDFAST_SIGNIN_LIMIT_PER_IP: '10000',
    // Specs compare the Overview with live lists right after background work (revocation legs,
    // findings) changed them: no view cache here (it is covered by lib/http/view-cache.test.ts).
    HOLDFAST_VIEW_CACHE_SECONDS: '0' });
  process.env.HOLDFAST_E2E_URL = server.url;
  process.env.HOLDFAST_E2E_API_KEY = JSON.parse(key.stdout).key;
  process.env.HOLDFAST_E2E_DATA_DIR = dataDir;
  writeFileSync(path.join(dataDir, 'e2e-server.pid'), String(server.child.pid));
}
