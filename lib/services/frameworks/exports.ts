// Export jobs: an ExportJob row, then a run that streams the framework export into a file
// (`<dataDir>/exports/<id>.<ext>`, or a path the CLI names) with findings and positive checks read
// from the database in keyset pages, progress written back to the row, and on success the SHA-256
// recorded in the row and in an audit entry (framework version, generation time, who, sha256).
// The document itself carries framework version, generation time and generatedBy (ExportMeta).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pkg from '../../../package.json' with { type: 'json' };
import { appendAuditEntry } from '../../audit/append-audit-entry.ts';
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import { EXPORT_FORMATS, isExportFormat, writeFrameworkExport, type ExportFormat, type ExportResult } from '../../frameworks/index.ts';
import { getFramework } from './catalog.ts';
import { evidenceCounts, exportRowEstimate, findingRows, loadRiskPolicy, positiveEvidenceRows, resolveRange } from './evidence.ts';

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { csv: 'csv', json: 'json', oscal: 'oscal.json', pdf: 'pdf' };
export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  oscal: 'application/json',
  pdf: 'application/pdf',
};

export interface ExportJobView {
  id: string;
  framework: string;
  frameworkVersion: string | null;
  format: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  /** Percent, 0–100. */
  progress: number;
  requestedBy: string;
  from: string | null;
  to: string | null;
  sha256: string | null;
  controls: number | null;
  findings: number | null;
  bytes: number | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** Set when done. */
  downloadUrl: string | null;
  fileName: string | null;
}

interface JobRow {
  id: string;
  framework: string;
  format: string;
  state: string;
  progress: number;
  requestedBy: string;
  rangeFrom: Date | null;
  rangeTo: Date | null;
  filePath: string | null;
  sha256: string | null;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  frameworkVersion: string | null;
  controls: number | null;
  findings: number | null;
  bytes: bigint | null;
}

export function exportFileName(job: Pick<JobRow, 'framework' | 'format' | 'createdAt'>): string {
  const ext = isExportFormat(job.format) ? EXPORT_EXTENSIONS[job.format] : 'bin';
  const stamp = job.createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `holdfast-${job.framework}-${stamp}.${ext}`;
}

export function jobView(j: JobRow): ExportJobView {
  const done = j.state === 'done';
  return {
    id: j.id,
    framework: j.framework,
    frameworkVersion: j.frameworkVersion,
    format: j.format,
    state: j.state as ExportJobView['state'],
    progress: j.progress,
    requestedBy: j.requestedBy,
    from: j.rangeFrom?.toISOString() ?? null,
    to: j.rangeTo?.toISOString() ?? null,
    sha256: j.sha256,
    controls: j.controls,
    findings: j.findings,
    bytes: j.bytes === null ? null : Number(j.bytes),
    error: j.error,
    createdAt: j.createdAt.toISOString(),
    finishedAt: j.finishedAt?.toISOString() ?? null,
    downloadUrl: done ? `/api/v1/exports/${j.id}/download` : null,
    fileName: done ? exportFileName(j) : null,
  };
}

export interface StartExportInput {
  framework: string;
  format: string;
  from?: Date | null;
  to?: Date | null;
  /** Who asked: the principal's audit label (`user:alice@example.com`, `apikey:…`). */
  actor: string;
}

function generatedBy(actor: string): string {
  return actor.replace(/^user:/, '');
}

/** Validates the request and creates the job row (state queued). Bad framework/format → validation_failed. */
export async function createExportJob(db: Database, input: StartExportInput, opts: { now?: Date } = {}): Promise<JobRow> {
  if (!isExportFormat(input.format)) throw new HoldfastError('validation_failed', `format must be one of ${EXPORT_FORMATS.join(', ')}`, { errors: [{ path: 'format', message: `must be one of ${EXPORT_FORMATS.join(', ')}` }] });
  try {
    await getFramework(db, input.framework);
  } catch (e) {
    if (e instanceof HoldfastError && e.code === 'not_found') throw new HoldfastError('validation_failed', e.message, { errors: [{ path: 'framework', message: e.message }] });
    throw e;
  }
  const now = opts.now ?? new Date();
  // A range in the future is nonsense; `to` defaults to the moment of the request and is pinned in the row.
  const range = resolveRange({ from: input.from ?? null, to: input.to ?? null }, now);
  return (await db.prisma.exportJob.create({
    data: { framework: input.framework, format: input.format, requestedBy: input.actor, rangeFrom: range.from, rangeTo: range.to, state: 'queued' },
  })) as JobRow;
}

