// Test-only: what ingest stored, read the way users read it — through the estate service behind
// the dashboard and `holdfast events` — so a test holds whichever storage keeps the requests.
import type { Database } from '../../../db/open.ts';
import { listEvents, type EventRow } from '../../estate/lists.ts';

/** Every request stored, newest first, page by page. */
export async function allEvents(db: Database): Promise<EventRow[]> {
  const out: EventRow[] = [];
  let after: string | undefined;
  do {
    const page = await listEvents(db, { limit: 1000 }, after ? { after } : {});
    out.push(...page.items);
    after = page.nextCursor ?? undefined;
  } while (after);
  return out;
}

/** Every row of every table (Holdfast's and the evidence store's), as text: where a raw secret must not be. */
export async function everyStoredRow(db: Database): Promise<string> {
  const tables = await db.query<{ s: string; t: string }>(
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema IN ('public', 'evidence') AND table_type = 'BASE TABLE'`,
  );
  let text = '';
  for (const { s, t } of tables) text += JSON.stringify(await db.query(`SELECT * FROM "${s}"."${t}"`));
  return text;
}
