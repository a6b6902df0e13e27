// `holdfast` CLI entry. Commands work on the embedded database (HOLDFAST_DATA_DIR) or
// DATABASE_URL directly, or through a running server with --server URL --api-key KEY.
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { loadDpopSigner, type DpopSigner } from './dpop-client.ts';
import { parseArgs } from 'node:util';
import { loadConfig, readSetting, type HoldfastConfig } from '../config.ts';
import type { DbTarget } from '../db/open.ts';
import { dbTargetFromConfig, SHORT_LIVED_SHARED_BUFFERS, shortLivedV8Flags } from '../db/target.ts';
import type { Command, CommandContext } from './command.ts';
import { accessCommands } from './commands/access.ts';
import { coreCommands } from './commands/core.ts';
import { revokeCommand } from './commands/revoke.ts';
import { estateCommands } from './commands/estate.ts';
import { exportCommands } from './commands/export.ts';
import { ingestCommands } from './commands/ingest.ts';
import { verifyCommands } from './commands/verify.ts';
import { trustCommands } from './commands/trust.ts';
import { evidenceCommands } from './commands/evidence.ts';
import { simulateCommand } from './commands/simulate.ts';
import { exitCodeFor, type Io, oneLine, UsageError } from './io.ts';

export const COMMANDS: Command[] = [...coreCommands, ...accessCommands, ...verifyCommands, ...estateCommands, revokeCommand, ...ingestCommands, ...exportCommands, ...trustCommands, ...evidenceCommands, simulateCommand];

const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  server: { type: 'string' },
  'api-key': { type: 'string' },
  'dpop-key': { type: 'string' },
} as const;

type OptionSpec = { type: 'string' | 'boolean'; short?: string };

/**
 * `--x5t -Ab…` as `--x5t=-Ab…`: a base64url thumbprint, key or token may begin with `-`, which
 * parseArgs reads as the next option and refuses as ambiguous. A string option's next argument is
 * its value unless it is itself one of the options (`--x5t --json` is still a missing value).
 */
export function attachDashValues(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): string[] {
  const known = new Set(Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : null;
    if (name && options[name]?.type === 'string' && next !== undefined && next.startsWith('-') && next !== '--' && !known.has(next.split('=')[0]!)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** --dpop-key FILE (or HOLDFAST_DPOP_KEY_FILE): the private key a DPoP-bound API key is bound to. */
function dpopSignerFrom(flag: string | undefined): DpopSigner | null {
  const file = flag ?? readSetting('HOLDFAST_DPOP_KEY_FILE');
  if (!file) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--dpop-key: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return loadDpopSigner(text);
  } catch (e) {
    throw new UsageError(oneLine(e));
  }
}

/**
 * The database a command opens: the embedded one with small shared buffers (faster to start) unless
 * the command writes in bulk (SHORT_LIVED_SHARED_BUFFERS in lib/db/target.ts has the figures).
 */
export function dbTargetFor(cmd: Pick<Command, 'bulkWrites'>, cfg: Pick<HoldfastConfig, 'databaseUrl' | 'dataDir'>): DbTarget {
  const target = dbTargetFromConfig(cfg);
  return target.kind === 'pglite' && !cmd.bulkWrites ? { ...target, sharedBuffers: SHORT_LIVED_SHARED_BUFFERS } : target;
}

function findCommand(argv: string[]): { cmd: Command; rest: string[] } | null {
  const two = `${argv[0] ?? ''} ${argv[1] ?? ''}`;
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === argv[0]);
  if (byOne) return { cmd: byOne, rest: argv.slice(1) };
  return null;
}

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'holdfast — govern the tokens of non-human identities',
    '',
    'usage: holdfast <command> [options] [--json] [--server URL --api-key KEY [--dpop-key FILE]] [--debug]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Without --server, commands open the embedded database in HOLDFAST_DATA_DIR (default ./.data)',
    'or DATABASE_URL directly. Exit codes: 0 ok, 1 failed check or operation, 2 bad usage or input.',
  ].join('\n');
}

export async function main(argv: string[], io?: Partial<Io>): Promise<number> {
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  const sink: Io = {
    json,
    debug,
    out: io?.out ?? ((t) => process.stdout.write(t)),
    err: io?.err ?? ((t) => process.stderr.write(t)),
  };
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      sink.err(helpText() + '\n');
      return argv.length === 0 ? 2 : 0;
    }
    const found = findCommand(argv);
    if (!found) throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"; run holdfast --help`);
    const { cmd, rest } = found;
    let parsed;
    try {
      const options = { ...GLOBAL_OPTIONS, ...cmd.options };
      parsed = parseArgs({ args: attachDashValues(rest, options as Record<string, OptionSpec>), options, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError(`${oneLine(e)} (usage: ${cmd.usage})`);
    }
    const values = parsed.values as CommandContext['values'];
    if (values.help) {
      sink.err(`${cmd.usage}\n${cmd.summary}\n`);
      return 0;
    }
    const server = values.server as string | undefined;
    const apiKey = (values['api-key'] as string | undefined) ?? readSetting('HOLDFAST_API_KEY');
    if (server && !apiKey) throw new UsageError('--server needs --api-key KEY (or HOLDFAST_API_KEY)');
    if (server) {
      try {
        new URL(server);
      } catch {
        throw new UsageError(`--server must be a URL such as http://localhost:3000`);
      }
    }
    const ctx: CommandContext = {
      io: sink,
      values,
      positionals: parsed.positionals,
      remote: server && apiKey ? { baseUrl: server, apiKey, dpop: dpopSignerFrom(values['dpop-key'] as string | undefined) } : null,
      async withDb(fn, opts) {
        const cfg = loadConfig();
        // Loaded here, not at the top: the database driver, Prisma and the schema engine are most of
        // the CLI's code, and --help, --server and the offline checks (verify, thumbprint) never need them.
        const [{ openDatabase }, { migrateDatabase }, { maintainEvidence, setEvidenceRetention }, { advanceAuditAnchor }] = await Promise.all([
          import('../db/open.ts'),
          import('../db/migrations.ts'),
          import('../services/evidence/maintenance.ts'),
          import('../audit/anchoring.ts'),
        ]);
        const target = dbTargetFor(cmd, cfg);
        // Before PGlite's WebAssembly is compiled: V8 reads the budget when it compiles a module.
        for (const flag of shortLivedV8Flags(target, process.execArgv)) v8.setFlagsFromString(flag);
        const db = await openDatabase(target);
        try {
          setEvidenceRetention(cfg.retention);
          if (opts?.migrate !== false) {
            await migrateDatabase(db);
            await maintainEvidence(db, { log: (l) => sink.err(`${l}\n`) });
          }
          return await fn(db);
        } finally {
          // The audit chain's anchor follows what this command appended (not at the next server start).
          if (cfg.auditAnchorFile) await advanceAuditAnchor(db, cfg.auditAnchorFile).catch(() => {});
          await db.close();
        }
      },
    };
    await cmd.run(ctx);
    return 0;
  } catch (e) {
    const code = exitCodeFor(e);
    sink.err(`holdfast: ${oneLine(e)}\n`);
    if (debug && e instanceof Error && e.stack) sink.err(e.stack + '\n');
    return code;
  }
}
