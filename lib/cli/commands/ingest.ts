// `holdfast ingest FILE|- --format F [--source S] [--json]` (CONTRACT.md): one file or stdin in,
// one batch out. Embedded database directly, or with --server the bytes are streamed to
// POST /api/v1/ingest (never read into memory whole). A progress bar on stderr when stderr is
// a terminal; the summary at the end. Exit 0 when the batch committed, even with rejected
// lines; 2 for bad usage, an unknown format or an unreadable file.
// Formats nginx, apache and haproxy read the gateway's own configuration: --gateway-config FILE
// (--log-format NAME picks one of its formats), else the one saved on --source S. With --server the
// configuration is first saved on the source (PUT /api/v1/sources/S/log-format, an admin key), since
// the server keeps a log format with its source and the ingest body carries the log only.
// --trusted-proxies CIDR,… (with --source) first sets the proxies the source's backend may believe a
// forwarded client-certificate header from (`none`: any peer), locally or with PUT
// /api/v1/sources/S/trusted-proxies; a bad CIDR is exit 2 with a one-line reason.
// --time-zone ZONE (Europe/Berlin, +02:00) is the zone of the log's zone-less times (default UTC).
import { FORMAT_NAMES } from '../../ingest/types.ts';
import type { Command } from '../command.ts';

export const INGEST_USAGE = `holdfast ingest FILE|- --format ${FORMAT_NAMES.join('|')}|auto [--source S] [--gateway-config FILE] [--log-format NAME] [--trusted-proxies CIDR,…|none] [--time-zone ZONE] [--progress] [--json]`;

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'ingest a gateway log, token inventory or scanner report as one batch',
  usage: INGEST_USAGE,
  options: {
    format: { type: 'string' }, source: { type: 'string' }, progress: { type: 'boolean' },
    'gateway-config': { type: 'string' }, 'log-format': { type: 'string' }, 'trusted-proxies': { type: 'string' }, 'time-zone': { type: 'string' },
  },
  bulkWrites: true,
  // Parsers, hops and the batch writer load when an ingest runs (lib/cli/main.ts: a command loads only its own code).
  run: async (ctx) => (await import('./ingest-run.ts')).runIngest(ctx),
};

export const ingestCommands: Command[] = [ingestCommand];
