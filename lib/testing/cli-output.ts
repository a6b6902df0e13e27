// Test-only: what the CLI contract promises about output, checked the same way by every CLI test.
import { expect } from 'vitest';
import type { RunResult } from './processes.ts';

/** Exit `code`, nothing on stdout, and one line on stderr matching `pattern` (npm's own warnings aside). */
export function expectOneLine(r: RunResult, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n').filter((l) => !/^npm warn/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/** stdout as JSON lines (`--json` lists). */
export const jsonLines = (r: RunResult) => r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
