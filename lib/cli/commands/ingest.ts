// `holdfast ingest FILE|- --format F [--source S] [--json]` (CONTRACT.md): one file or stdin in,
// one batch out. Embedded database directly, or with --server the bytes are streamed to
// POST /api/v1/ingest (never read into memory whole). A progress bar on stderr when stderr is
// a terminal; the summary at the end. Exit 0 when the batch committed, even with rejected
// lines; 2 for bad usage, an unknown format or an unreadable file.
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { readSetting } from '../../config.ts';
import { HoldfastError, type HoldfastErrorCode } from '../../errors.ts';
import { FORMAT_NAMES, isFormatName } from '../../ingest/index.ts';
import { ingestAndEvaluate, type IngestSummary } from '../../services/ingest/index.ts';
import type { Command } from '../command.ts';
import { emit, UsageError } from '../io.ts';
import { fetchWithAuth, primeDpopNonce, type Remote } from '../remote.ts';

function human(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/**
 * Progress on stderr, redrawn at most every 150 ms on a terminal; with --progress and no
 * terminal, one plain `progress: …` line per update (for CI logs); otherwise nothing.
 */
function progressBar(mode: 'tty' | 'lines' | 'off', total: number | null, write: (s: string) => void) {
  const enabled = mode !== 'off';
  let bytes = 0;
  let lines = 0;
  let last = 0;
  const draw = (force = false) => {
    if (!enabled) return;
    const t = Date.now();
    if (!force && t - last < 150) return;
    last = t;
    const width = 30;
    const frac = total ? Math.min(1, bytes / total) : 0;
    if (mode === 'lines') {
      write(`progress: ${lines} lines, ${bytes} bytes${total ? ` of ${total}` : ''}\n`);
      return;
    }
    const bar = total ? `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${(frac * 100).toFixed(0).padStart(3)}% ` : '';
    write(`\r\x1b[K${bar}${human(bytes)}${total ? ` of ${human(total)}` : ''}, ${lines} lines`);
  };
  return {
    bytes(n: number) {
      bytes += n;
      draw();
    },
    lines(n: number) {
      lines = n;
      draw(mode === 'lines');
    },
    done() {
      if (mode === 'tty') write('\r\x1b[K');
    },
  };
}

async function* counted(src: AsyncIterable<Buffer | string>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const c of src) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    onBytes(b.length);
    yield b;
  }
}

async function sendToServer(remote: Remote, body: AsyncIterable<Buffer>, format: string | null, source: string | null): Promise<IngestSummary> {
  const url = new URL('/api/v1/ingest', remote.baseUrl);
  if (format) url.searchParams.set('format', format);
  if (source) url.searchParams.set('source', source);
  // Like the direct path: the command returns once findings include the batch.
  url.searchParams.set('findings', 'wait');
  let res: Response;
  try {
    // The body streams and cannot be sent twice: a DPoP-bound key learns the nonce first.
    await primeDpopNonce(remote);
    res = await fetchWithAuth(
      remote,
      'POST',
      url,
      {
        headers: { 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(Readable.from(body)) as ReadableStream<Uint8Array>,
        duplex: 'half',
      } as Parameters<typeof fetchWithAuth>[3],
      false,
    );
  } catch (e) {
    const cause = (e as { cause?: Error }).cause;
    throw new HoldfastError('upstream_failed', `cannot reach ${remote.baseUrl}: ${cause?.message ?? (e as Error).message}`);
  }
  const text = await res.text();
  let json: (IngestSummary & { code?: string; detail?: string; title?: string }) | null = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new HoldfastError('upstream_failed', `${remote.baseUrl} answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const code = (json?.code ?? (res.status >= 500 ? 'upstream_failed' : 'bad_request')) as HoldfastErrorCode;
    throw new HoldfastError(code, `server answered ${res.status}: ${json?.detail ?? json?.title ?? 'error'}`);
  }
  return json as IngestSummary;
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'ingest a gateway log, token inventory or scanner report as one batch',
  usage: `holdfast ingest FILE|- --format ${FORMAT_NAMES.join('|')}|auto [--source S] [--progress] [--json]`,
  options: { format: { type: 'string' }, source: { type: 'string' }, progress: { type: 'boolean' } },
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError(`give one FILE or - for stdin (usage: ${ingestCommand.usage})`);
    const file = ctx.positionals[0]!;
    const rawFormat = ctx.values.format;
    if (rawFormat !== undefined && (typeof rawFormat !== 'string' || (rawFormat !== 'auto' && !isFormatName(rawFormat)))) {
      throw new UsageError(`unknown format "${String(rawFormat).slice(0, 40)}"; one of ${FORMAT_NAMES.join(', ')} (or auto)`);
    }
    const format = rawFormat && rawFormat !== 'auto' ? rawFormat : null;
    const sourceRaw = ctx.values.source;
    const source = typeof sourceRaw === 'string' && sourceRaw.trim() ? sourceRaw.trim() : null;
    if (source && !/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/.test(source)) {
      throw new UsageError('--source: 1 to 100 letters, digits, dot, dash, underscore, colon or @');
    }

    let total: number | null = null;
    let input: AsyncIterable<Buffer>;
    if (file === '-') {
      input = process.stdin as AsyncIterable<Buffer>;
    } else {
      try {
        const st = statSync(file);
        if (!st.isFile()) throw new UsageError(`${file} is not a file`);
        total = st.size;
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const stream = createReadStream(file, { highWaterMark: 1 << 20 });
      // Open errors (permissions) surface before anything is written.
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', (e) => reject(new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
      });
      input = stream as AsyncIterable<Buffer>;
    }

    const mode = process.stderr.isTTY ? 'tty' : ctx.values.progress ? 'lines' : 'off';
    const bar = progressBar(mode, total, (s) => ctx.io.err(s));
    const body = counted(input, (n) => bar.bytes(n));
    let summary: IngestSummary;
    try {
      summary = ctx.remote
        ? await sendToServer(ctx.remote, body, format, source)
        : await ctx.withDb((db) =>
            ingestAndEvaluate(db, body, {
              format,
              sourceName: source,
              actor: 'cli',
              // Rows per set-based statement (tests use small chunks to stop mid-batch).
              chunkSize: readSetting('HOLDFAST_INGEST_CHUNK'),
              onProgress: (p) => bar.lines(p.linesRead),
            }),
          );
    } finally {
      bar.done();
    }
    const out = {
      batchId: summary.batchId,
      linesRead: summary.linesRead,
      accepted: summary.accepted,
      rejected: summary.rejected,
      duplicates: summary.duplicates,
      errors: summary.errors.map((e) => ({ line: e.line, reason: e.reason })),
    };
    emit(ctx.io, out, () =>
      [
        `batch ${out.batchId} (${summary.format ?? format ?? 'auto'}) committed`,
        `lines read  ${out.linesRead}`,
        `accepted    ${out.accepted}`,
        `rejected    ${out.rejected}`,
        `duplicates  ${out.duplicates}`,
        ...out.errors.slice(0, 20).map((e) => `  line ${e.line}: ${e.reason}`),
        ...(out.errors.length > 20 ? [`  … ${out.errors.length - 20} more errors listed in the batch record`] : []),
      ].join('\n'),
    );
  },
};

export const ingestCommands: Command[] = [ingestCommand];
