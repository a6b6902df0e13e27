// The one call the pipeline needs: bytes in, numbered parse results out, format given or
// detected from the first lines. Streaming: lines are parsed as they arrive.
import { HoldfastError } from '../errors.ts';
import { detectFormat } from './detect.ts';
import { readLineBatches, type ByteSource, type LineItem, type ReadLinesOptions } from './line-reader.ts';
import { PARSERS, finalizeResult } from './registry.ts';
import { createParseContext, err, isFormatName, type FormatName, type ParseContextOptions, type ParseResult } from './types.ts';

export interface ParsedLine {
  /** 1-based physical line number; for records spanning lines, the line that completed them. */
  lineNo: number;
  result: ParseResult;
}

export interface ParseStreamOptions extends ReadLinesOptions, ParseContextOptions {
  /** Format name; omitted or 'auto' → detected from the first `detectLines` lines. */
  format?: FormatName | 'auto';
  detectLines?: number;
}

export interface OpenedParseStream {
  format: FormatName;
  /** One ParsedLine at a time. Use either this or `batches`, not both. */
  results: AsyncGenerator<ParsedLine>;
  /** The same results, one array per chunk of input (the hot path: one async step per chunk). */
  batches: AsyncGenerator<ParsedLine[]>;
}

/**
 * Opens a parse stream: resolves the format (reading ahead a few lines when detecting), then
 * yields one ParsedLine per input line (plus extra ones for lines holding several records).
 * Throws HoldfastError('validation_failed') only for an unknown format name or when the format
 * cannot be detected; every other problem is a per-line error result.
 */
export async function openParseStream(src: ByteSource, opts: ParseStreamOptions = {}): Promise<OpenedParseStream> {
  if (opts.format && opts.format !== 'auto' && !isFormatName(opts.format)) {
    throw new HoldfastError('validation_failed', `unknown format "${String(opts.format).slice(0, 40)}"`, { formats: Object.keys(PARSERS) });
  }
  const lineBatches = readLineBatches(src, opts);
  const head: LineItem[] = [];
  let format: FormatName | null = opts.format && opts.format !== 'auto' ? opts.format : null;
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
  const parser = PARSERS[format];
  const ctx = createParseContext(opts);
  let last = 0;
  const parseBatch = (items: LineItem[]): ParsedLine[] => {
    const out: ParsedLine[] = [];
    for (const item of items) {
      last = item.lineNo;
      if ('error' in item) {
        out.push({ lineNo: item.lineNo, result: err(item.error, item.message) });
        continue;
      }
      out.push({ lineNo: item.lineNo, result: parser.parseLine(item.text, ctx) });
      if (ctx.pending.length) {
        const more = ctx.pending.splice(0);
        for (const r of more) out.push({ lineNo: item.lineNo, result: finalizeResult(r) });
      }
    }
    return out;
  };
  async function* batches(): AsyncGenerator<ParsedLine[]> {
    if (head.length) yield parseBatch(head);
    for await (const items of lineBatches) yield parseBatch(items);
    const tail = (parser.end?.(ctx) ?? []).map((r) => ({ lineNo: last, result: r }));
    if (tail.length) yield tail;
  }
  const batched = batches();
  async function* results(): AsyncGenerator<ParsedLine> {
    for await (const b of batched) yield* b;
  }
  return { format, results: results(), batches: batched };
}
