// Test-only: the revocation worker as its own process, for the SIGKILL test. Runs passes
// until no leg is left to try, then exits 0. DATABASE_URL or HOLDFAST_DATA_DIR names the db.
import { openDatabase } from '../../db/open.ts';
import { dbConnectorResolver } from '../connector-store.ts';
import { runRevocationWorker } from '../run-revocation-worker.ts';

const env = process.env;
const db = await openDatabase(env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL, poolSize: 3 } : { kind: 'pglite', dataDir: env.HOLDFAST_DATA_DIR! });
const key = Buffer.from(env.HOLDFAST_SECRET_KEY!, 'base64');
const opts = {
  connectors: dbConnectorResolver(db, key),
  key,
  workerId: `child-${process.pid}`,
  leaseMs: Number(env.LEASE_MS ?? 1500),
  batchSize: 4,
  concurrency: 2,
  baseDelayMs: 50,
  maxDelayMs: 200,
  timeoutMs: 5000,
};
for (;;) {
  const pass = await runRevocationWorker(db, opts);
  process.stdout.write(`pass ${JSON.stringify(pass)}\n`);
  if (pass.claimed === 0) {
    const left = await db.prisma.revocationLeg.count({ where: { state: { in: ['pending', 'in_progress'] } } });
    if (left === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}
await db.close();
process.exit(0);
