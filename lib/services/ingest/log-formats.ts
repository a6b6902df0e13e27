// The log format a named source is read with: an admin saves the gateway's own configuration
// (NGINX log_format, Apache LogFormat/CustomLog, HAProxy log-format + captures) on the source, it is
// compiled when saved (an unusable one is refused with the compiler's one-line reason), and an
// ingest that names the source without bringing a configuration of its own is read with it.
//
// Precedence for one ingest: a configuration sent with the request (the CLI's --gateway-config)
// > the source's saved one > none. The format name: the request's --log-format / ?logFormat= >
// the saved name > the one the configuration implies. The configuration text is never written to
// the audit log: its SHA-256, gateway and name are.
import { appendAuditEntry } from '../../audit/append-audit-entry.ts';
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import {
  compileGatewayLogFormat, gatewayOfConfig, isConfiguredFormat, isGatewayFormat, LogFormatError, type CompiledLogFormat, type GatewayFormat,
} from '../../ingest/index.ts';
import { parseTimeZone, TIME_ZONE_MESSAGE } from '../../ingest/time-zone.ts';
import { logFormatSha256 } from './log-format-hash.ts';

/** Largest configuration kept with a source (a whole nginx.conf or haproxy.cfg is far below it). */
export const MAX_LOG_FORMAT_CONFIG_BYTES = 2 * 1024 * 1024;

/** Source names, as ingest and the Sources page accept them. */
export const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/;

/** What an admin may choose: a gateway, or `auto` (the gateway is read from the configuration). */
export type LogFormatChoice = GatewayFormat | 'auto';

/** What a saved log format reads, as the admin sees it (never the configuration unless asked for). */
export interface SourceLogFormatView {
  source: string;
  gateway: GatewayFormat;
  /** The format the configuration resolved to. */
  name: string;
  /** The name the admin chose, or null (the configuration implies one). */
  logFormat: string | null;
  /** Every format name the configuration offers. */
  names: string[];
  sha256: string;
  /** The zone of the gateway's zone-less times, if saved: the default of the ingests read with this configuration. */
  timeZone: string | null;
  /** Canonical fields read from each line, variables kept as labels, what the format cannot tell. */
  fields: string[];
  labels: string[];
  warnings: string[];
  /** When the saved configuration no longer compiles (a newer Holdfast reads it differently): why. */
  problem: string | null;
  bytes: number;
  updatedAt: string;
  updatedBy: string;
  /** Admins only. */
  config?: string;
}

/** A refusal the admin or owner can act on: the compiler's one line, as a 422. */
function refusal(message: string, reason: string): HoldfastError {
  return new HoldfastError('validation_failed', message, { reason });
}

function checkSourceName(name: string): void {
  if (!SOURCE_NAME.test(name)) throw new HoldfastError('validation_failed', 'source: 1 to 100 letters, digits, dot, dash, underscore, colon or @');
}

/**
 * Compiles a configuration the way ingest will read it. `auto` takes the gateway the directives
 * name. Throws validation_failed with the one-line reason when nothing usable is in it.
 */
export function compileLogFormat(choice: string, config: string, logFormat?: string | null, timeZone?: string | null): CompiledLogFormat {
  if (choice !== 'auto' && !isGatewayFormat(choice)) throw refusal(`format: nginx, apache, haproxy or auto, not "${choice.slice(0, 40)}"`, 'unknown_gateway');
  const bytes = Buffer.byteLength(config, 'utf8');
  if (bytes > MAX_LOG_FORMAT_CONFIG_BYTES) throw refusal(`the configuration is ${bytes} bytes; at most ${MAX_LOG_FORMAT_CONFIG_BYTES} (2 MiB)`, 'too_large');
  if (!config.trim()) throw refusal('the configuration is empty', 'no_log_format');
  const gateway = choice === 'auto' ? gatewayOfConfig(config) : choice;
  if (!gateway) throw refusal('could not tell which gateway the configuration is for; choose nginx, apache or haproxy', 'unknown_gateway');
  try {
    return compileGatewayLogFormat({ gateway, config, logFormat: logFormat?.trim() || undefined, timeZone: timeZone ?? undefined });
  } catch (e) {
    if (e instanceof LogFormatError) throw refusal(e.message, e.code);
    throw e;
  }
}

interface StoredLogFormat {
  gateway: string;
  config: string;
  logFormat: string | null;
  name: string;
  sha256: string;
  timeZone: string | null;
  updatedAt: Date;
  updatedBy: string;
}