export interface RunOptions {
  /** Directory for job files (`<dataDir>/exports`); ignored when `file` is given. */
  exportsDir?: string;
  /** Write here instead (the CLI's --out). */
  file?: string;
  now?: Date;
}

/**
 * Runs a job to completion: streams the export into its file, records sha256/counts in the row and
 * an audit entry. Never throws for export failures: the job ends `failed` with a one-line error,
 * and the result is null.
 */
export async function runExportJob(db: Database, jobId: string, opts: RunOptions): Promise<{ job: ExportJobView; result: ExportResult | null }> {
  const job = (await db.prisma.exportJob.findUnique({ where: { id: jobId } })) as JobRow | null;
  if (!job) throw new HoldfastError('not_found', `no export job ${jobId}`);
  const format = job.format as ExportFormat;
  const file = opts.file ? path.resolve(opts.file) : path.join(/*turbopackIgnore: true*/ opts.exportsDir ?? '.', `${job.id}.${EXPORT_EXTENSIONS[format]}`);
  const tmp = `${file}.${randomBytes(4).toString('hex')}.part`;
  await db.prisma.exportJob.update({ where: { id: job.id }, data: { state: 'running', filePath: file } });
  let lastWrite: Promise<unknown> = Promise.resolve();
  let lastPct = 0;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const framework = await getFramework(db, job.framework);
    const range = { from: job.rangeFrom, to: job.rangeTo };
    const policy = await loadRiskPolicy(db);
    const evidence = await evidenceCounts(db, range, { policy });
    const total = Math.max(1, await exportRowEstimate(db, range, evidence));
    const generatedAt = opts.now ?? new Date();
    const result = await writeFrameworkExport(
      format,
      {
        framework,
        generatedAt,
        generatedBy: generatedBy(job.requestedBy),
        range: { from: job.rangeFrom, to: job.rangeTo },
        tool: { name: 'Holdfast', version: pkg.version },
        onProgress: (s) => {
          const pct = Math.min(99, Math.floor(((s.findings + s.evidenceRows) / total) * 100));
          if (pct <= lastPct) return;
          lastPct = pct;
          // One progress write at a time, never awaited by the export loop; errors are ignored.
          lastWrite = lastWrite.then(() => db.prisma.exportJob.update({ where: { id: job.id }, data: { progress: pct } })).catch(() => {});
        },
      },
      {
        evidence,
        findings: () => findingRows(db, range),
        positiveEvidence: () => positiveEvidenceRows(db, range, { policy }),
      },
      createWriteStream(tmp),
    );
    await lastWrite;
    await rename(tmp, file);
    const finishedAt = new Date();
    const updated = await db.prisma.$transaction(async (tx) => {
      const row = await tx.exportJob.update({
        where: { id: job.id },
        data: {
          state: 'done',
          progress: 100,
          sha256: result.sha256,
          bytes: BigInt(result.bytes),
          controls: result.controls,
          findings: result.findings,
          frameworkVersion: framework.version,
          finishedAt,
          error: null,
        },
      });
      await appendAuditEntry(tx, {
        actor: job.requestedBy,
        action: 'export.create',
        target: job.id,
        details: {
          framework: framework.id,
          frameworkVersion: framework.version,
          catalogVersion: framework.catalogVersion,
          format,
          generatedAt: generatedAt.toISOString(),
          generatedBy: generatedBy(job.requestedBy),
          from: job.rangeFrom?.toISOString() ?? null,
          to: job.rangeTo?.toISOString() ?? null,
          sha256: result.sha256,
          bytes: result.bytes,
          controls: result.controls,
          findings: result.findings,
        },
      });
      return row as JobRow;
    });
    return { job: jobView(updated), result };
  } catch (e) {
    await lastWrite;
    await rm(tmp, { force: true }).catch(() => {});
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 500);
    const failed = (await db.prisma.exportJob.update({ where: { id: job.id }, data: { state: 'failed', error: message, finishedAt: new Date() } })) as JobRow;
    return { job: jobView(failed), result: null };
  }
}

