// Which database a CLI command opens: small shared buffers for short-lived commands, PGlite's
// default for the bulk writers (SHORT_LIVED_SHARED_BUFFERS in lib/db/target.ts has the figures).
import { describe, expect, it } from 'vitest';
import { SHORT_LIVED_SHARED_BUFFERS } from '../db/target.ts';
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