function viewOf(source: string, row: StoredLogFormat, withConfig: boolean): SourceLogFormatView {
  let compiled: CompiledLogFormat | null = null;
  let problem: string | null = null;
  try {
    compiled = compileLogFormat(row.gateway, row.config, row.logFormat, row.timeZone);
  } catch (e) {
    problem = (e as Error).message;
  }
  return {
    source,
    gateway: row.gateway as GatewayFormat,
    name: compiled?.name ?? row.name,
    logFormat: row.logFormat,
    names: compiled?.names ?? [],
    sha256: row.sha256,
    timeZone: row.timeZone,
    fields: compiled?.fields ?? [],
    labels: compiled?.labels ?? [],
    warnings: compiled?.warnings ?? [],
    problem,
    bytes: Buffer.byteLength(row.config, 'utf8'),
    updatedAt: row.updatedAt.toISOString(),
    updatedBy: row.updatedBy,
    ...(withConfig ? { config: row.config } : {}),
  };
}

export interface SaveLogFormatInput {
  source: string;
  format: string;
  config: string;
  logFormat?: string | null;
  /** The zone of the gateway's zone-less times (Europe/Berlin, +02:00); none: UTC. An unknown one is a bad_request. */
  timeZone?: string | null;
  actor: string;
  now?: () => Date;
}

/**
 * Saves (or replaces) a source's log format once it compiles. A source that does not exist yet is
 * created, as an ingest naming it would (a name only; its own key comes from the Sources page).
 * The audit entry commits with the change and names the configuration by its SHA-256.
 */
export async function saveSourceLogFormat(db: Database, input: SaveLogFormatInput): Promise<SourceLogFormatView & { created: boolean }> {
  const name = input.source.trim();
  checkSourceName(name);
  const logFormat = input.logFormat?.trim() || null;
  const zone = input.timeZone?.trim() ? parseTimeZone(input.timeZone) : null;
  if (input.timeZone?.trim() && !zone) throw new HoldfastError('bad_request', `timeZone ${TIME_ZONE_MESSAGE}`, { errors: [{ path: 'timeZone', message: TIME_ZONE_MESSAGE }] });
  const timeZone = zone?.name ?? null;
  const compiled = compileLogFormat(input.format, input.config, logFormat, timeZone);
  const sha256 = logFormatSha256(compiled.gateway, compiled.name, input.config);
  const at = (input.now ?? (() => new Date()))();
  const row: StoredLogFormat = { gateway: compiled.gateway, config: input.config, logFormat, name: compiled.name, sha256, timeZone, updatedAt: at, updatedBy: input.actor };
  const replaced = await db.prisma.$transaction(async (tx) => {
    let source = await tx.source.findUnique({ where: { name }, select: { id: true, logFormat: { select: { sha256: true } } } });
    const sourceCreated = !source;
    if (!source) source = { ...(await tx.source.create({ data: { name, format: compiled.gateway }, select: { id: true } })), logFormat: null };
    await tx.sourceLogFormat.upsert({ where: { sourceId: source.id }, create: { sourceId: source.id, ...row }, update: row });
    await appendAuditEntry(tx, {
      actor: input.actor,
      action: 'source.log_format.save',
      target: `source:${source.id}`,
      details: {
        source: name, gateway: compiled.gateway, name: compiled.name, logFormat, sha256, timeZone, bytes: Buffer.byteLength(input.config, 'utf8'),
        previousSha256: source.logFormat?.sha256 ?? null, sourceCreated,
      },
    });
    return !!source.logFormat;
  });
  return { ...viewOf(name, row, false), created: !replaced };
}

/** The saved log format of a source; not_found when the source or its log format is missing. */
export async function getSourceLogFormat(db: Database, sourceName: string, opts: { withConfig: boolean }): Promise<SourceLogFormatView> {
  checkSourceName(sourceName);
  const source = await db.prisma.source.findUnique({ where: { name: sourceName }, select: { logFormat: true } });
  if (!source) throw new HoldfastError('not_found', `no source named ${sourceName}`);
  if (!source.logFormat) throw new HoldfastError('not_found', `source ${sourceName} keeps no log format`);
  return viewOf(sourceName, source.logFormat, opts.withConfig);
}

