// Shapes shared by the ingest parsers. Parsers are pure: one line in, one result out, with
// per-stream state kept in the ParseContext the caller creates once per stream.
import type { ExposureRecord, NormalizedEvent, TokenRecord } from '../domain/types.ts';
import type { Cidr } from '../hops/trusted-proxies.ts';
import type { LogTimeZone } from './time-zone.ts';

export const FORMAT_NAMES = [
  'nginx-json',
  'nginx-combined',
  'envoy-json',
  'kong',
  'aws-apigw',
  'keycloak-events',
  'ocsf',
  'introspection',
  'inventory-csv',
  'gitleaks',
  'trufflehog',
  'caddy',
  // Bring-your-own log formats, read from the gateway's own configuration (lib/ingest/custom).
  'nginx',
  'apache',
  'haproxy',
  'apache-error',
] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

/** Formats whose lines can only be read with the gateway's configuration (`--gateway-config`). */
export const CONFIGURED_FORMATS = ['nginx', 'apache', 'haproxy'] as const;
export type ConfiguredFormatName = (typeof CONFIGURED_FORMATS)[number];

export function isConfiguredFormat(s: string): s is ConfiguredFormatName {
  return (CONFIGURED_FORMATS as readonly string[]).includes(s);
}

export function isFormatName(s: string): s is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(s);
}

/** Why one line was rejected. Stable codes; the message is for humans. */
export type ParseErrorReason =
  | 'invalid_utf8'
  | 'line_too_long'
  | 'invalid_json'
  | 'not_an_object'
  | 'wrong_type'
  | 'missing_field'
  | 'invalid_timestamp'
  | 'invalid_value'
  | 'unrecognized_line'
  /** A bring-your-own format line that splits more than one way into its values (unquoted values with spaces side by side). */
  | 'ambiguous_line'
  | 'unsupported_class'
  | 'missing_header'
  | 'invalid_csv'
  | 'secret_redacted'
  | 'record_too_large'
  | 'unterminated_record';

/**
 * Why a line gave no record, counted per reason in a batch's `skipped`: `service_line` is a line
 * the gateway (or scanner) writes about itself, no request or finding (an HAProxy handshake
 * failure or proxy start, Caddy's TLS and error lines, other Keycloak or Apache error-log lines,
 * TruffleHog's own log); a skip without a reason is a blank line, a CSV header, or a line of a
 * multi-line record before it completes (`no_record`); `other_frontend` is a line of another
 * HAProxy frontend of the same configuration, logged to the same file, that the chosen one is not.
 */
export type SkipReason = 'no_record' | 'service_line' | 'other_frontend';

export type ParseResult =
  | { kind: 'event'; event: NormalizedEvent }
  | { kind: 'token'; token: TokenRecord }
  | { kind: 'exposure'; exposure: ExposureRecord }
  | { kind: 'skip'; reason?: SkipReason }
  | { kind: 'error'; reason: ParseErrorReason; message: string };

export interface ParseContextOptions {
  /** Clock for records that carry no time of their own (scanner findings). */
  now?: () => Date;
  /** Gateway name to stamp on events when the line does not name one. */
  gateway?: string | null;
  /** Largest multi-line record (pretty JSON report, quoted CSV field) kept while assembling. */
  maxRecordBytes?: number;
  /** The zone of the log's zone-less times (HAProxy `%tr`, Apache strftime without `%z`, RFC 3164 syslog, Apache's error log); none: UTC. */
  timeZone?: LogTimeZone | null;
  /**
   * The source's trusted proxies (lib/hops trusted-proxies.ts), read when a line is parsed (the
   * pipeline learns them inside its transaction, after the stream is opened): forwarding headers
   * (X-Forwarded-Proto/-Host, Forwarded) count only from a TCP peer inside them. None or empty: any peer.
   */
  trustedProxies?: () => readonly Cidr[] | null;
}

/** Per-stream state. Create one per input with createParseContext(); never share across streams. */
export interface ParseContext {
  readonly now: () => Date;
  readonly gateway: string | null;
  readonly maxRecordBytes: number;
  /** The zone of zone-less times; null: UTC. */
  readonly timeZone: LogTimeZone | null;
  /** The source's trusted proxies (see ParseContextOptions.trustedProxies); null: any peer. */
  readonly trustedProxies: () => readonly Cidr[] | null;
  /** Extra results a line produced beyond its first (e.g. a one-line JSON array); the stream driver drains it. */
  pending: ParseResult[];
  /** Parser-private state (CSV header, JSON record assembly, certificate cache). */
  state: Record<string, unknown>;
  /**
   * The bytes of the line being parsed, set by the parse stream only while `parseLine` runs and only
   * when the text it passes is exactly their UTF-8 decoding (else null). An event keeps this view of
   * the input chunk instead of the decoded line (see newJsonLineEvent).
   */
  lineBytes: Uint8Array | null;
}

export function createParseContext(opts: ParseContextOptions = {}): ParseContext {
  return {
    now: opts.now ?? (() => new Date()),
    gateway: opts.gateway ?? null,
    maxRecordBytes: opts.maxRecordBytes ?? 1024 * 1024,
    timeZone: opts.timeZone ?? null,
    trustedProxies: opts.trustedProxies ?? (() => null),
    pending: [],
    state: {},
    lineBytes: null,
  };
}

export interface LineParser {
  readonly format: FormatName;
  /** Parse one line. Never throws. */
  parseLine(text: string, ctx: ParseContext): ParseResult;
  /** End of stream: report records left half-assembled (unterminated quote or JSON object). */
  end?(ctx: ParseContext): ParseResult[];
}

export function err(reason: ParseErrorReason, message: string): ParseResult {
  return { kind: 'error', reason, message };
}

export const SKIP: ParseResult = Object.freeze({ kind: 'skip' }) as ParseResult;

/** A line the gateway (or scanner) writes about itself, not a request or finding: skipped, counted as `service_line`. */
export const SERVICE_LINE: ParseResult = Object.freeze({ kind: 'skip', reason: 'service_line' }) as ParseResult;
/** A line in the format of another HAProxy frontend of the same configuration. */
export const OTHER_FRONTEND: ParseResult = Object.freeze({ kind: 'skip', reason: 'other_frontend' }) as ParseResult;
