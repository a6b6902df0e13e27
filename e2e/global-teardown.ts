import { readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';

export default async function globalTeardown() {
  const idp = (globalThis as { holdfastE2eIdp?: Server }).holdfastE2eIdp;
  if (idp) await new Promise((r) => idp.close(r)).catch(() => {});
  const dir = process.env.HOLDFAST_E2E_DATA_DIR;
  if (!dir) return;
  try {
    const pid = Number(readFileSync(path.join(dir, 'e2e-server.pid'), 'utf8'));
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        break;
      }
    }
  } catch {
    /* already gone */
  }
  rmSync(dir, { recursive: true, force: true });
}
