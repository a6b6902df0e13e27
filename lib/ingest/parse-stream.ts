// The one call the pipeline needs: bytes in, numbered parse results out, format given or
// detected from the first lines. Streaming: lines are parsed as they arrive.
import { HoldfastError } from '../errors.ts';
import { detectFormat } from './detect.ts';
import { readLineBatches, type ByteSource, type LineItem, type ReadLinesOptions } from './line-reader.ts';
import { PARSERS, finalizeResult } from './registry.ts';
import {
  createParseContext, err, isConfiguredFormat, isFormatName, type FormatName, type LineParser, type ParseContextOptions, type ParseResult,
} from './types.ts';
import { compileGatewayLogFormat, gatewayOfConfig } from './custom/compile.ts';
import { LogFormatError, type CompiledLogFormat } from './custom/compiled.ts';
import type { UnsafeTextReason } from '../domain/unsafe-text.ts';
import { MULTI_LINE_FORMATS, neutralizeLine, storableText, unsafeLineReason, unsafeLineResult } from './unsafe-lines.ts';

/** A parser's message may quote the line: keep it storable in the batch's jsonb error list. */
function storableError(r: ParseResult & { kind: 'error' }): ParseResult {
  const message = storableText(r.message);
  return message === r.message ? r : { ...r, message };
}

const storable = (r: ParseResult): ParseResult => (r.kind === 'error' ? storableError(r) : r);

export interface ParsedLine {
  /** 1-based physical line number; for records spanning lines, the line that completed them. */
  lineNo: number;
  result: ParseResult;
}

export interface ParseStreamOptions extends ReadLinesOptions, ParseContextOptions {
  /** Format name; omitted or 'auto' → detected from the first `detectLines` lines. */
  format?: FormatName | 'auto';
  detectLines?: number;
  /**
   * The gateway's configuration text, for `nginx`, `apache` and `haproxy` (their log format is read
   * from it). With format omitted or 'auto', the gateway is inferred from the configuration.
   */
  gatewayConfig?: string;
  /** Which format of that configuration: NGINX log_format name, Apache LogFormat nickname, HAProxy frontend. */
  logFormat?: string;
}

/** What was compiled from `gatewayConfig`, for the caller to show (name, warnings). */
export type CompiledLogFormatInfo = Pick<CompiledLogFormat, 'gateway' | 'name' | 'names' | 'fields' | 'labels' | 'warnings'>;

/**
 * The parser of a format read with the gateway's configuration. A missing configuration or one
 * without a usable log format is refused here, before any line is read, with a one-line reason.
 */
function configuredParser(format: FormatName, opts: ParseStreamOptions): { parser: LineParser; compiled: CompiledLogFormatInfo } | null {
  if (!isConfiguredFormat(format)) {
    if (opts.gatewayConfig !== undefined) {
      throw new HoldfastError('validation_failed', `a gateway configuration is read only for the formats nginx, apache and haproxy, not ${format}`);
    }
    return null;
  }
  if (opts.gatewayConfig === undefined || opts.gatewayConfig.trim() === '') {
    throw new HoldfastError('validation_failed', `format ${format} needs the gateway's configuration (--gateway-config FILE) to read its log format`);
  }
  try {
    const { parser, ...compiled } = compileGatewayLogFormat({ gateway: format, config: opts.gatewayConfig, logFormat: opts.logFormat, timeZone: opts.timeZone?.name });
    return { parser, compiled };
  } catch (e) {
    if (e instanceof LogFormatError) throw new HoldfastError('validation_failed', e.message, { reason: e.code });
    throw e;
  }
}

/** `auto` with a configuration: the gateway the configuration is for. */
function formatOfConfig(config: string): FormatName {
  const g = gatewayOfConfig(config);
  if (!g) throw new HoldfastError('validation_failed', 'could not tell which gateway the configuration is for; pass --format nginx, apache or haproxy');
  return g;
}

export interface OpenedParseStream {
  format: FormatName;
  /** For nginx/apache/haproxy: the log format read from the configuration. */
  compiled?: CompiledLogFormatInfo;
  /** One ParsedLine at a time. Use either this or `batches`, not both. */
  results: AsyncGenerator<ParsedLine>;
  /** The same results, one array per chunk of input (the hot path: one async step per chunk). */
  batches: AsyncGenerator<ParsedLine[]>;
}

/**
 * Opens a parse stream: resolves the format (reading ahead a few lines when detecting), then
 * yields one ParsedLine per input line (plus extra ones for lines holding several records).
 * Throws HoldfastError('validation_failed') only for an unknown format name, when the format
 * cannot be detected, or when nginx/apache/haproxy come without a configuration that declares a
 * usable log format (the message says what is missing, in one line); every other problem is a
 * per-line error result.
 */
