import type { ParseArgsConfig } from 'node:util';
import type { Database } from '../db/open.ts';
import type { Io } from './io.ts';
import type { Remote } from './remote.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  io: Io;
  values: Values;
  positionals: string[];
  /** Set when --server and --api-key were given. */
  remote: Remote | null;
  /** Opens the embedded database (or DATABASE_URL), migrated, for the duration of fn. */
  withDb<T>(fn: (db: Database) => Promise<T>, opts?: { migrate?: boolean }): Promise<T>;
}

export interface Command {
  /** One or two words: `summary`, `user create`. */
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec;
  /** Writes in bulk (ingest, seed): the embedded database opens with PGlite's default shared buffers (lib/db/open.ts). */
  bulkWrites?: true;
  run(ctx: CommandContext): Promise<void>;
}
