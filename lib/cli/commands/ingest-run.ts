// The work of `holdfast ingest` (ingest.ts), loaded when the command runs.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { readSetting } from '../../config.ts';
import { HoldfastError, type HoldfastErrorCode } from '../../errors.ts';
import { parseTrustedProxies } from '../../hops/index.ts';
import { FORMAT_NAMES, isFormatName } from '../../ingest/index.ts';
import { parseTimeZone, TIME_ZONE_MESSAGE } from '../../ingest/time-zone.ts';
import { ingestAndEvaluate, setSourceTrustedProxies, type IngestSummary } from '../../services/ingest/index.ts';
import { MAX_LOG_FORMAT_CONFIG_BYTES, resolveIngestLogFormat, SOURCE_NAME, type SourceLogFormatView } from '../../services/ingest/log-formats.ts';
import type { CommandContext } from '../command.ts';
import { INGEST_USAGE } from './ingest.ts';
import { byteSize } from '../../domain/byte-size.ts';
import { emit, UsageError } from '../io.ts';
import { callApi, fetchWithAuth, primeDpopNonce, type Remote } from '../remote.ts';


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
    write(`\r\x1b[K${bar}${byteSize(bytes)}${total ? ` of ${byteSize(total)}` : ''}, ${lines} lines`);
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

