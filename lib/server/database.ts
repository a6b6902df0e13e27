// The process-wide database handle. The Holdfast server (lib/server/start.ts) opens the
// database once, before Next.js loads, and registers it here; route handlers bundled by Next
// share it through globalThis (module instances differ between the server and the bundle).
// Without the custom server (`next dev`), the first request opens it from the environment;
// migrations are then the developer's step (`npx holdfast migrate`), never the bundle's.
import { loadConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/open.ts';
import { dbTargetFromConfig } from '../db/target.ts';
import { setEvidenceRetention } from '../services/evidence/maintenance.ts';

const KEY = Symbol.for('holdfast.database');
type Slot = { db?: Database; opening?: Promise<Database> };
const slot = ((globalThis as Record<symbol, unknown>)[KEY] ??= {}) as Slot;

export function registerDatabase(db: Database | undefined): void {
  slot.db = db;
  slot.opening = undefined;
}

export async function getDatabase(): Promise<Database> {
  if (slot.db) return slot.db;
  slot.opening ??= (async () => {
    const cfg = loadConfig();
    const db = await openDatabase(dbTargetFromConfig(cfg));
    setEvidenceRetention(cfg.retention);
    slot.db = db;
    return db;
  })();
  return slot.opening;
}
