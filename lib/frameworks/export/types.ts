// What an export reads and what it reports back. Rows come as async iterables (a database cursor,
// a generator) so exports of 1M tokens / 100k findings stream with flat memory; the aggregate
// counts that decide control status come precomputed (a GROUP BY), so no pass needs to hold rows.
import type { Severity } from '../../domain/types.ts';
import type { EvidenceCounts, Framework } from '../types.ts';

export type ExportFormat = 'csv' | 'json' | 'oscal' | 'pdf';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'json', 'oscal', 'pdf'];

export function isExportFormat(s: string): s is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(s);
}

/** One finding as exported. Never a raw token: fingerprints and display stubs only. */
export interface ExportFindingRow {
  id: string;
  rule: string;
  severity: Severity;
  /** open | acknowledged | resolved */
  status: string;
  title: string;
  explanation?: string | null;
  /** Remediation text shown to auditors (Finding.recommendation). */
  recommendation: string;
  identity: string | null;
  identityId?: string | null;
  tokenId: string | null;
  /** SHA-256 base64url fingerprint of the token (never the token). */
  tokenFingerprint?: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** One positive-control check on one subject (a token, a certificate, a revocation). */
export interface ExportEvidenceRow {
  id: string;
  control: string;
  subjectType: 'token' | 'certificate' | 'revocation' | 'identity';
  /** Database id (uuid) of the subject. */
  subjectId: string;
  subjectLabel?: string | null;
  passed: boolean;
  observedAt: Date;
  detail?: string | null;
}

export interface ExportMeta {
  framework: Framework;
  generatedAt: Date;
  /** Who asked for it: user e-mail or API key name. */
  generatedBy: string;
  /** The time range the evidence covers; null ends mean open. */
  range?: { from: Date | null; to: Date | null };
  /** Product name and version, for the document metadata. */
  tool?: { name: string; version: string };
  /** Called every PROGRESS_EVERY rows read (for export-job progress); must not throw. */
  onProgress?: (stats: Readonly<ExportStats>) => void;
}

export const PROGRESS_EVERY = 10_000;

/** Reports progress every PROGRESS_EVERY rows read. */
export function tick(meta: ExportMeta, stats: ExportStats): void {
  if (meta.onProgress && (stats.findings + stats.evidenceRows) % PROGRESS_EVERY === 0) meta.onProgress(stats);
}

export interface ExportSource {
  /** Aggregated evidence for the range; decides control statuses. */
  evidence: EvidenceCounts;
  /** The findings in the range. May be called more than once (the PDF reads it once, others once). */
  findings: () => AsyncIterable<ExportFindingRow>;
  /** Per-subject positive-control checks; omit to export aggregate counts only. */
  positiveEvidence?: () => AsyncIterable<ExportEvidenceRow>;
}

export interface ExportStats {
  /** Controls in the framework. */
  controls: number;
  /** Finding rows read from the source. */
  findings: number;
  /** Positive evidence rows read. */
  evidenceRows: number;
  /** CSV: data rows written (control × finding, plus one per control without findings). */
  rows: number;
}

export interface ExportResult extends ExportStats {
  format: ExportFormat;
  /** SHA-256 of exactly the bytes written, hex. Record it in the audit log. */
  sha256: string;
  bytes: number;
}

export function newStats(controls: number): ExportStats {
  return { controls, findings: 0, evidenceRows: 0, rows: 0 };
}
