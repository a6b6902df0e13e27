// Whether the CLI bundle (scripts/build-cli.mjs) is current: built, and none of its source files
// changed since (a file saved after the build, or gone, sends the CLI back to the sources).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** dist/cli/main.mjs under `root` when it is built from the sources as they are now, else null. */
export function currentBundle(root) {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(path.join(root, 'dist', 'cli', 'inputs.json'), 'utf8'));
    if (typeof builtAt !== 'number' || !Array.isArray(inputs) || inputs.length === 0) return null;
    for (const f of inputs) if (statSync(path.join(root, f)).mtimeMs > builtAt) return null;
    const bundle = path.join(root, 'dist', 'cli', 'main.mjs');
    statSync(bundle);
    return bundle;
  } catch {
    return null; // not built, or a source file is gone
  }
}