/** --gateway-config FILE, read whole (at most 2 MiB: a configuration, not a log). */
function readGatewayConfig(file: string): string {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`--gateway-config: ${file} is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--gateway-config: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (size > MAX_LOG_FORMAT_CONFIG_BYTES) throw new UsageError(`--gateway-config: ${file} is ${size} bytes; a configuration is at most ${MAX_LOG_FORMAT_CONFIG_BYTES} (2 MiB)`);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--gateway-config: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * With --server: the configuration is saved on the source first (the server reads a gateway format
 * with its source's configuration). A refusal (403 for a key that is not an admin's, 422 for an
 * unusable configuration) is bad usage: exit 2 with the server's reason.
 */
async function saveOnServer(remote: Remote, source: string, format: string | null, config: string, logFormat: string | null): Promise<SourceLogFormatView> {
  try {
    return await callApi<SourceLogFormatView>(remote, 'PUT', `/api/v1/sources/${encodeURIComponent(source)}/log-format`, { format: format ?? 'auto', config, logFormat });
  } catch (e) {
    if (e instanceof HoldfastError && e.code === 'forbidden') {
      throw new UsageError(`saving the log format on source ${source} needs an admin key: ${e.message}`);
    }
    throw e;
  }
}

/** --trusted-proxies: `none` (any peer) or CIDRs / addresses separated by commas → the list to save; a bad one is bad usage. */
function trustedProxiesArg(raw: unknown, source: string | null): string[] | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string' || !raw.trim()) throw new UsageError('--trusted-proxies needs CIDRs separated by commas (e.g. 10.0.0.0/8,2001:db8::/32), or none');
  if (!source) throw new UsageError('--trusted-proxies needs --source S (the trusted proxies are kept with the source)');
  if (raw.trim().toLowerCase() === 'none') return [];
  const r = parseTrustedProxies(raw);
  if ('error' in r) throw new UsageError(`--trusted-proxies: ${r.error}`);
  return r.cidrs.map((c) => c.text);
}

/** With --server: the trusted proxies are saved on the source first (an admin key). */
async function saveTrustedProxiesOnServer(remote: Remote, source: string, trustedProxies: string[]): Promise<string[]> {
  try {
    const r = await callApi<{ warnings?: string[] }>(remote, 'PUT', `/api/v1/sources/${encodeURIComponent(source)}/trusted-proxies`, { trustedProxies });
    return r.warnings ?? [];
  } catch (e) {
    if (e instanceof HoldfastError && e.code === 'forbidden') throw new UsageError(`saving the trusted proxies of source ${source} needs an admin key: ${e.message}`);
    if (e instanceof HoldfastError && e.code === 'bad_request') throw new UsageError(e.message);
    throw e;
  }
}

interface ServerIngest {
  format: string | null;
  logFormat: string | null;
  source: string | null;
  timeZone: string | null;
}

async function sendToServer(remote: Remote, body: AsyncIterable<Buffer>, q: ServerIngest): Promise<IngestSummary> {
  const url = new URL('/api/v1/ingest', remote.baseUrl);
  if (q.format) url.searchParams.set('format', q.format);
  if (q.logFormat) url.searchParams.set('logFormat', q.logFormat);
  if (q.source) url.searchParams.set('source', q.source);
  if (q.timeZone) url.searchParams.set('timeZone', q.timeZone);
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

/** --server: save the configuration on the source first (when one is given), then stream the log. */
async function ingestRemote(remote: Remote, body: AsyncIterable<Buffer>, q: ServerIngest, gatewayConfig: string | undefined): Promise<IngestSummary> {
  if (gatewayConfig === undefined || !q.source) return sendToServer(remote, body, q);
  const saved = await saveOnServer(remote, q.source, q.format, gatewayConfig, q.logFormat);
  return sendToServer(remote, body, { ...q, format: q.format ?? saved.gateway });
}

/** Runs `holdfast ingest` (usage: ingest.ts). */
export async function runIngest(ctx: CommandContext): Promise<void> {
  if (ctx.positionals.length !== 1) throw new UsageError(`give one FILE or - for stdin (usage: ${INGEST_USAGE})`);
  const file = ctx.positionals[0]!;
  const rawFormat = ctx.values.format;
  if (rawFormat !== undefined && (typeof rawFormat !== 'string' || (rawFormat !== 'auto' && !isFormatName(rawFormat)))) {
    throw new UsageError(`unknown format "${String(rawFormat).slice(0, 40)}"; one of ${FORMAT_NAMES.join(', ')} (or auto)`);
  }
  const format = rawFormat && rawFormat !== 'auto' ? rawFormat : null;
  const sourceRaw = ctx.values.source;
  const source = typeof sourceRaw === 'string' && sourceRaw.trim() ? sourceRaw.trim() : null;
  if (source && !SOURCE_NAME.test(source)) {
    throw new UsageError('--source: 1 to 100 letters, digits, dot, dash, underscore, colon or @');
  }
  const configFile = ctx.values['gateway-config'];
  const logFormatRaw = ctx.values['log-format'];
  if (configFile !== undefined && (typeof configFile !== 'string' || !configFile)) throw new UsageError('--gateway-config needs a FILE');
  if (logFormatRaw !== undefined && (typeof logFormatRaw !== 'string' || !logFormatRaw.trim() || logFormatRaw.length > 200)) {
    throw new UsageError('--log-format needs a NAME (1 to 200 characters)');
  }
  const logFormat = typeof logFormatRaw === 'string' ? logFormatRaw.trim() : null;
  if (configFile !== undefined && ctx.remote && !source) {
    throw new UsageError('with --server, --gateway-config needs --source S (the server keeps the format with the source)');
  }
  const timeZoneRaw = ctx.values['time-zone'];
  if (timeZoneRaw !== undefined && (typeof timeZoneRaw !== 'string' || !parseTimeZone(timeZoneRaw))) {
    throw new UsageError(`--time-zone ${TIME_ZONE_MESSAGE}`);
  }
  const timeZone = typeof timeZoneRaw === 'string' ? timeZoneRaw.trim() : null;
  const gatewayConfig = typeof configFile === 'string' ? readGatewayConfig(configFile) : undefined;
  const trustedProxies = trustedProxiesArg(ctx.values['trusted-proxies'], source);

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
  // A trusted network broad enough to hold clients (lib/hops broadTrustedProxyWarnings).
  let proxyWarnings: string[] = [];
  try {
    if (trustedProxies && source && ctx.remote) proxyWarnings = await saveTrustedProxiesOnServer(ctx.remote, source, trustedProxies);
    summary = ctx.remote
      ? await ingestRemote(ctx.remote, body, { format, logFormat, source, timeZone }, gatewayConfig)
      : await ctx.withDb(async (db) => {
          if (trustedProxies && source) proxyWarnings = (await setSourceTrustedProxies(db, { source, trustedProxies, actor: 'cli' })).warnings;
          // A configuration given here wins over the one saved on the source (log-formats.ts).
          const chosen = await resolveIngestLogFormat(db, { format, sourceName: source, gatewayConfig, logFormat });
          if (chosen.logFormat && chosen.gatewayConfig === undefined) {
            throw new UsageError(`--log-format picks a format of the gateway configuration: pass --gateway-config FILE${source ? ` (source ${source} keeps none)` : ''}`);
          }
          return ingestAndEvaluate(db, body, {
            format: chosen.format,
            gatewayConfig: chosen.gatewayConfig,
            logFormat: chosen.logFormat,
            // --time-zone wins over the zone saved with the source's configuration.
            timeZone: timeZone ?? chosen.timeZone ?? null,
            sourceName: source,
            actor: 'cli',
            // Rows per set-based statement (tests use small chunks to stop mid-batch).
            chunkSize: readSetting('HOLDFAST_INGEST_CHUNK'),
            onProgress: (p) => bar.lines(p.linesRead),
          });
        });
  } finally {
    bar.done();
  }
  const out = {
    batchId: summary.batchId,
    linesRead: summary.linesRead,
    accepted: summary.accepted,
    rejected: summary.rejected,
    duplicates: summary.duplicates,
    // Added (CONTRACT: fields may be added): lines that hold no record, and why; each error's message.
    skipped: summary.skipped,
    skippedReasons: summary.skippedReasons,
    errors: summary.errors.map((e) => ({ line: e.line, reason: e.reason, ...(e.message ? { message: e.message } : {}) })),
    // Added (CONTRACT: fields may be added): which log format of the configuration was read.
    ...(summary.logFormat ? { logFormat: { gateway: summary.logFormat.gateway, name: summary.logFormat.name } } : {}),
  };
  // What the format cannot tell (no certificate fingerprint, …): on stderr, as messages go.
  const warnings = [...proxyWarnings, ...(summary.logFormat?.warnings ?? []), ...(summary.warnings ?? [])];
  if (ctx.io.json) for (const w of warnings) ctx.io.err(`warning: ${w}\n`);
  emit(ctx.io, out, () =>
    [
      `batch ${out.batchId} (${summary.format ?? format ?? 'auto'}${summary.logFormat ? `, ${summary.logFormat.gateway} format ${summary.logFormat.name}` : ''}) committed`,
      ...warnings.map((w) => `warning: ${w}`),
      `lines read  ${out.linesRead}`,
      `accepted    ${out.accepted}`,
      `rejected    ${out.rejected}`,
      `duplicates  ${out.duplicates}`,
      `skipped     ${out.skipped}${out.skipped ? ` (${Object.entries(out.skippedReasons ?? {}).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
      ...out.errors.slice(0, 20).map((e) => `  line ${e.line}: ${e.reason}${e.message ? ` — ${e.message}` : ''}`),
      ...(out.errors.length > 20 ? [`  … ${out.errors.length - 20} more errors listed in the batch record`] : []),
    ].join('\n'),
  );
}
