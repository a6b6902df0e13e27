// Policy patterns are globs, not regular expressions: a security team writes `*:write`, and a
// pattern from Settings must never be able to hang the evaluator (no user-supplied RegExp).

const cache = new Map<string, RegExp>();

/** True when `value` matches the glob `pattern` as a whole, case-insensitively.
 *  `*` matches any run of characters; a backslash before a character makes it literal, so the
 *  pattern `\*` matches only the scope `*` ("all scopes"). */
export function globMatch(pattern: string, value: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    let body = '';
    for (let i = 0; i < pattern.length; i++) {
      const ch = pattern[i] ?? '';
      if (ch === '\\' && i + 1 < pattern.length) {
        body += escape(pattern[++i] ?? '');
      } else if (ch === '*') {
        body += '.*';
      } else {
        body += escape(ch);
      }
    }
    re = new RegExp(`^${body}$`, 'is');
    if (cache.size > 5000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(value);
}

function escape(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The first pattern that matches `value`, or null. */
export function firstMatch(patterns: readonly string[], value: string): string | null {
  for (const p of patterns) if (globMatch(p, value)) return p;
  return null;
}
