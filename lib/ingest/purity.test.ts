// lib/ingest is part of the pure core: no Next.js, React, Prisma or process.env (tests aside),
// and no dependency on lib/binding (built concurrently; hashes are computed here).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return f.endsWith('.ts') && !f.endsWith('.test.ts') ? [p] : [];
  });
}

describe('lib/ingest purity', () => {
  it.each(sources(here).map((p) => [p.slice(here.length)]))('%s imports only node: builtins and relative pure modules', (rel) => {
    const text = readFileSync(join(here, rel), 'utf8');
    // Template literals are text this module writes (e.g. an njs module for NGINX), not its own imports.
    const code = text.replace(/`(?:\\[\s\S]|[^`\\])*`/g, '``');
    const imports = [...code.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!);
    for (const spec of imports) {
      expect(spec.startsWith('node:') || spec.startsWith('./') || spec.startsWith('../'), spec).toBe(true);
      expect(spec, 'no lib/binding').not.toMatch(/binding\//);
      expect(spec, 'no db').not.toMatch(/\/db\//);
    }
    expect(code).not.toMatch(/process\.env/);
    expect(code).not.toMatch(/from '(next|react|@prisma)/);
  });
});
