#!/usr/bin/env node
// The `holdfast` CLI. TypeScript sources run through tsx's loader, so `npx holdfast` works
// right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
const code = await main(process.argv.slice(2));
// Flush stdout before exiting: PGlite and pg keep handles that would otherwise hold the loop.
process.stdout.write('', () => process.exit(code));
