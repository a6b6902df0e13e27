// Apache httpd 2.4: `LogFormat "..." nickname` and `CustomLog path "format"|nickname` (mod_log_config)
// with mod_ssl's `%{SSL_CLIENT_*}x`. Escaping as ap_escape_logitem writes it: `"` and `\` get a
// backslash, \b \n \r \t \v are written as such and other control bytes as `\xhh`, so a PEM
// logged with `%{SSL_CLIENT_CERT}x` arrives on one line with `\n` between its lines.
import { headerField, type FieldName } from './fields.ts';
import { chooseFormat, LogFormatError, type CompiledLogFormat, type FoundFormat } from './compiled.ts';
import type { Segment, Slot } from './template.ts';
import { CLF_BRACKETED_TIME, epochTime, fractionTime, strftimeTime, type TimeReader } from './time.ts';

const C_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t', b: '\b', v: '\v', f: '\f' };

/** Undoes ap_escape_logitem. */
export function unescapeApache(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  const bytes: number[] = [];
  const flush = () => {
    if (bytes.length) out += Buffer.from(bytes.splice(0)).toString('utf8');
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
      continue;
    }
    flush();
    const e = c === '\\' ? C_ESCAPES[s[i + 1] ?? ''] : undefined;
    if (e !== undefined) {
      out += e;
      i++;
    } else out += c;
  }
  flush();
  return out;
}

/** Logical lines of an Apache configuration: `\` continuations joined, comments and blanks dropped. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of text.split(/\r?\n/)) {
    if (raw.endsWith('\\')) {
      cur += raw.slice(0, -1);
      continue;
    }
    const line = (cur + raw).trim();
    cur = '';
    if (line && !line.startsWith('#')) out.push(line);
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Arguments as ap_getword_conf splits them: quoted words lose the backslash before their own quote. */
function words(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    const q = line[i];
    if (q === '"' || q === "'") {
      let v = '';
      i++;
      while (i < line.length && line[i] !== q) {
        if (line[i] === '\\' && line[i + 1] === q) {
          v += q;
          i += 2;
        } else v += line[i++];
      }
      if (i >= line.length) throw new LogFormatError('syntax', `unterminated quoted string in the Apache configuration: ${line.slice(0, 60)}`);
      i++;
      out.push(v);
    } else {
      const start = i;
      while (i < line.length && !/\s/.test(line[i]!)) i++;
      out.push(line.slice(start, i));
    }
  }
  return out;
}

const SSL_VARS: Readonly<Record<string, FieldName>> = {
  SSL_CLIENT_VERIFY: 'tls_verify',
  SSL_CLIENT_S_DN: 'cert_subject',
  SSL_CLIENT_I_DN: 'cert_issuer',
  SSL_CLIENT_M_SERIAL: 'cert_serial',
  SSL_CLIENT_CERT: 'cert_pem',
  SSL_CLIENT_V_START: 'cert_not_before',
  SSL_CLIENT_V_END: 'cert_not_after',
  SSL_TLS_SNI: 'host',
  // `on` / `off`: read as https / http (custom/fields.ts), so a logged Host makes a full URL.
  HTTPS: 'scheme',
};

/**
 * Environment variables set from the request by the configuration Holdfast recommends
 * (`SetEnvIf Authorization "^([A-Za-z0-9_-]+) " HOLDFAST_AUTHZ_SCHEME=$1`, lib/ingest/gateway-configs.ts).
 */
const ENV_VARS: Readonly<Record<string, FieldName>> = {
  UNIQUE_ID: 'request_id',
  HOLDFAST_AUTHZ_SCHEME: 'auth_scheme',
  AUTHZ_SCHEME: 'auth_scheme',
  HOLDFAST_HAS_DPOP: 'has_dpop',
  HAS_DPOP: 'has_dpop',
  HOLDFAST_TOKEN_CLAIMS: 'token_payload',
};

/** Simple directives: the field (or label) and the shape of the value. */
const LETTERS: Readonly<Record<string, { field?: FieldName; label: string; pattern?: string }>> = {
  a: { field: 'client_ip', label: 'client_ip' },
  h: { field: 'client_ip', label: 'remote_host' },
  A: { label: 'local_ip' },
  b: { label: 'bytes', pattern: '\\d+' },
  B: { label: 'bytes', pattern: '\\d+' },
  D: { label: 'duration_us', pattern: '\\d+' },
  T: { label: 'duration', pattern: '\\d+' },
  f: { label: 'filename' },
  H: { label: 'protocol' },
  I: { label: 'bytes_in', pattern: '\\d+' },
  O: { label: 'bytes_out', pattern: '\\d+' },
  S: { label: 'bytes_total', pattern: '\\d+' },
  k: { label: 'keepalive_requests', pattern: '\\d+' },
  l: { label: 'ident' },
  L: { label: 'log_id' },
  m: { field: 'method', label: 'method' },
  p: { label: 'port', pattern: '\\d+' },
  P: { label: 'pid' },
  q: { field: 'query', label: 'query' },
  r: { field: 'request_line', label: 'request' },
  R: { label: 'handler' },
  s: { field: 'status', label: 'status', pattern: '\\d{3}' },
  u: { label: 'remote_user' },
  U: { field: 'path', label: 'path' },
  v: { field: 'host', label: 'server_name' },
  V: { field: 'host', label: 'host' },
  X: { label: 'connection_status' },
};

