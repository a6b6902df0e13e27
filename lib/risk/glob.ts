// Policy patterns are globs, not regular expressions: a security team writes `*:write`, and a
// pattern from Settings must never be able to hang the evaluator (no user-supplied RegExp).

/** Regular-expression body for one glob: `*` = any run of characters, `\\x` = literal x. */
function globBody(pattern: string): string {
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
  return body;
}

function escape(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when `value` matches the glob `pattern` as a whole, case-insensitively.
 *  `*` matches any run of characters; a backslash before a character makes it literal, so the
 *  pattern `\*` matches only the scope `*` ("all scopes"). */
export function globMatch(pattern: string, value: string): boolean {
  return new RegExp(`^${globBody(pattern)}$`, 'is').test(value);
}

/**
 * One matcher for a list of globs: a single anchored alternation, memoised per value. Scopes
 * and audiences repeat across a million tokens, so each distinct string is matched once.
 */
export function compileGlobs(patterns: readonly string[]): (value: string) => boolean {
  if (patterns.length === 0) return () => false;
  const re = new RegExp(`^(?:${patterns.map(globBody).join('|')})$`, 'is');
  const memo = new Map<string, boolean>();
  return (value) => {
    let hit = memo.get(value);
    if (hit === undefined) {
      hit = re.test(value);
      if (memo.size >= 100_000) memo.clear();
      memo.set(value, hit);
    }
    return hit;
  };
}