const running = new Map<string, Promise<unknown>>();

/**
 * Creates a job and runs it in the background of this process. Waits up to `inlineWaitMs` so a
 * small export comes back done; a large one comes back queued/running (poll getExportJob).
 */
export async function startExport(db: Database, input: StartExportInput, opts: RunOptions & { inlineWaitMs?: number } = {}): Promise<ExportJobView> {
  const job = await createExportJob(db, input, opts);
  const run = runExportJob(db, job.id, opts).finally(() => running.delete(job.id));
  running.set(job.id, run);
  const wait = opts.inlineWaitMs ?? 0;
  if (wait > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([run, new Promise((r) => (timer = setTimeout(r, wait)))]);
    clearTimeout(timer);
  }
  return getExportJob(db, job.id);
}

/**
 * Marks jobs left queued/running by a previous process as failed. Only safe where one process owns
 * the database (the embedded PGlite data dir is locked to one process); the server calls it at
 * start on PGlite. Returns how many jobs it marked.
 */
export async function failInterruptedExports(db: Database): Promise<number> {
  const r = await db.prisma.exportJob.updateMany({
    where: { state: { in: ['queued', 'running'] }, id: { notIn: [...running.keys()] } },
    data: { state: 'failed', error: 'interrupted: the server stopped before the export finished; start it again', finishedAt: new Date() },
  });
  return r.count;
}

/** Resolves when a job started in this process has finished (tests, graceful shutdown). */
export async function waitForExport(id: string): Promise<void> {
  await running.get(id);
}

export async function getExportJob(db: Database, id: string): Promise<ExportJobView> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new HoldfastError('not_found', `no export job ${id}`);
  const j = (await db.prisma.exportJob.findUnique({ where: { id } })) as JobRow | null;
  if (!j) throw new HoldfastError('not_found', `no export job ${id}`);
  return jobView(j);
}

export async function listExportJobs(db: Database, opts: { limit?: number } = {}): Promise<ExportJobView[]> {
  const rows = (await db.prisma.exportJob.findMany({ orderBy: { createdAt: 'desc' }, take: Math.min(opts.limit ?? 20, 100) })) as JobRow[];
  return rows.map(jobView);
}

/** The finished file of a job, for download. `conflict` while it runs, `not_found` when gone. */
export async function exportFile(db: Database, id: string): Promise<{ job: ExportJobView; path: string; size: number; contentType: string; fileName: string }> {
  const view = await getExportJob(db, id);
  if (view.state !== 'done') throw new HoldfastError('conflict', `export ${id} is ${view.state}${view.error ? `: ${view.error}` : ''}`);
  const row = await db.prisma.exportJob.findUnique({ where: { id }, select: { filePath: true } });
  if (!row?.filePath) throw new HoldfastError('not_found', `export ${id} has no file`);
  let size: number;
  try {
    size = (await stat(row.filePath)).size;
  } catch {
    throw new HoldfastError('not_found', `the file of export ${id} is gone`);
  }
  return { job: view, path: row.filePath, size, contentType: EXPORT_CONTENT_TYPES[view.format as ExportFormat] ?? 'application/octet-stream', fileName: view.fileName! };
}

/** The CLI's direct path: a job whose file is `file`, run to completion in this process. */
export async function exportToFile(db: Database, input: StartExportInput & { file: string }, opts: { now?: Date } = {}): Promise<{ file: string; sha256: string; controls: number; findings: number; job: ExportJobView }> {
  const job = await createExportJob(db, input, opts);
  const { job: view, result } = await runExportJob(db, job.id, { file: input.file, now: opts.now });
  if (!result) throw new HoldfastError('internal', `export failed: ${view.error ?? 'unknown error'}`);
  return { file: path.resolve(input.file), sha256: result.sha256, controls: result.controls, findings: result.findings, job: view };
}