/** `%{…}t`: strftime, or Apache's own sec/msec/usec and the fractions, with an optional begin:/end:. */
function apacheTime(arg: string | null): TimeReader | null {
  if (arg === null) return CLF_BRACKETED_TIME;
  const a = arg.replace(/^(?:begin|end):/, '');
  switch (a) {
    case 'sec':
      return epochTime(1);
    case 'msec':
      return epochTime(1000);
    case 'usec':
      return epochTime(1_000_000);
    case 'msec_frac':
      return fractionTime(3);
    case 'usec_frac':
      return fractionTime(6);
    default:
      return strftimeTime(a);
  }
}

function apacheSlot(letter: string, arg: string | null, spec: string, warnings: string[]): Slot {
  const base = { kind: 'slot' as const, spec, decode: unescapeApache, escapesQuotes: true };
  if (letter === 't') {
    const time = apacheTime(arg);
    if (!time) {
      warnings.push(`${spec}: a time format Holdfast cannot read; kept as a label`);
      return { ...base, field: null, label: `time:${arg}` };
    }
    return { ...base, field: null, label: spec, time, pattern: time.pattern };
  }
  if (letter === 'i' && arg) {
    const h = headerField(arg);
    return { ...base, field: h?.field ?? null, header: h?.header, label: arg.toLowerCase() };
  }
  if ((letter === 'x' || letter === 'e') && arg) {
    const f = SSL_VARS[arg] ?? (letter === 'e' ? ENV_VARS[arg] : undefined);
    return { ...base, field: f ?? null, label: letter === 'x' ? arg : `env:${arg}` };
  }
  if (letter === 'o' && arg) return { ...base, field: null, label: `resp:${arg.toLowerCase()}` };
  if (letter === 'C' && arg) return { ...base, field: null, label: `cookie:${arg}` };
  if (letter === 'n' && arg) return { ...base, field: null, label: `note:${arg}` };
  const known = LETTERS[letter];
  if (known) {
    // %{c}a and %{c}h are the TCP peer (mod_remoteip rewrites %a and %h); %{remote}p and friends are ports.
    if ((letter === 'a' || letter === 'h') && arg === 'c') return { ...base, field: 'peer_ip', label: 'peer_ip', pattern: known.pattern };
    return { ...base, field: known.field ?? null, label: known.label, pattern: known.pattern };
  }
  warnings.push(`${spec}: a directive Holdfast does not know; kept as a label`);
  return { ...base, field: null, label: spec };
}

/** mod_log_config's format string → segments. `%%` is a percent sign; `\n` and `\t` are the characters. */
function templateOf(format: string, warnings: string[]): Segment[] {
  const segs: Segment[] = [];
  let lit = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '\\' && (format[i + 1] === 'n' || format[i + 1] === 't')) {
      lit += format[++i] === 'n' ? '\n' : '\t';
      continue;
    }
    if (c !== '%') {
      lit += c;
      continue;
    }
    // %[!][status,list][<>][{arg}]letter, or %^ti / %^to
    const m = /^%!?(?:\d{3}(?:,\d{3})*)?[<>]?(?:\{([^}]*)\})?(\^t[io]|[a-zA-Z%])/.exec(format.slice(i));
    if (!m) throw new LogFormatError('syntax', `unreadable directive in the LogFormat at "${format.slice(i, i + 12)}"`);
    i += m[0].length - 1;
    if (m[2] === '%') {
      lit += '%';
      continue;
    }
    segs.push({ kind: 'lit', text: lit });
    lit = '';
    segs.push(apacheSlot(m[2]!, m[1] ?? null, m[0], warnings));
  }
  segs.push({ kind: 'lit', text: lit });
  return segs;
}

/** mod_log_config's default when nothing is configured (Common Log Format). */
const DEFAULT_FORMAT = '%h %l %u %t "%r" %>s %b';

/** Compiles the Apache configuration's log format (`name` = a LogFormat nickname, or a CustomLog's path for an inline format). */
export function compileApache(config: string, name?: string, timeZone?: string): CompiledLogFormat {
  const formats = new Map<string, string>();
  let defaultFormat: string | null = null;
  const used: Array<{ name: string; format: string }> = [];
  // mod_remoteip sets %a and %h from a proxy header or the PROXY protocol: then they are not the TCP peer (%{c}a is).
  let remoteIp: string | null = null;
  for (const line of logicalLines(config)) {
    const [directive, ...args] = words(line);
    const d = directive?.toLowerCase();
    if (d === 'remoteipheader' || d === 'remoteipproxyprotocol') remoteIp = `mod_remoteip (${directive})`;
    if (d === 'logformat' && args[0] !== undefined) {
      if (args[1]) formats.set(args[1], args[0]);
      else defaultFormat = formats.get(args[0]) ?? args[0];
    } else if (d === 'customlog' && args[0] && args[1]) {
      used.push({ name: formats.has(args[1]) ? args[1] : args[0], format: formats.get(args[1]) ?? args[1] });
    } else if (d === 'transferlog' && args[0]) {
      used.push({ name: args[0], format: defaultFormat ?? DEFAULT_FORMAT });
    }
  }
  const found: FoundFormat[] = [];
  const add = (n: string, format: string) => {
    if (found.some((f) => f.name === n)) return;
    const warnings: string[] = [];
    found.push({ name: n, title: `LogFormat '${n}'`, segments: templateOf(format, warnings), warnings, clientIpRewrittenBy: remoteIp });
  };
  for (const [n, format] of formats) add(n, format);
  for (const u of used) add(u.name, u.format);
  return chooseFormat('apache', found, used.map((u) => u.name), name, { noun: 'LogFormat' }, timeZone);
}
