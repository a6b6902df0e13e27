// `holdfast export --framework F --format csv|json|oscal|pdf --out FILE [--from ISO] [--to ISO]`
// → `{ file, sha256, controls, findings }` (CONTRACT.md). Directly on the database (an export job
// whose file is FILE, audited like the server's), or with --server through POST /api/v1/exports,
// polling the job and downloading the file (its SHA-256 checked against the job's).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { HoldfastError, isHoldfastError } from '../../errors.ts';
// The leaf modules, not frameworks/index.ts: the CLI's usage line must not load the export writers.
import { EXPORT_FORMATS, isExportFormat } from '../../frameworks/export/types.ts';
import { BUILTIN_FRAMEWORK_IDS } from '../../frameworks/types.ts';
import { parseInstant } from '../../domain/instant.ts';
import type { ExportJobView } from '../../services/frameworks/index.ts';
import type { Command } from '../command.ts';
import { CheckFailed, emit, UsageError } from '../io.ts';
import { callApi, fetchWithAuth, type Remote } from '../remote.ts';

export interface ExportOutput {
  file: string;
  sha256: string;
  controls: number;
  findings: number;
}

function frameworkUsage(id: string): UsageError {
  return new UsageError(`unknown framework "${id}": use one of ${BUILTIN_FRAMEWORK_IDS.join(', ')} or a custom framework id`);
}

function checkOut(out: string): string {
  const file = path.resolve(out);
  let dir;
  try {
    dir = statSync(path.dirname(file));
  } catch {
    throw new UsageError(`--out: directory ${path.dirname(file)} does not exist`);
  }
  if (!dir.isDirectory()) throw new UsageError(`--out: ${path.dirname(file)} is not a directory`);
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`--out: ${file} is a directory; name a file`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  return file;
}

async function remoteExport(remote: Remote, body: Record<string, string>, file: string): Promise<ExportOutput> {
  let job: ExportJobView;
  try {
    job = await callApi<ExportJobView>(remote, 'POST', '/api/v1/exports', body);
  } catch (e) {
    if (isHoldfastError(e) && e.code === 'validation_failed' && /framework/i.test(e.message)) throw frameworkUsage(body.framework!);
    throw e;
  }
  const deadline = Date.now() + 60 * 60_000;
  while (job.state === 'queued' || job.state === 'running') {
    if (Date.now() > deadline) throw new HoldfastError('upstream_failed', `export ${job.id} did not finish within an hour`);
    await new Promise((r) => setTimeout(r, 500));
    job = await callApi<ExportJobView>(remote, 'GET', `/api/v1/exports/${job.id}`);
  }
  if (job.state !== 'done') throw new CheckFailed(`export ${job.id} failed: ${job.error ?? 'unknown error'}`);
  let res: Response;
  try {
    const download = new URL(`/api/v1/exports/${job.id}/download`, remote.baseUrl);
    res = await fetchWithAuth(remote, 'GET', download, { signal: AbortSignal.timeout(60 * 60_000) });
  } catch (e) {
    throw new HoldfastError('upstream_failed', `cannot download the export from ${remote.baseUrl}: ${(e as Error).message}`);
  }
  if (!res.ok || !res.body) throw new HoldfastError('upstream_failed', `download of export ${job.id} answered ${res.status}`);
  const hash = createHash('sha256');
  const tmp = `${file}.${randomBytes(4).toString('hex')}.part`;
  try {
    await pipeline(
      Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      }),
      createWriteStream(tmp),
    );
    const sha256 = hash.digest('hex');
    if (sha256 !== job.sha256) throw new CheckFailed(`downloaded file has SHA-256 ${sha256}, the server recorded ${job.sha256}`);
    await rename(tmp, file);
    return { file, sha256, controls: job.controls ?? 0, findings: job.findings ?? 0 };
  } finally {
    await rm(tmp, { force: true }).catch(() => {});
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a framework mapping with evidence (csv, json, OSCAL, pdf)',
  usage: `holdfast export --framework ${BUILTIN_FRAMEWORK_IDS.join('|')} --format ${EXPORT_FORMATS.join('|')} --out FILE [--from ISO] [--to ISO] [--json]`,
  options: { framework: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  async run(ctx) {
    const framework = ctx.values.framework;
    const format = ctx.values.format;
    const out = ctx.values.out;
    if (typeof framework !== 'string' || framework.trim() === '') throw new UsageError(`--framework is required: one of ${BUILTIN_FRAMEWORK_IDS.join(', ')}`);
    if (typeof format !== 'string' || !isExportFormat(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
    if (typeof out !== 'string' || out.trim() === '') throw new UsageError('--out FILE is required');
    if (ctx.positionals.length > 0) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`);
    const from = parseInstant('--from', ctx.values.from as string | undefined);
    const to = parseInstant('--to', ctx.values.to as string | undefined);
    if (from && to && from > to) throw new UsageError('--from must not be after --to');
    const file = checkOut(out);
    let result: ExportOutput;
    if (ctx.remote) {
      result = await remoteExport(ctx.remote, { framework, format, ...(from ? { from: from.toISOString() } : {}), ...(to ? { to: to.toISOString() } : {}) }, file);
    } else {
      const actor = `cli:${(() => {
        try {
          return userInfo().username;
        } catch {
          return 'unknown';
        }
      })()}`;
      result = await ctx.withDb(async (db) => {
        try {
          const { exportToFile } = await import('../../services/frameworks/index.ts');
          const r = await exportToFile(db, { framework, format, from, to, actor, file });
          return { file: r.file, sha256: r.sha256, controls: r.controls, findings: r.findings };
        } catch (e) {
          if (isHoldfastError(e) && e.code === 'validation_failed' && /framework/i.test(e.message)) throw frameworkUsage(framework);
          if (isHoldfastError(e) && e.code === 'internal') throw new CheckFailed(e.message);
          throw e;
        }
      });
    }
    emit(ctx.io, { file: result.file, sha256: result.sha256, controls: result.controls, findings: result.findings }, () =>
      `wrote ${result.file} (${result.controls} controls, ${result.findings} findings)\nsha256 ${result.sha256}`,
    );
  },
};

export const exportCommands: Command[] = [exportCommand];
