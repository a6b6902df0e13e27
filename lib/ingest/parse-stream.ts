// The one call the pipeline needs: bytes in, numbered parse results out, format given or
// detected from the first lines. Streaming: lines are parsed as they arrive.
import { HoldfastError } from '../errors.ts';
import { detectFormat } from './detect.ts';
import { readLines, type ByteSource, type LineItem, type ReadLinesOptions } from './line-reader.ts';
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
  results: AsyncGenerator<ParsedLine>;
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
  const lines = readLines(src, opts);
  const head: LineItem[] = [];
  let format: FormatName | null = opts.format && opts.format !== 'auto' ? opts.format : null;
  if (!format) {
    const want = opts.detectLines ?? 20;
    while (head.length < want) {
      const n = await lines.next();
      if (n.done) break;
      head.push(n.value);
    }
    format = detectFormat(head.map((l) => ('text' in l ? l.text : '')));
    if (!format) {
      await lines.return(undefined);
      throw new HoldfastError('validation_failed', 'could not detect the input format; pass --format', {
        formats: Object.keys(PARSERS),
      });
    }
  }
  const parser = PARSERS[format];
  const ctx = createParseContext(opts);
  async function* run(): AsyncGenerator<ParsedLine> {
    async function* all(): AsyncGenerator<LineItem> {
      yield* head;
      yield* lines;
    }
    let last = 0;
    for await (const item of all()) {
      last = item.lineNo;
      if ('error' in item) {
        yield { lineNo: item.lineNo, result: err(item.error, item.message) };
        continue;
      }
      yield { lineNo: item.lineNo, result: parser.parseLine(item.text, ctx) };
      if (ctx.pending.length) {
        const more = ctx.pending.splice(0);
        for (const r of more) yield { lineNo: item.lineNo, result: finalizeResult(r) };
      }
    }
    for (const r of parser.end?.(ctx) ?? []) yield { lineNo: last, result: r };
  }
  return { format, results: run() };
}
