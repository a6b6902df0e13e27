// Text PostgreSQL cannot store. A NUL (U+0000) is refused by `text` ("invalid byte sequence for
// encoding UTF8: 0x00") and by `jsonb` as the escape \u0000; a lone UTF-16 surrogate becomes
// U+FFFD on the way to `text` but is refused by `jsonb` ("unsupported Unicode escape sequence").
// Input carrying either is rejected where it enters (HTTP wrapper, ingest lines), so it never
// reaches a query and turns into a 500.

/** Why a string cannot be stored as is, or null when it can. */
export type UnsafeTextReason = 'nul' | 'lone_surrogate';

// String.prototype.isWellFormed is in Node 20 (V8 11.3); the ES2023 lib typings predate it.
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/** 'nul' for a U+0000, 'lone_surrogate' for a UTF-16 surrogate without its pair, else null. */
export function unsafeTextReason(s: string): UnsafeTextReason | null {
  if (s.indexOf('\0') !== -1) return 'nul';
  if (!(s as WellFormedString).isWellFormed()) return 'lone_surrogate';
  return null;
}

/** Words for a reason, naming the code point, for messages and problem bodies. */
export function unsafeTextMessage(reason: UnsafeTextReason): string {
  return reason === 'nul' ? 'contains a NUL character (U+0000)' : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}

/** The string with every NUL and lone surrogate replaced by U+FFFD: for messages that quote input. */
export function storableText(s: string): string {
  if (unsafeTextReason(s) === null) return s;
  return (s.replaceAll('\0', '\uFFFD') as WellFormedString).toWellFormed();
}

/**
 * The first string (member name or value) in a JSON-like value that cannot be stored, with its
 * path ('' for the root, 'a.0.b' below it); null when every string is storable. Depth is bounded
 * by the caller's parser (JSON.parse): this walk is iterative, so deep nesting cannot overflow.
 */
export function findUnsafeText(value: unknown): { path: string; reason: UnsafeTextReason } | null {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: '' }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const reason = unsafeTextReason(v);
      if (reason) return { path, reason };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: path ? `${path}.${i}` : String(i) });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        const reason = unsafeTextReason(k);
        if (reason) return { path: storableText(at), reason };
        stack.push({ v: x, path: at });
      }
    }
  }
  return null;
}
