// CSV export: one row per control × finding, with remediation text (Prowler users' ask), plus one
// row for each control no finding landed on, so every control and its status appear. RFC 4180
// quoting, CRLF line ends, and a guard against formula injection when opened in a spreadsheet.
import type { Writable } from 'node:stream';
import { redactSecrets } from './redact.ts';
import { statusEvidence } from '../control-status.ts';
import { assess, controlsBySubject, iso } from './common.ts';
import { batched, writeChunks } from './sink.ts';
import type { ExportMeta, ExportResult, ExportSource, ExportStats } from './types.ts';
import { newStats, tick } from './types.ts';

export const CSV_COLUMNS = [
  'framework_id',
  'framework_version',
  'control_id',
  'control_title',
  'control_status',
  'finding_id',
  'rule',
  'severity',
  'finding_status',
  'identity',
  'token_fingerprint',
  'finding_title',
  'remediation',
  'mapping_rationale',
  'first_seen_at',
  'last_seen_at',
  'generated_at',
  'generated_by',
  // Added last so existing column positions hold: what the control's status rests on.
  'control_status_evidence',
] as const;

/**
 * One CSV cell. Cells a spreadsheet would read as a formula (leading = + - @, or a tab/CR that
 * some apps strip first) get a leading apostrophe (OWASP CSV injection guidance); then RFC 4180:
 * quote when the cell holds a comma, quote, CR or LF, doubling inner quotes.
 */
export function csvCell(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** The CSV as string chunks; `stats` is filled in as rows are produced. */
export async function* csvChunks(meta: ExportMeta, source: ExportSource, stats: ExportStats = newStats(meta.framework.controls.length)): AsyncGenerator<string> {
  yield* batched(csvParts(meta, source, stats));
}

async function* csvParts(meta: ExportMeta, source: ExportSource, stats: ExportStats): AsyncGenerator<string> {
  const f = meta.framework;
  const assessments = assess(meta, source);
  const status = new Map(assessments.map((a) => [a.control.id, a.status]));
  const basis = new Map(assessments.map((a) => [a.control.id, statusEvidence(a.status, a.counts).text]));
  const links = controlsBySubject(f);
  const generatedAt = iso(meta.generatedAt);
  const withRows = new Set<string>();
  yield csvLine(CSV_COLUMNS);
  for await (const x of source.findings()) {
    stats.findings += 1;
    tick(meta, stats);
    for (const l of links.get(x.rule) ?? []) {
      withRows.add(l.control.id);
      stats.rows += 1;
      yield csvLine([
        f.id,
        f.version,
        l.control.id,
        l.control.title,
        status.get(l.control.id) ?? 'not_assessed',
        x.id,
        x.rule,
        x.severity,
        x.status,
        x.identity ? redactSecrets(x.identity) : '',
        x.tokenFingerprint ?? '',
        redactSecrets(x.title),
        redactSecrets(x.recommendation),
        l.rationale,
        iso(x.firstSeenAt),
        iso(x.lastSeenAt),
        generatedAt,
        meta.generatedBy,
        basis.get(l.control.id) ?? '',
      ]);
    }
  }
  for (const c of f.controls) {
    if (withRows.has(c.id)) continue;
    stats.rows += 1;
    yield csvLine([f.id, f.version, c.id, c.title, status.get(c.id) ?? 'not_assessed', '', '', '', '', '', '', '', '', '', '', '', generatedAt, meta.generatedBy, basis.get(c.id) ?? '']);
  }
}

/** Streams the CSV export into `sink`; returns its SHA-256 and counts. */
export async function writeCsvExport(meta: ExportMeta, source: ExportSource, sink: Writable): Promise<ExportResult> {
  const stats = newStats(meta.framework.controls.length);
  const out = await writeChunks(csvChunks(meta, source, stats), sink);
  return { format: 'csv', ...stats, ...out };
}
