// NGINX `combined` text format extended with the TLS client variables, positional, in the
// order of NGINX_COMBINED_LOG_FORMAT. Plain `combined` lines (no extension) are accepted too;
// so are lines with only the first few extension fields.
import { buildCert } from '../cert.ts';
import { SKIP, err, type LineParser } from '../types.ts';
import { authFacts, identityFrom } from '../auth-facts.ts';
import { newEvent, verdictFromCertVerify } from '../event.ts';
import { flag, guard, isEmptyLine, httpStatus } from '../fields.ts';
import { requireTime } from '../time.ts';

/** Needs NGINX_AUTH_MAPS (nginx-json.ts) in the http block for $authz_scheme and $has_dpop. */
export const NGINX_COMBINED_LOG_FORMAT = `log_format holdfast_combined '$remote_addr - $remote_user [$time_local] '
  '"$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" '
  '"$ssl_client_verify" "$ssl_client_s_dn" "$ssl_client_i_dn" "$ssl_client_serial" '
  '"$ssl_client_fingerprint" "$authz_scheme" "$has_dpop" "$request_id" "$ssl_client_escaped_cert"';`;

/** Extension fields after `"$http_user_agent"`, in order. */
export const NGINX_COMBINED_EXTENSION = [
  'ssl_client_verify',
  'ssl_client_s_dn',
  'ssl_client_i_dn',
  'ssl_client_serial',
  'ssl_client_fingerprint',
  'authz_scheme',
  'has_dpop',
  'request_id',
  'ssl_client_escaped_cert',
] as const;

const Q = '"((?:[^"\\\\]|\\\\.)*)"';
export const COMBINED_HEAD = new RegExp(`^(\\S+) \\S+ (\\S+) \\[([^\\]]+)\\] ${Q} (\\d{3}) (\\d+|-) ${Q} ${Q}`);
const EXTRA = new RegExp(`\\s+${Q}`, 'y');

/** NGINX's default escaping writes `"`, `\` and control bytes as `\xHH`. */
function unescapeNginx(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

function unset(v: string | undefined): string | null {
  if (v === undefined) return null;
  const u = unescapeNginx(v);
  return u === '' || u === '-' ? null : u;
}

export const nginxCombinedParser: LineParser = {
  format: 'nginx-combined',
  parseLine(text, ctx) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => {
      const m = COMBINED_HEAD.exec(text);
      if (!m) return err('unrecognized_line', 'not an NGINX combined log line');
      const ext: (string | null)[] = [];
      EXTRA.lastIndex = m[0].length;
      let x: RegExpExecArray | null;
      while (ext.length < NGINX_COMBINED_EXTENSION.length && (x = EXTRA.exec(text))) ext.push(unset(x[1]));
      const f = (name: (typeof NGINX_COMBINED_EXTENSION)[number]) => ext[NGINX_COMBINED_EXTENSION.indexOf(name)] ?? null;

      const ev = newEvent('nginx-combined', requireTime(m[3], 'time_local', ctx.timeZone), text);
      const request = unset(m[4]) ?? '';
      const req = /^(\S+)\s+(\S+)/.exec(request);
      ev.method = req?.[1] ?? null;
      ev.url = req?.[2] ?? null;
      ev.clientIp = unset(m[1]);
      ev.httpStatus = httpStatus(Number(m[5]));
      ev.gateway = ctx.gateway;
      ev.requestId = f('request_id');
      ev.authScheme = authFacts(f('authz_scheme')).authScheme;
      ev.hasDpop = flag(f('has_dpop'));
      const verify = f('ssl_client_verify');
      const { cert, facts } = buildCert(ctx.state, {
        verify,
        subjectDn: f('ssl_client_s_dn'),
        issuerDn: f('ssl_client_i_dn'),
        serial: f('ssl_client_serial'),
        sha1Hex: f('ssl_client_fingerprint'),
        pem: f('ssl_client_escaped_cert'),
      });
      ev.cert = cert;
      // A line that stops before $ssl_client_escaped_cert logs at most the SHA-1, which cannot become
      // x5t#S256: TLS ended here, nothing was stripped (certificate_not_logged).
      if (cert && !cert.x5tS256 && ext.length <= NGINX_COMBINED_EXTENSION.indexOf('ssl_client_escaped_cert')) {
        ev.notLogged = { certificate: false, dpop: false, thumbprint: true };
      }
      ev.sourceVerdict = verdictFromCertVerify(verify);
      ev.failureDetail = ev.sourceVerdict ? verify : null;
      ev.identityHint = identityFrom(null, facts?.uriSan ?? null, cert?.subjectDn ?? null);
      return { kind: 'event', event: ev };
    });
  },
};
