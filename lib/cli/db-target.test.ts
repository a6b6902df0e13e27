// Which database a CLI command opens: small shared buffers for short-lived commands, PGlite's
// default for the bulk writers (SHORT_LIVED_SHARED_BUFFERS in lib/db/target.ts has the figures);
// and the V8 tiering budget those short-lived starts set for themselves.
import { describe, expect, it } from 'vitest';
import { SHORT_LIVED_SHARED_BUFFERS, SHORT_LIVED_WASM_TIERING_BUDGET, shortLivedV8Flags } from '../db/target.ts';
import { COMMANDS, dbTargetFor } from './main.ts';

const embedded = { databaseUrl: undefined, dataDir: '/tmp/holdfast-data' };

function command(name: string) {
  const c = COMMANDS.find((x) => x.name === name);
  if (!c) throw new Error(`no command ${name}`);
  return c;
}

describe('dbTargetFor', () => {
  it.each(['ingest', 'seed'])('%s opens the embedded database with PGlite\'s default shared buffers', (name) => {
    expect(dbTargetFor(command(name), embedded)).toEqual({ kind: 'pglite', dataDir: '/tmp/holdfast-data' });
  });

  it.each(['summary', 'tokens', 'findings', 'events', 'trust list', 'export', 'audit verify', 'migrate', 'revoke'])('%s opens it with small shared buffers', (name) => {
    expect(dbTargetFor(command(name), embedded)).toEqual({ kind: 'pglite', dataDir: '/tmp/holdfast-data', sharedBuffers: SHORT_LIVED_SHARED_BUFFERS });
  });

  it('leaves a PostgreSQL server as it is, whatever the command', () => {
    const cfg = { databaseUrl: 'postgres://127.0.0.1:5432/x', dataDir: '/tmp/holdfast-data' };
    expect(dbTargetFor(command('summary'), cfg)).toEqual({ kind: 'postgres', url: 'postgres://127.0.0.1:5432/x' });
    expect(dbTargetFor(command('ingest'), cfg)).toEqual({ kind: 'postgres', url: 'postgres://127.0.0.1:5432/x' });
  });
});

describe('shortLivedV8Flags', () => {
  const budget = [`--wasm-tiering-budget=${SHORT_LIVED_WASM_TIERING_BUDGET}`];

  it.each(['summary', 'user list', 'trust add', 'export', 'simulate'])('%s on the embedded database raises the WebAssembly tiering budget', (name) => {
    expect(shortLivedV8Flags(dbTargetFor(command(name), embedded), [])).toEqual(budget);
    // A flag node was started with that has nothing to do with tiering changes nothing.
    expect(shortLivedV8Flags(dbTargetFor(command(name), embedded), ['--max-semi-space-size=32'])).toEqual(budget);
  });

  it.each(['ingest', 'seed'])('%s keeps V8\'s default: a bulk write runs long enough to use the optimised code', (name) => {
    expect(shortLivedV8Flags(dbTargetFor(command(name), embedded), [])).toEqual([]);
  });

  it('sets nothing for PostgreSQL (no WebAssembly to compile) or for an in-memory database', () => {
    expect(shortLivedV8Flags(dbTargetFor(command('summary'), { databaseUrl: 'postgres://127.0.0.1:5432/x', dataDir: '/tmp/x' }), [])).toEqual([]);
    expect(shortLivedV8Flags({ kind: 'memory' }, [])).toEqual([]);
  });

  it.each([['--wasm-tiering-budget=1800000'], ['--liftoff-only'], ['--no-liftoff'], ['--no-wasm-tier-up'], ['--no-wasm-dynamic-tiering']])('leaves the choice to the operator who started node with %s', (flag) => {
    expect(shortLivedV8Flags(dbTargetFor(command('summary'), embedded), ['--max-semi-space-size=32', flag])).toEqual([]);
  });
});