/** Removes a source's log format (audited); its ingests are read by format name or detection again. */
export async function deleteSourceLogFormat(db: Database, sourceName: string, actor: string): Promise<{ source: string; removed: true }> {
  checkSourceName(sourceName);
  await db.prisma.$transaction(async (tx) => {
    const source = await tx.source.findUnique({ where: { name: sourceName }, select: { id: true, logFormat: { select: { gateway: true, name: true, sha256: true } } } });
    if (!source) throw new HoldfastError('not_found', `no source named ${sourceName}`);
    if (!source.logFormat) throw new HoldfastError('not_found', `source ${sourceName} keeps no log format`);
    await tx.sourceLogFormat.delete({ where: { sourceId: source.id } });
    await appendAuditEntry(tx, {
      actor,
      action: 'source.log_format.remove',
      target: `source:${source.id}`,
      details: { source: sourceName, gateway: source.logFormat.gateway, name: source.logFormat.name, sha256: source.logFormat.sha256 },
    });
  });
  return { source: sourceName, removed: true };
}

export interface SavedLogFormatRow {
  source: string;
  gateway: GatewayFormat;
  name: string;
  logFormat: string | null;
  /** The zone its zone-less times are read in when an ingest names none (null: UTC). */
  timeZone: string | null;
  updatedAt: string;
}

/** Every source with a saved log format (no configuration text): what the upload page offers. */
export async function listSourceLogFormats(db: Database): Promise<SavedLogFormatRow[]> {
  const rows = await db.prisma.sourceLogFormat.findMany({
    select: { gateway: true, name: true, logFormat: true, timeZone: true, updatedAt: true, source: { select: { name: true } } },
    orderBy: { source: { name: 'asc' } },
  });
  return rows.map((r) => ({ source: r.source.name, gateway: r.gateway as GatewayFormat, name: r.name, logFormat: r.logFormat, timeZone: r.timeZone, updatedAt: r.updatedAt.toISOString() }));
}

export interface IngestLogFormatRequest {
  /** The format asked for; null or 'auto' to detect. */
  format: string | null;
  sourceId?: string | null;
  sourceName?: string | null;
  /** A configuration sent with the request (the CLI's --gateway-config): wins over the saved one. */
  gatewayConfig?: string;
  logFormat?: string | null;
}

export interface IngestLogFormat {
  /** The format to read with (null: detect). */
  format: string | null;
  gatewayConfig?: string;
  logFormat?: string;
  /** The saved configuration's time zone (from: 'source'): the default when the ingest gives none. */
  timeZone?: string;
  /** Where the configuration came from. */
  from: 'request' | 'source' | null;
}

/**
 * Which format and configuration an ingest reads with (precedence above). A format other than
 * nginx/apache/haproxy (or detection) ignores a saved configuration, except that detection with
 * one saved reads with it: the admin said how this source logs. A gateway format that differs
 * from the saved gateway is refused rather than guessed at.
 */
export async function resolveIngestLogFormat(db: Database, req: IngestLogFormatRequest): Promise<IngestLogFormat> {
  const format = req.format && req.format !== 'auto' ? req.format : null;
  const logFormat = req.logFormat?.trim() || undefined;
  if (req.gatewayConfig !== undefined) return { format, gatewayConfig: req.gatewayConfig, logFormat, from: 'request' };
  if (format && !isConfiguredFormat(format)) {
    if (logFormat) throw refusal(`a log format name applies to the formats nginx, apache and haproxy, not ${format}`, 'not_a_gateway_format');
    return { format, from: null };
  }
  const saved = await savedFor(db, req);
  if (!saved) return { format, logFormat, from: null };
  if (format && format !== saved.gateway) {
    throw refusal(
      `source ${saved.source} keeps a log format for ${saved.gateway}, not ${format}: send format ${saved.gateway} (or none), or save the ${format} configuration on the source`,
      'gateway_mismatch',
    );
  }
  return { format: saved.gateway, gatewayConfig: saved.config, logFormat: logFormat ?? saved.logFormat ?? undefined, ...(saved.timeZone ? { timeZone: saved.timeZone } : {}), from: 'source' };
}

async function savedFor(db: Database, req: IngestLogFormatRequest): Promise<{ source: string; gateway: string; config: string; logFormat: string | null; timeZone: string | null } | null> {
  if (!req.sourceId && !req.sourceName) return null;
  const source = await db.prisma.source.findUnique({
    where: req.sourceId ? { id: req.sourceId } : { name: req.sourceName! },
    select: { name: true, logFormat: { select: { gateway: true, config: true, logFormat: true, timeZone: true } } },
  });
  return source?.logFormat ? { source: source.name, ...source.logFormat } : null;
}
