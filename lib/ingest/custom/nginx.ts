// NGINX: `log_format name [escape=default|json|none] '...' '...';` read from the configuration
// (any block, quoted segments concatenated, `$var` and `${var}`), and the format an `access_log`
// uses. Escaping as ngx_http_log_module writes it: `default` turns `"`, `\` and bytes outside
// 32–126 into `\xHH`; `json` writes JSON string escapes; `none` writes values as they are. An
// unset variable is `-` (or empty with escape=json).
import { FieldError } from '../fields.ts';
import { headerField, type FieldName } from './fields.ts';
import { chooseFormat, LogFormatError, type CompiledLogFormat, type FoundFormat } from './compiled.ts';
import type { Segment, Slot } from './template.ts';
import { CLF_TIME, epochTime, ISO_TIME, type TimeReader } from './time.ts';

interface Directive {
  name: string;
  args: string[];
  block: Directive[] | null;
}

type Token = { t: 'word'; v: string } | { t: ';' | '{' | '}' };

const CONFIG_ESCAPES: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', t: '\t', r: '\r', n: '\n' };

/** nginx.conf → tokens, as ngx_conf_read_token reads it (quotes, backslash escapes, `#` comments, `${var}` in words). */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === ';' || c === '{' || c === '}') {
      out.push({ t: c });
      i++;
    } else if (c === '"' || c === "'") {
      let v = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) {
          const e = CONFIG_ESCAPES[text[i + 1]!];
          v += e ?? `\\${text[i + 1]}`;
          i += 2;
        } else v += text[i++];
      }
      if (i >= text.length) throw new LogFormatError('syntax', `unterminated ${c === '"' ? 'double' : 'single'}-quoted string in the NGINX configuration`);
      i++;
      out.push({ t: 'word', v });
    } else {
      let v = '';
      while (i < text.length && !/[\s;{}]/.test(text[i]!)) {
        if (text[i] === '\\' && i + 1 < text.length) {
          v += text[i + 1];
          i += 2;
        } else if (text[i] === '$' && text[i + 1] === '{') {
          const close = text.indexOf('}', i);
          if (close === -1) throw new LogFormatError('syntax', 'unterminated ${…} variable in the NGINX configuration');
          v += text.slice(i, close + 1);
          i = close + 1;
        } else v += text[i++];
      }
      out.push({ t: 'word', v });
    }
  }
  return out;
}

function parseDirectives(tokens: Token[]): Directive[] {
  let pos = 0;
  const block = (depth: number): Directive[] => {
    const list: Directive[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos]!;
      if (tok.t === '}') {
        if (depth === 0) throw new LogFormatError('syntax', 'unexpected "}" in the NGINX configuration');
        pos++;
        return list;
      }
      if (tok.t !== 'word') {
        pos++;
        continue;
      }
      const words: string[] = [];
      while (pos < tokens.length && tokens[pos]!.t === 'word') words.push((tokens[pos++] as { v: string }).v);
      const end = tokens[pos];
      pos++;
      if (end?.t === '{') list.push({ name: words[0]!, args: words.slice(1), block: block(depth + 1) });
      else list.push({ name: words[0]!, args: words.slice(1), block: null });
    }
    if (depth > 0) throw new LogFormatError('syntax', 'unterminated block in the NGINX configuration (missing "}")');
    return list;
  };
  return block(0);
}

function* walk(list: Directive[]): Generator<Directive> {
  for (const d of list) {
    yield d;
    if (d.block) yield* walk(d.block);
  }
}

type Escape = 'default' | 'json' | 'none';

/** `\xHH` sequences (NGINX's default escaping) → the bytes they stand for, read as UTF-8. */
export function unescapeNginxDefault(s: string): string {
  if (!s.includes('\\x')) return s;
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

/** JSON string escapes, for an escape=json format that is not itself a JSON object. */
function unescapeJsonString(s: string): string {
  if (!s.includes('\\')) return s;
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    throw new FieldError('invalid_value', `bad JSON escape in ${JSON.stringify(s.slice(0, 40))}`);
  }
}

const DECODERS: Record<Escape, (s: string) => string> = { default: unescapeNginxDefault, json: unescapeJsonString, none: (s) => s };

/** The variables Holdfast reads; every other one is a label under its own name. */
const NGINX_FIELDS: Readonly<Record<string, FieldName>> = {
  status: 'status',
  request_method: 'method',
  request_uri: 'path',
  uri: 'path',
  document_uri: 'path',
  args: 'query',
  query_string: 'query',
  request: 'request_line',
  scheme: 'scheme',
  host: 'host',
  server_name: 'host',
  ssl_server_name: 'host',
  remote_addr: 'client_ip',
  realip_remote_addr: 'peer_ip',
  request_id: 'request_id',
  holdfast_correlation_id: 'correlation_id',
  correlation_id: 'correlation_id',
  ssl_client_verify: 'tls_verify',
  ssl_client_s_dn: 'cert_subject',
  ssl_client_s_dn_legacy: 'cert_subject',
  ssl_client_i_dn: 'cert_issuer',
  ssl_client_i_dn_legacy: 'cert_issuer',
  ssl_client_serial: 'cert_serial',
  ssl_client_fingerprint: 'cert_sha1',
  ssl_client_escaped_cert: 'cert_pem',
  ssl_client_cert: 'cert_pem',
  ssl_client_raw_cert: 'cert_pem',
  ssl_client_v_start: 'cert_not_before',
  ssl_client_v_end: 'cert_not_after',
  // Computed by njs or a map (NGINX 1.22 has no SHA-256 certificate variable): the names the
  // Holdfast docs suggest, and the obvious ones.
  ssl_client_x5t_s256: 'cert_x5t',
  client_cert_x5t: 'cert_x5t',
  ssl_client_sha256: 'cert_sha256_hex',
  authz_scheme: 'auth_scheme',
  auth_scheme: 'auth_scheme',
  token_fingerprint: 'token_fingerprint',
  token_sha256: 'token_fingerprint',
  has_dpop: 'has_dpop',
  cnf_jkt: 'cnf_jkt',
  token_cnf_jkt: 'cnf_jkt',
  cnf_x5t: 'cnf_x5t',
  token_cnf_x5t: 'cnf_x5t',
  // The njs module Holdfast recommends (lib/ingest/gateway-configs.ts).
  holdfast_token_sha256: 'token_fingerprint',
  holdfast_token_client_id: 'token_client_id',
  holdfast_token_sub: 'token_sub',
  holdfast_token_exp: 'token_exp',
  holdfast_cnf_jkt: 'cnf_jkt',
  holdfast_cnf_x5t: 'cnf_x5t',
  holdfast_cert_x5t: 'cert_x5t',
};

