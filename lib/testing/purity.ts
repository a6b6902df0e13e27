// One check for every pure-core directory: each non-test module imports only what its layer may
// (ESLint enforces the same for frameworks and process.env; this also pins which sibling layers a
// directory may lean on, which a lint rule on package names cannot say).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return f.endsWith('.ts') && !f.endsWith('.test.ts') ? [p] : [];
  });
}

/** The import specifiers of a module's own code (template literals are text it writes, e.g. an njs module). */
export function importsOf(text: string): { code: string; specs: string[] } {
  const code = text.replace(/`(?:\\[\s\S]|[^`\\])*`/g, '``');
  return { code, specs: [...code.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!) };
}

/**
 * Declares the purity test of the directory holding `moduleUrl` (pass `import.meta.url`): every import
 * must match `allowed`, and none may read process.env or import Next.js, React or Prisma.
 */
export function describePurity(moduleUrl: string, title: string, allowed: RegExp): void {
  const here = fileURLToPath(new URL('.', moduleUrl));
  describe(`${title} purity`, () => {
    it.each(sources(here).map((p) => [p.slice(here.length)]))(`%s imports only ${allowed}`, (rel) => {
      const { code, specs } = importsOf(readFileSync(join(here, rel), 'utf8'));
      for (const spec of specs) expect(allowed.test(spec), spec).toBe(true);
      expect(code).not.toMatch(/process\.env/);
      expect(code).not.toMatch(/from '(next|react|@prisma)/);
    });
  });
}
