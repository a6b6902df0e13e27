// `?format=csv|json` export of any list as currently filtered. CSV cells that a spreadsheet
// would run as a formula (leading = + - @ tab CR) are prefixed with a single quote (OWASP CSV
// injection guidance); every cell is quoted. Exports stream page by page (keyset), up to
// MAX_EXPORT_ROWS, so a big estate does not build one huge array.
import type { Page } from './query.ts';
import { encodeCursor } from './query.ts';

export const MAX_EXPORT_ROWS = 100_000;

export function csvCell(v: unknown): string {
  let s = v == null ? '' : Array.isArray(v) ? v.join(' ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

export function csvLine(values: readonly unknown[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}

export type PageFetcher<T> = (after: string | undefined) => Promise<Page<T>>;

/** A streaming export response of every row the filters match (up to MAX_EXPORT_ROWS). */
export function exportResponse<T extends object>(name: string, format: 'csv' | 'json', columns: readonly (keyof T & string)[], fetchPage: PageFetcher<T>): Response {
  const enc = new TextEncoder();
  let after: string | undefined;
  let done = false;
  let rows = 0;
  let first = true;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (first) {
          controller.enqueue(enc.encode(format === 'csv' ? csvLine(columns) : '['));
        }
        if (done) {
          if (format === 'json') controller.enqueue(enc.encode(']\n'));
          controller.close();
          return;
        }
        const page = await fetchPage(after);
        let chunk = '';
        for (const item of page.items) {
          if (rows >= MAX_EXPORT_ROWS) break;
          const picked = Object.fromEntries(columns.map((c) => [c, (item as Record<string, unknown>)[c] ?? null]));
          chunk += format === 'csv' ? csvLine(columns.map((c) => picked[c])) : `${rows === 0 ? '' : ','}\n${JSON.stringify(picked)}`;
          rows += 1;
        }
        first = false;
        if (chunk) controller.enqueue(enc.encode(chunk));
        after = page.nextCursor ?? undefined;
        if (!page.nextCursor || rows >= MAX_EXPORT_ROWS) done = true;
      } catch (e) {
        controller.error(e);
      }
    },
  });
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return new Response(stream, {
    headers: {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="holdfast-${name}-${stamp}.${format}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

export { encodeCursor };