const NGINX_TIMES: Readonly<Record<string, TimeReader>> = {
  time_iso8601: ISO_TIME,
  time_local: CLF_TIME,
  msec: epochTime(1),
};

const NUMERIC = new Set(['status', 'body_bytes_sent', 'bytes_sent', 'request_length', 'connection', 'connection_requests', 'remote_port', 'server_port', 'pid']);

function nginxSlot(name: string, escape: Escape): Slot {
  const base = { kind: 'slot' as const, spec: `$${name}`, label: name, decode: DECODERS[escape], escapesQuotes: escape !== 'none' };
  const time = NGINX_TIMES[name];
  if (time) return { ...base, field: null, time, pattern: time.pattern };
  const pattern = name === 'status' ? '\\d{3}' : NUMERIC.has(name) ? '\\d+' : name === 'request_time' ? '\\d+\\.\\d+' : undefined;
  const known = NGINX_FIELDS[name];
  if (known) return { ...base, field: known, pattern };
  if (name.startsWith('http_')) {
    const h = headerField(name.slice(5));
    if (h) return { ...base, field: h.field, header: h.header };
  }
  return { ...base, field: null, pattern };
}

/** A log_format string → segments (`$name`, `${name}`; a `$` without a name is text). */
function templateOf(format: string, escape: Escape): Segment[] {
  const segs: Segment[] = [];
  const re = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
  let last = 0;
  for (const m of format.matchAll(re)) {
    segs.push({ kind: 'lit', text: format.slice(last, m.index) });
    segs.push(nginxSlot(m[1] ?? m[2]!, escape));
    last = m.index! + m[0].length;
  }
  segs.push({ kind: 'lit', text: format.slice(last) });
  return segs;
}

/** NGINX's built-in format, used by an access_log that names none. */
const COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

/** Compiles the NGINX configuration's log format (`name` = the log_format name). */
export function compileNginx(config: string, name?: string, timeZone?: string): CompiledLogFormat {
  const directives = [...walk(parseDirectives(tokenize(config)))];
  const found: FoundFormat[] = [];
  // `map $ssl_client_verify $mtls_ok { SUCCESS 1; default 0; }`: the mapped variable says less than
  // the verify result (0 is any failure, or no certificate), so it is not read as one; it is named.
  const mappedFromVerify = new Set(
    directives.filter((d) => d.name === 'map' && /^\$\{?ssl_client_verify\}?$/.test(d.args[0] ?? '') && d.args[1]?.startsWith('$')).map((d) => d.args[1]!.replace(/^\$\{?|\}$/g, '')),
  );
  // The realip module sets $remote_addr from X-Real-IP / X-Forwarded-For / PROXY protocol: then it is
  // not the TCP peer ($realip_remote_addr is). Anywhere in the configuration: a format may serve several servers.
  const realIp = directives.some((d) => d.name === 'set_real_ip_from' || d.name === 'real_ip_header') ? 'the realip module (set_real_ip_from)' : null;
  for (const d of directives) {
    if (d.name !== 'log_format') continue;
    const [fname, ...rest] = d.args;
    if (!fname) throw new LogFormatError('syntax', 'log_format without a name');
    let escape: Escape = 'default';
    if (rest[0]?.startsWith('escape=')) {
      const e = rest.shift()!.slice('escape='.length);
      if (e !== 'default' && e !== 'json' && e !== 'none') throw new LogFormatError('syntax', `log_format '${fname}': unknown escape=${e.slice(0, 20)}`);
      escape = e;
    }
    if (rest.length === 0) throw new LogFormatError('syntax', `log_format '${fname}' has no format string`);
    const segments = templateOf(rest.join(''), escape);
    const logged = new Set(segments.flatMap((x) => (x.kind === 'slot' ? [x.label] : [])));
    const verifyMaps = [...mappedFromVerify].filter((v) => logged.has(v)).map((v) => `$${v}`);
    found.push({ name: fname, title: `log_format '${fname}'`, segments, warnings: [], verifyMaps, clientIpRewrittenBy: realIp });
  }
  const used: string[] = [];
  for (const d of directives) {
    if (d.name !== 'access_log' || d.args[0] === 'off' || d.args.length === 0) continue;
    const f = d.args[1] && !d.args[1].includes('=') ? d.args[1] : 'combined';
    if (!used.includes(f)) used.push(f);
  }
  if (used.includes('combined') && !found.some((f) => f.name === 'combined')) {
    found.push({ name: 'combined', title: "log_format 'combined'", segments: templateOf(COMBINED, 'default'), warnings: [], clientIpRewrittenBy: realIp });
  }
  return chooseFormat('nginx', found, used, name, { noun: 'log_format' }, timeZone);
}