export async function openParseStream(src: ByteSource, opts: ParseStreamOptions = {}): Promise<OpenedParseStream> {
  if (opts.format && opts.format !== 'auto' && !isFormatName(opts.format)) {
    throw new HoldfastError('validation_failed', `unknown format "${String(opts.format).slice(0, 40)}"`, { formats: Object.keys(PARSERS) });
  }
  let format: FormatName | null = opts.format && opts.format !== 'auto' ? opts.format : null;
  if (!format && opts.gatewayConfig !== undefined) format = formatOfConfig(opts.gatewayConfig);
  const configured = format ? configuredParser(format, opts) : null;
  const lineBatches = readLineBatches(src, opts);
  const head: LineItem[] = [];
  if (!format) {
    const want = opts.detectLines ?? 20;
    while (head.length < want) {
      const n = await lineBatches.next();
      if (n.done) break;
      head.push(...n.value);
    }
    format = detectFormat(head.slice(0, want).map((l) => ('text' in l ? l.text : '')));
    if (!format) {
      await lineBatches.return(undefined);
      throw new HoldfastError('validation_failed', 'could not detect the input format; pass --format', {
        formats: Object.keys(PARSERS),
      });
    }
  }
  const parser = configured?.parser ?? PARSERS[format];
  const ctx = createParseContext(opts);
  let last = 0;
  // A line PostgreSQL cannot store (NUL, lone surrogate) is one rejected line, in every format.
  // Records spanning lines are fed a neutralised copy and the record it belongs to is rejected
  // (unsafe-lines.ts); `poisoned` is that line's number until its record has come out.
  const multiLine = MULTI_LINE_FORMATS.has(format);
  let poisoned = 0;
  let poisonReason: UnsafeTextReason = 'nul';
  const reject = (lineNo: number, r: ParseResult): ParsedLine =>
    r.kind === 'skip' ? { lineNo, result: r } : { lineNo: poisoned, result: unsafeLineResult(poisonReason) };
  const parseBatch = (items: LineItem[]): ParsedLine[] => {
    const out: ParsedLine[] = [];
    for (const item of items) {
      last = item.lineNo;
      if ('error' in item) {
        out.push({ lineNo: item.lineNo, result: err(item.error, item.message) });
        continue;
      }
      let text = item.text;
      const unsafe = unsafeLineReason(text);
      if (unsafe) {
        if (!multiLine) {
          out.push({ lineNo: item.lineNo, result: unsafeLineResult(unsafe) });
          continue;
        }
        if (!poisoned) [poisoned, poisonReason] = [item.lineNo, unsafe];
        text = neutralizeLine(text);
      }
      ctx.lineBytes = text === item.text ? item.bytes : null;
      const first = parser.parseLine(text, ctx);
      ctx.lineBytes = null;
      if (!poisoned) {
        out.push({ lineNo: item.lineNo, result: storable(first) });
        if (ctx.pending.length) {
          for (const r of ctx.pending.splice(0)) out.push({ lineNo: item.lineNo, result: storable(finalizeResult(r)) });
        }
        continue;
      }
      const produced = [first, ...ctx.pending.splice(0).map(finalizeResult)];
      if (produced.some((r) => r.kind !== 'skip')) {
        for (const r of produced) out.push(reject(item.lineNo, r));
        poisoned = 0;
      } else for (const r of produced) out.push({ lineNo: item.lineNo, result: r });
    }
    return out;
  };
  async function* batches(): AsyncGenerator<ParsedLine[]> {
    if (head.length) yield parseBatch(head);
    for await (const items of lineBatches) yield parseBatch(items);
    const tail: ParsedLine[] = (parser.end?.(ctx) ?? []).map((r) => ({ lineNo: last, result: storable(r) }));
    if (poisoned) {
      // The poisoned record never completed (or ended unterminated): report the line itself.
      const first = tail.findIndex((t) => t.result.kind !== 'skip');
      if (first === -1) tail.push({ lineNo: poisoned, result: unsafeLineResult(poisonReason) });
      else tail[first] = reject(last, tail[first]!.result);
      poisoned = 0;
    }
    if (tail.length) yield tail;
  }
  const batched = batches();
  async function* results(): AsyncGenerator<ParsedLine> {
    for await (const b of batched) yield* b;
  }
  return { format, ...(configured ? { compiled: configured.compiled } : {}), results: results(), batches: batched };
}
