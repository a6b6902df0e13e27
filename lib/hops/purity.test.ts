// lib/hops is pure like lib/binding: it may use lib/binding and lib/domain, and nothing from
// Next.js, React, Prisma, the database or the environment.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const sources = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('lib/hops purity', () => {
  it.each(sources.map((f) => [f]))('%s imports only node: builtins, lib/hops, lib/binding and lib/domain', (f) => {
    const text = readFileSync(`${here}${f}`, 'utf8');
    for (const [, spec] of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)) {
      expect(/^(node:|\.\/|\.\.\/binding\/|\.\.\/domain\/)/.test(spec!), spec).toBe(true);
    }
    expect(text).not.toMatch(/process\.env/);
  });
});
