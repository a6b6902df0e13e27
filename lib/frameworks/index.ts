// Public API of the framework core, for the API routes, the CLI and the export jobs. Pure: no
// Next.js, React, Prisma or process.env; callers pass evidence, rows, a clock value and a sink.
import type { Writable } from 'node:stream';
import { HoldfastError } from '../errors.ts';
import { writeCsvExport } from './export/csv.ts';
import { writeJsonExport } from './export/json.ts';
import { writeOscalExport } from './export/oscal.ts';
import { writePdfExport } from './export/pdf.ts';
import type { ExportFormat, ExportMeta, ExportResult, ExportSource } from './export/types.ts';
import { getBuiltinFramework } from './registry.ts';
import type { Framework } from './types.ts';

export { assessControls, decideStatus, statusEvidence, statusTotals, type StatusEvidence } from './control-status.ts';
export { countEvidence, type CountEvidenceInput } from './evidence-counts.ts';
export { csf11To20, csf20From11, CSF_11_TO_20 } from './csf-crosswalk.ts';
export { customFrameworkSchema, parseCustomFramework, validateCustomFramework } from './custom-framework.ts';
export type { CustomFrameworkInput, CustomFrameworkResult, FieldIssue } from './custom-framework.ts';
export { csvChunks, writeCsvExport } from './export/csv.ts';
export { jsonChunks, writeJsonExport } from './export/json.ts';
export { buildOscalDocument, oscalChunks, OSCAL_VERSION, writeOscalExport } from './export/oscal.ts';
export { writePdfExport } from './export/pdf.ts';
export { redactSecrets } from './export/redact.ts';
export type { ExportEvidenceRow, ExportFindingRow, ExportFormat, ExportMeta, ExportResult, ExportSource } from './export/types.ts';
export { EXPORT_FORMATS, isExportFormat, PROGRESS_EVERY } from './export/types.ts';
export { MAPPING_TABLE, POSITIVE_CONTROLS } from './mapping.ts';
export { toOscalToken } from './oscal-token.ts';
export { EVIDENCE_SUBJECTS, getBuiltinFramework, listBuiltinFrameworks, requireBuiltinFramework } from './registry.ts';
export * from './types.ts';
export { validateMapping } from './validate-mapping.ts';

/** A framework by id: built-ins first, then the custom frameworks the caller loaded. Throws not_found. */
export function resolveFramework(id: string, custom: readonly Framework[] = []): Framework {
  const f = getBuiltinFramework(id) ?? custom.find((c) => c.id === id);
  if (!f) {
    const known = custom.map((c) => c.id);
    throw new HoldfastError('not_found', `unknown framework ${id}${known.length ? ` (custom: ${known.join(', ')})` : ''}`);
  }
  return f;
}

/**
 * Writes one export in `format` into `sink` (a file stream, an HTTP response) and ends it.
 * Returns the SHA-256 of the bytes written and the counts for the audit log and the CLI's
 * `{ file, sha256, controls, findings }`.
 */
export async function writeFrameworkExport(format: ExportFormat, meta: ExportMeta, source: ExportSource, sink: Writable): Promise<ExportResult> {
  switch (format) {
    case 'csv':
      return writeCsvExport(meta, source, sink);
    case 'json':
      return writeJsonExport(meta, source, sink);
    case 'oscal':
      return writeOscalExport(meta, source, sink);
    case 'pdf':
      return writePdfExport(meta, source, sink);
  }
}
