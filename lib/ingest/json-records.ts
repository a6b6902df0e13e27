// Splits a stream of lines into top-level JSON objects whether the input is JSON lines, a
// pretty-printed JSON array (gitleaks' report) or a one-line array. One object is held at a
// time, capped at maxRecordBytes, so the whole report is never in memory.
import { err, type ParseResult } from './types.ts';

export interface JsonRecordState {
  depth: number;
  inString: boolean;
  escape: boolean;
  buf: string[];
  bufLen: number;
  overflow: boolean;
}

export function newJsonRecordState(): JsonRecordState {
  return { depth: 0, inString: false, escape: false, buf: [], bufLen: 0, overflow: false };
}

export type JsonRecordItem = { value: unknown } | { error: ParseResult };

/** Feeds one line; returns the objects it completed and any errors, in order. */
export function feedJsonLine(st: JsonRecordState, line: string, max: number): JsonRecordItem[] {
  // Fast path: JSON lines.
  if (st.depth === 0) {
    const t = line.trim();
    if (t.startsWith('{') && t.endsWith('}')) {
      try {
        return [{ value: JSON.parse(t) as unknown }];
      } catch {
        // fall through to the scanner (may be several objects on one line)
      }
    }
  }
  const out: JsonRecordItem[] = [];
  let start = st.depth > 0 ? 0 : -1;
  let garbage = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (st.depth === 0) {
      if (c === 0x7b /* { */) {
        st.depth = 1;
        start = i;
      } else if (c !== 0x5b && c !== 0x5d && c !== 0x2c && c !== 0x20 && c !== 0x09 && c !== 0x0d) garbage = true;
      continue;
    }
    if (st.inString) {
      if (st.escape) st.escape = false;
      else if (c === 0x5c) st.escape = true;
      else if (c === 0x22) st.inString = false;
      continue;
    }
    if (c === 0x22) st.inString = true;
    else if (c === 0x7b || c === 0x5b) st.depth++;
    else if (c === 0x7d || c === 0x5d) {
      st.depth--;
      if (st.depth === 0) {
        const piece = line.slice(start, i + 1);
        start = -1;
        const text = st.bufLen ? st.buf.join('\n') + '\n' + piece : piece;
        const overflow = st.overflow || text.length > max;
        st.buf = [];
        st.bufLen = 0;
        st.overflow = false;
        if (overflow) out.push({ error: err('record_too_large', `JSON record larger than ${max} bytes`) });
        else {
          try {
            out.push({ value: JSON.parse(text) as unknown });
          } catch (e) {
            out.push({ error: err('invalid_json', `not valid JSON: ${(e as Error).message.slice(0, 120)}`) });
          }
        }
      }
    }
  }
  if (st.depth > 0 && start >= 0) {
    const piece = line.slice(start);
    if (st.overflow || st.bufLen + piece.length > max) {
      st.overflow = true;
      st.buf = [];
      st.bufLen = 0;
    } else {
      st.buf.push(piece);
      st.bufLen += piece.length + 1;
    }
  }
  if (garbage) out.push({ error: err('invalid_json', 'text outside a JSON object') });
  return out;
}

/** End of input inside an object. */
export function endJsonRecords(st: JsonRecordState): ParseResult[] {
  if (st.depth === 0) return [];
  st.depth = 0;
  st.buf = [];
  st.bufLen = 0;
  st.inString = false;
  return [err('unterminated_record', 'input ends inside a JSON object')];
}
