// The one call for a bring-your-own log format: a gateway's configuration (+ optionally which of
// its formats) → a LineParser for lines written in that format. Pure: the caller reads the file.
import { hardened } from '../registry.ts';
import { compileApache } from './apache.ts';
import { LogFormatError, type CompiledLogFormat, type GatewayFormat } from './compiled.ts';
import { compileHaproxy } from './haproxy.ts';
import { compileNginx } from './nginx.ts';

/** Largest configuration read: a whole nginx.conf or haproxy.cfg with every include pasted in is far below it. */
export const MAX_GATEWAY_CONFIG_CHARS = 2 * 1024 * 1024;

export interface CompileGatewayLogFormatOptions {
  /** `nginx`, `apache` or `haproxy`. */
  gateway: GatewayFormat;
  /** The configuration text (nginx.conf, apache2.conf / a vhost file, haproxy.cfg). */
  config: string;
  /** NGINX log_format name, Apache LogFormat nickname (or CustomLog path), HAProxy frontend; optional when the file has one usable format. */
  logFormat?: string;
  /** The zone zone-less times are read in (its name, for the warning of a format whose time has no zone); none: UTC. */
  timeZone?: string;
}

/**
 * Compiles the log format a gateway's configuration declares (the parser redacts like every
 * registered one). Throws LogFormatError (one line:
 * what is missing, or which names there are to choose from) when there is none Holdfast can use.
 */
export function compileGatewayLogFormat(o: CompileGatewayLogFormatOptions): CompiledLogFormat {
  if (o.config.length > MAX_GATEWAY_CONFIG_CHARS) throw new LogFormatError('syntax', `the configuration is larger than ${MAX_GATEWAY_CONFIG_CHARS / 1024 / 1024} MiB`);
  const name = o.logFormat?.trim() || undefined;
  const compiled = COMPILERS[o.gateway](o.config, name, o.timeZone);
  // Like every registered parser: never throws, URLs and failure details redacted.
  return { ...compiled, parser: hardened(compiled.parser) };
}

const COMPILERS: Readonly<Record<GatewayFormat, (config: string, name?: string, timeZone?: string) => CompiledLogFormat>> = {
  nginx: compileNginx,
  apache: compileApache,
  haproxy: compileHaproxy,
};

/**
 * Which gateway a configuration is for, from its directives (for `--gateway-config` without a
 * gateway format): null when it looks like none of the three.
 */
export function gatewayOfConfig(config: string): GatewayFormat | null {
  if (/^\s*log_format\s/m.test(config) || /^\s*(?:http|server)\s*\{/m.test(config)) return 'nginx';
  if (/^\s*(?:LogFormat|CustomLog)\s/im.test(config) || /^\s*<VirtualHost\b/im.test(config)) return 'apache';
  if (/^\s*(?:frontend|listen|defaults)\b/m.test(config) && /^\s*(?:log-format|option\s+https?log|bind)\s/m.test(config)) return 'haproxy';
  return null;
}
