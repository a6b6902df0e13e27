// Keycloak `org.keycloak.events` logger lines, both styles:
//   2026-11-22 08:06:14,123 WARN  [org.keycloak.events] (executor-thread-1) type="REFRESH_TOKEN_ERROR", realmId="…", clientId="svc-a", …, error="invalid_dpop_proof", reason="DPoP proof is missing"
//   2021-03-01 10:00:00,000 WARN  [org.keycloak.events] (default task-1) type=CLIENT_LOGIN_ERROR, realmId=master, clientId=svc-a, …, error=not_allowed, reason=Client certificate missing, or its thumbprint and one in the refresh token did NOT match
// and Quarkus JSON logging ({"timestamp":…,"loggerName":"org.keycloak.events","message":"type=…"}).
// Other server log lines are skipped. Zone-less timestamps are read in the ingest's time zone (`--time-zone`), else as UTC.
import { SERVICE_LINE, SKIP, err, type LineParser } from '../types.ts';
import { newEvent, verdictFromOAuthError } from '../event.ts';
import { guard, isEmptyLine, isObject, FieldError } from '../fields.ts';
import { parseTime } from '../time.ts';

const HEAD = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+(?:[A-Z]+\s+)?\[?org\.keycloak\.events\]?\s*(?:\([^)]*\)\s*)?(.*)$/;

/** key=value pairs, values quoted (with \" escapes) or bare up to the next `, key=`. */
export function parseKeycloakPairs(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z_][\w.]*)=("((?:[^"\\]|\\.)*)"|(.*?))(?=,\s*[A-Za-z_][\w.]*=|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const v = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '').trim();
    out.set(m[1]!, v);
    if (s[re.lastIndex] === ',') re.lastIndex++;
    if (re.lastIndex >= s.length) break;
  }
  return out;
}

function nullish(v: string | undefined): string | null {
  return v === undefined || v === '' || v === 'null' ? null : v;
}

export const keycloakEventsParser: LineParser = {
  format: 'keycloak-events',
  parseLine(text, ctx) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => {
      let when: Date | null = null;
      let body: string;
      const t = text.trimStart();
      if (t.startsWith('{')) {
        let o: unknown;
        try {
          o = JSON.parse(t);
        } catch {
          return err('invalid_json', 'line starts like JSON but does not parse');
        }
        if (!isObject(o)) return err('not_an_object', 'expected a JSON object');
        const logger = o.loggerName ?? o.logger_name ?? o.logger;
        if (logger !== 'org.keycloak.events') return SERVICE_LINE;
        if (typeof o.message !== 'string') throw new FieldError('wrong_type', '"message" should be a string');
        when = parseTime(o.timestamp ?? o['@timestamp'] ?? o.time, ctx.timeZone);
        if (!when) throw new FieldError('invalid_timestamp', 'no readable timestamp');
        body = o.message;
      } else {
        const m = HEAD.exec(text);
        if (!m) return text.includes('org.keycloak.events') ? err('unrecognized_line', 'keycloak event line without a readable timestamp') : SERVICE_LINE;
        when = parseTime(m[1], ctx.timeZone);
        if (!when) return err('invalid_timestamp', `unreadable timestamp ${m[1]}`);
        body = m[2] ?? '';
      }
      const kv = parseKeycloakPairs(body);
      const type = nullish(kv.get('type'));
      if (!type) return err('missing_field', 'keycloak event without type=');
      const ev = newEvent('keycloak-events', when, text);
      const realm = nullish(kv.get('realmName')) ?? nullish(kv.get('realmId'));
      ev.gateway = ctx.gateway ?? (realm ? `keycloak/${realm}` : 'keycloak');
      ev.clientIp = nullish(kv.get('ipAddress'));
      const clientId = nullish(kv.get('clientId'));
      ev.identityHint = clientId ?? nullish(kv.get('userId'));
      const error = nullish(kv.get('error'));
      const reason = nullish(kv.get('reason'));
      ev.failureDetail = error ? `${type}: ${error}${reason ? ` (${reason})` : ''}` : null;
      ev.sourceVerdict = verdictFromOAuthError(error, reason);
      ev.hasDpop = error === 'invalid_dpop_proof' && !/missing/i.test(reason ?? '');
      const tokenId = nullish(kv.get('token_id'));
      if (tokenId) ev.tokenClaims = { jti: tokenId };
      return { kind: 'event', event: ev };
    });
  },
};
