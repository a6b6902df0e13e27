// One parser per format, selected by name. Every parser is wrapped so that it never throws
// and so that event URLs and failure details are redacted like the raw line.
import { apacheErrorParser } from './formats/apache-error.ts';
import { awsApigwParser } from './formats/aws-apigw.ts';
import { caddyParser } from './formats/caddy.ts';
import { envoyJsonParser } from './formats/envoy-json.ts';
import { introspectionParser } from './formats/introspection.ts';
import { inventoryCsvParser } from './formats/inventory-csv.ts';
import { keycloakEventsParser } from './formats/keycloak-events.ts';
import { kongParser } from './formats/kong.ts';
import { nginxCombinedParser } from './formats/nginx-combined.ts';
import { nginxJsonParser } from './formats/nginx-json.ts';
import { ocsfParser } from './formats/ocsf.ts';
import { gitleaksParser, trufflehogParser } from './formats/scanners.ts';
import { redactCertNames } from './cert.ts';
import { redact, redactName } from './redact.ts';
import { err, isFormatName, type ConfiguredFormatName, type FormatName, type LineParser, type ParseContext, type ParseResult } from './types.ts';

/** Last line of defence for output objects: nothing credential-like leaves through these fields. */
export function finalizeResult(r: ParseResult): ParseResult {
  if (r.kind === 'event') {
    const e = r.event;
    if (e.url !== null) e.url = redact(e.url);
    if (e.failureDetail !== null) e.failureDetail = redact(e.failureDetail);
    // A client certificate's names are the client's to choose: a credential put there is still one.
    if (e.identityHint !== null) e.identityHint = redactName(e.identityHint);
    if (e.cert) redactCertNames(e.cert, redact);
    if (e.forwardedCert) redactCertNames(e.forwardedCert, redact);
  }
  return r;
}

/** Wraps a parser so that it never throws and redacts its event URLs and failure details (also for compiled formats). */
export function hardened(p: LineParser): LineParser {
  return {
    format: p.format,
    parseLine(text: string, ctx: ParseContext): ParseResult {
      try {
        return finalizeResult(p.parseLine(text, ctx));
      } catch (e) {
        return err('invalid_value', `parser failed on this line: ${String((e as Error)?.message ?? e).slice(0, 120)}`);
      }
    },
    end(ctx: ParseContext): ParseResult[] {
      try {
        return (p.end?.(ctx) ?? []).map(finalizeResult);
      } catch {
        return [];
      }
    },
  };
}

/**
 * Stand-in for a format that is read with the gateway's configuration: every line is an error
 * saying so. openParseStream compiles the real parser (compileGatewayLogFormat) and refuses the
 * format without a configuration before reading a line; this only answers direct callers.
 */
function needsConfiguration(format: ConfiguredFormatName): LineParser {
  const message = `format ${format} needs the gateway's configuration (--gateway-config FILE) to read its log format`;
  return { format, parseLine: (text) => (text.trim() === '' ? { kind: 'skip' } : err('unrecognized_line', message)) };
}

export const PARSERS: Readonly<Record<FormatName, LineParser>> = Object.freeze({
  'nginx-json': hardened(nginxJsonParser),
  'nginx-combined': hardened(nginxCombinedParser),
  'envoy-json': hardened(envoyJsonParser),
  kong: hardened(kongParser),
  'aws-apigw': hardened(awsApigwParser),
  'keycloak-events': hardened(keycloakEventsParser),
  ocsf: hardened(ocsfParser),
  introspection: hardened(introspectionParser),
  'inventory-csv': hardened(inventoryCsvParser),
  gitleaks: hardened(gitleaksParser),
  trufflehog: hardened(trufflehogParser),
  caddy: hardened(caddyParser),
  nginx: needsConfiguration('nginx'),
  apache: needsConfiguration('apache'),
  haproxy: needsConfiguration('haproxy'),
  'apache-error': hardened(apacheErrorParser),
});

/** The parser for a format name (as given to `--format` / `?format=`), or null when unknown. */
export function getParser(name: string): LineParser | null {
  return isFormatName(name) ? PARSERS[name] : null;
}
