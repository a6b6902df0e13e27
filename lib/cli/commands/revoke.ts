// `holdfast revoke`: records a revocation and, unless --no-wait, waits for its legs to reach a
// final state. With the embedded database (no server holds it) the worker runs in this
// process; with --server the server's worker does the work and the CLI polls.
import type { Command } from '../command.ts';

export const revokeCommand: Command = {
  name: 'revoke',
  summary: 'revoke tokens (and their bound certificates) and wait for confirmation',
  usage: 'holdfast revoke --token-id ID [--raw-token-stdin] [--with-certificate] --reason R [--no-wait] [--certificate-id ID] [--timeout SECONDS] [--json]',
  options: {
    'token-id': { type: 'string', multiple: true },
    'certificate-id': { type: 'string', multiple: true },
    'raw-token-stdin': { type: 'boolean' },
    'with-certificate': { type: 'boolean' },
    reason: { type: 'string' },
    'no-wait': { type: 'boolean' },
    timeout: { type: 'string' },
  },
  // Its code loads when it runs (lib/cli/main.ts: a command loads only its own code).
  run: async (ctx) => (await import('./revoke-run.ts')).runRevoke(ctx),
};
