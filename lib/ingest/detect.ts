// Format auto-detection from the first lines of an input. Each line votes; the format with
// most votes wins. Returns null when nothing matches, so the caller asks for --format.
import { COMBINED_HEAD } from './formats/nginx-combined.ts';
import type { FormatName } from './types.ts';

type Obj = Record<string, unknown>;

/** Apache httpd's error log: `[Fri Dec 04 10:22:00.700217 2026] [ssl:info] …` (default ErrorLogFormat). */
const APACHE_ERROR_HEAD = /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4}\] \[[\w-]*:\w+\] /;

function has(o: Obj, ...keys: string[]): boolean {
  return keys.some((k) => k in o);
}

function hasPrefix(o: Obj, prefix: string): boolean {
  return Object.keys(o).some((k) => k.toLowerCase().startsWith(prefix));
}

/** Format of one parsed JSON object, or null. Order matters: most specific shapes first. */
export function formatOfObject(o: Obj): FormatName | null {
  if (has(o, 'class_uid')) return 'ocsf';
  if (has(o, 'SourceMetadata', 'DetectorName', 'DetectorType')) return 'trufflehog';
  if (has(o, 'RuleID') && has(o, 'Secret', 'Match', 'StartLine')) return 'gitleaks';
  if (typeof o.logger === 'string' && o.logger.startsWith('http.log.access') && typeof o.request === 'object') return 'caddy';
  const logger = o.loggerName ?? o.logger_name;
  if (typeof logger === 'string' && logger.includes('keycloak.events')) return 'keycloak-events';
  if (typeof o.request === 'object' && o.request !== null && has(o, 'started_at', 'client_ip', 'latencies')) return 'kong';
  if (hasPrefix(o, 'ssl_client_') || has(o, 'remote_addr', 'time_iso8601', 'request_uri', 'authz_scheme', 'has_dpop')) return 'nginx-json';
  if (hasPrefix(o, 'downstream_') || has(o, 'response_code_details', 'response_flags', 'upstream_host', 'start_time', 'response_code')) return 'envoy-json';
  if (Object.keys(o).some((k) => /clientcert|requesttimeepoch|^\$?context\./i.test(k)) || (has(o, 'requestId') && has(o, 'httpMethod', 'routeKey'))) return 'aws-apigw';
  if (typeof o.active === 'boolean' || (has(o, 'cnf') && has(o, 'exp', 'client_id', 'sub')) || (has(o, 'exp', 'iat') && has(o, 'scope', 'client_id'))) return 'introspection';
  return null;
}

function formatOfLine(line: string): FormatName | null {
  const t = line.trim();
  if (!t) return null;
  if (t.startsWith('{')) {
    try {
      const v: unknown = JSON.parse(t);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return formatOfObject(v as Obj);
    } catch {
      // not a whole object on one line
    }
    return null;
  }
  if (/\[?org\.keycloak\.events\]?/.test(t) || /\btype="?[A-Z_]+"?, realm(Id|Name)=/.test(t)) return 'keycloak-events';
  if (COMBINED_HEAD.test(t)) return 'nginx-combined';
  if (APACHE_ERROR_HEAD.test(t)) return 'apache-error';
  return null;
}

/**
 * Guesses the format from the first lines (20 or so are plenty). Pretty-printed JSON arrays
 * (gitleaks' report) are recognised by their member names; a CSV whose header names an `nhi`
 * column is an inventory.
 */
export function detectFormat(firstLines: string[]): FormatName | null {
  const lines = firstLines.map((l) => l.replace(/^\uFEFF/, ''));
  const firstNonEmpty = lines.find((l) => l.trim() !== '')?.trim() ?? '';
  if (!firstNonEmpty) return null;
  if (/^"?(nhi|identity|identity_name)"?\s*(,|$)/i.test(firstNonEmpty) || /(^|,)\s*"?nhi"?\s*(,|$)/i.test(firstNonEmpty)) return 'inventory-csv';
  // Pretty JSON (an array or a multi-line object): look for scanner member names.
  if (firstNonEmpty === '[' || firstNonEmpty === '{' || firstNonEmpty === '[]') {
    const text = lines.join('\n');
    if (/"(RuleID|StartLine)"\s*:/.test(text)) return 'gitleaks';
    if (/"(SourceMetadata|DetectorName|DetectorType)"\s*:/.test(text)) return 'trufflehog';
  }
  if (firstNonEmpty.startsWith('[{')) {
    try {
      const v: unknown = JSON.parse(firstNonEmpty);
      if (Array.isArray(v) && typeof v[0] === 'object' && v[0] !== null) return formatOfObject(v[0] as Obj);
    } catch {
      const t = firstNonEmpty;
      if (/"RuleID"\s*:/.test(t)) return 'gitleaks';
      if (/"DetectorName"\s*:/.test(t)) return 'trufflehog';
    }
  }
  const votes = new Map<FormatName, number>();
  for (const l of lines.slice(0, 50)) {
    const f = formatOfLine(l);
    if (f) votes.set(f, (votes.get(f) ?? 0) + 1);
  }
  let best: FormatName | null = null;
  let n = 0;
  for (const [f, c] of votes) {
    if (c > n) {
      best = f;
      n = c;
    }
  }
  return best;
}
