// Ingest lines PostgreSQL could not store. Logs damaged by a crash often hold runs of NUL bytes,
// and a NUL (or a lone UTF-16 surrogate) that reaches a text or jsonb value fails the whole
// batch's transaction — a 500 that a shipper re-sends forever. The stream driver
// (parse-stream.ts) asks this module about every line and turns such a line into one rejected
// line, whatever the format.
import { storableText, unsafeTextMessage, type UnsafeTextReason } from '../domain/unsafe-text.ts';
import { err, type FormatName, type ParseResult } from './types.ts';

export { storableText };

const BACKSLASH = 0x5c;

function hexAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

const isHigh = (u: number) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number) => u >= 0xdc00 && u <= 0xdfff;

/**
 * Why a line cannot be stored, or null. A raw NUL, or an escape that decodes to one in the
 * line's own syntax: JSON's `\u0000` and the `\x00` that NGINX, Apache and HAProxy write for
 * control bytes; and a JSON `\uD800`–`\uDFFF` escape without its pair (a lone surrogate). An
 * escaped backslash (`\\u0000`) is text, not an escape, and passes. Lines arrive as valid UTF-8,
 * so a raw lone surrogate cannot occur. Cost on the hot path: one indexOf for NUL, one for a
 * backslash; only lines holding a backslash are walked.
 */
export function unsafeLineReason(text: string): UnsafeTextReason | null {
  if (text.indexOf('\0') !== -1) return 'nul';
  for (let i = text.indexOf('\\'); i !== -1; i = text.indexOf('\\', i)) {
    const next = text.charCodeAt(i + 1);
    if (next === 0x75 /* u */) {
      const u = hexAt(text, i + 2, 4);
      if (u === 0) return 'nul';
      if (isLow(u)) return 'lone_surrogate';
      if (isHigh(u)) {
        if (text.charCodeAt(i + 6) !== BACKSLASH || text.charCodeAt(i + 7) !== 0x75 || !isLow(hexAt(text, i + 8, 4))) return 'lone_surrogate';
        i += 12;
        continue;
      }
    } else if (next === 0x78 /* x */ && hexAt(text, i + 2, 2) === 0) return 'nul';
    // Skip the escaped character too, so `\\` never starts a second escape.
    i += 2;
  }
  return null;
}

/** The rejected-line result for a line unsafeLineReason() refused. */
export function unsafeLineResult(reason: UnsafeTextReason): ParseResult {
  return err('invalid_value', `line ${unsafeTextMessage(reason)}; nothing of it was stored`);
}

/**
 * Formats whose records can span lines (a pretty-printed JSON report, a quoted CSV field with a
 * newline). Dropping one line of such a record would change the record silently, so the driver
 * feeds these parsers a neutralised copy (neutralizeLine) and rejects the record the line was
 * part of instead.
 */
export const MULTI_LINE_FORMATS: ReadonlySet<FormatName> = new Set<FormatName>(['gitleaks', 'trufflehog', 'inventory-csv']);

/** The line with every raw NUL and offending escape replaced by U+FFFD (as itself or as `\ufffd`). */
export function neutralizeLine(text: string): string {
  const raw = text.replaceAll('\0', '\uFFFD');
  return raw.replace(/\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u0000|\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\\x00/g, (m) =>
    m === '\\\\' || m.length === 12 ? m : m.startsWith('\\x') ? '\\xef\\xbf\\xbd' : '\\ufffd',
  );
}
