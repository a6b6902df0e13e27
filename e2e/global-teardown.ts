import { readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { publishedServers } from './servers.ts';

/** Stops the server whose pid the global setup wrote into `dataDir`, then removes the directory. */
async function stopAndRemove(dataDir: string): Promise<void> {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'e2e-server.pid'), 'utf8'));
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
  rmSync(dataDir, { recursive: true, force: true });
}

export default async function globalTeardown() {
  const idp = (globalThis as { holdfastE2eIdp?: Server }).holdfastE2eIdp;
  if (idp) await new Promise((r) => idp.close(r)).catch(() => {});
  await Promise.all(publishedServers().map((s) => stopAndRemove(s.dataDir)));
}
