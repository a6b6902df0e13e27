// Policy patterns are globs, not regular expressions: a security team writes `*:write`, and a
// pattern from Settings must never be able to hang the evaluator (no user-supplied RegExp).

const cache = new Map<string, RegExp>();

/** True when `value` matches the glob `pattern` as a whole, case-insensitively (`*` = any run). */
export function globMatch(pattern: string, value: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 'is');
    if (cache.size > 5000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(value);
}

/** The first pattern that matches `value`, or null. */
export function firstMatch(patterns: readonly string[], value: string): string | null {
  for (const p of patterns) if (globMatch(p, value)) return p;
  return null;
}
