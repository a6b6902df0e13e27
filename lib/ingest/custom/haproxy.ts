// HAProxy 2.6: the log format of a frontend (or listen) section — its `log-format`, or the one
// `option httplog` / `option httpslog` / `option httplog clf` stand for — inherited from the
// `defaults` section before it, with the frontend's request captures (`capture request header X
// len N`, `http-request capture <sample> len N`, `declare capture request len N`) numbered in
// declaration order, as `capture.req.hdr(N)` and `%hr` number them. Escaping as HAProxy writes
// it: `%r`, `%HU` and captured headers turn `"`, `#`, `{`, `|`, `}` and control bytes into `#XX`;
// `%{+E}` puts a backslash before `"`, `\` and `]`; `%{+Q}` wraps strings in double quotes
// without escaping what is inside; unset values are `-`. Spaces in the format are separators:
// `%hr`/`%hs` print nothing without captures and leave one space, not two (checked on the real 2.6).
import { headerField, isSensitiveSlot, redactSlotValue, type FieldName, type SlotValue } from './fields.ts';
import { chooseFormat, LogFormatError, type CompiledLogFormat, type FoundFormat } from './compiled.ts';
import type { Segment, Slot } from './template.ts';
import { CLF_TIME, epochTime, fractionTime, HAPROXY_DATE, type TimeReader } from './time.ts';

/** HAProxy's own formats for the options (configuration manual, 2.6, section 8.2). */
export const HAPROXY_OPTION_FORMATS: Readonly<Record<string, string>> = {
  httplog: '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r',
  httpslog:
    '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc',
  'httplog clf':
    '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl',
  tcplog: '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq',
};

const SECTIONS = new Set([
  'global', 'defaults', 'frontend', 'backend', 'listen', 'peers', 'resolvers', 'userlist', 'cache', 'program', 'http-errors', 'ring', 'mailers', 'fcgi-app', 'log-forward',
]);

/** One configuration line → words, as HAProxy's parser splits it (quotes, backslash escapes, `#` comments). */
function words(line: string): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '#') break;
    if (/\s/.test(c)) {
      if (cur !== null) out.push(cur);
      cur = null;
      continue;
    }
    cur ??= '';
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && i + 1 < line.length) cur += line[++i];
        else cur += line[i];
      }
      if (i >= line.length) throw new LogFormatError('syntax', `unterminated double quote in the HAProxy configuration: ${line.trim().slice(0, 60)}`);
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close === -1) throw new LogFormatError('syntax', `unterminated single quote in the HAProxy configuration: ${line.trim().slice(0, 60)}`);
      cur += line.slice(i + 1, close);
      i = close;
    } else cur += c;
  }
  if (cur !== null) out.push(cur);
  return out;
}

/** A request capture slot: the header it captures, or the sample expression. */
interface Capture {
  header: string | null;
  sample: string | null;
  /** Its `len`: HAProxy keeps that many bytes of the value and drops the rest. */
  len?: number;
}

/** The `len N` of a capture line, when it has one. */
function captureLen(w: string[]): number | undefined {
  const i = w.indexOf('len');
  const n = i > 0 ? Number(w[i + 1]) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

interface ProxyState {
  kind: string;
  name: string;
  format: string | null;
  captures: Capture[];
  /** Response captures (`%hs` prints nothing without any). */
  responseCaptures: number;
  /** `http-request set-var(txn.x) <expr>`: what `var(txn.x)` holds. */
  vars: Map<string, string>;
  logLen: number | null;
  /** `bind` lines with and without `ssl`: a frontend whose binds all terminate TLS serves https only. */
  binds: { ssl: number; plain: number };
}

/** What a sample expression may refer to in its frontend. */
interface SampleScope {
  captures: Capture[];
  vars: Map<string, string>;
}

/** `req.hdr(X)`, `hdr(X)`, `req.fhdr(X[,occ])` → X. */
function headerOfSample(sample: string): string | null {
  const m = /^(?:req\.)?f?hdr\(([^,)]+)(?:,[^)]*)?\)$/i.exec(sample.replace(/\s/g, ''));
  return m ? m[1]! : null;
}

/** The sections, frontends and listens with what they log. */
function readSections(config: string): ProxyState[] {
  const proxies: ProxyState[] = [];
  const namedDefaults = new Map<string, ProxyState>();
  const noBinds = () => ({ ssl: 0, plain: 0 });
  let defaults: ProxyState = { kind: 'defaults', name: '', format: null, captures: [], responseCaptures: 0, vars: new Map(), logLen: null, binds: noBinds() };
  let globalLen: number | null = null;
  let cur: ProxyState | null = null;
  let inGlobal = false;
  for (const raw of config.split(/\r?\n/)) {
    const w = words(raw);
    if (w.length === 0) continue;
    const kw = w[0]!;
    if (SECTIONS.has(kw)) {
      inGlobal = kw === 'global';
      cur = null;
      if (kw === 'defaults') {
        defaults = { kind: 'defaults', name: w[1] ?? '', format: null, captures: [], responseCaptures: 0, vars: new Map(), logLen: null, binds: noBinds() };
        if (w[1]) namedDefaults.set(w[1], defaults);
        cur = defaults;
      } else if (kw === 'frontend' || kw === 'listen') {
        const from = w[2] === 'from' && w[3] ? namedDefaults.get(w[3]) : undefined;
        const base = from ?? defaults;
        cur = { kind: kw, name: w[1] ?? '', format: base.format, captures: [], responseCaptures: 0, vars: new Map(base.vars), logLen: base.logLen ?? globalLen, binds: noBinds() };
        proxies.push(cur);
      }
      continue;
    }
    if (kw === 'log' && w[1] !== 'global') {
      const li = w.indexOf('len');
      const len = li > 0 && w[li + 1] ? Number(w[li + 1]) : 1024;
      if (inGlobal) globalLen = len;
      else if (cur) cur.logLen = len;
      continue;
    }
    if (!cur) continue;
    if (kw === 'bind') {
      if (w.includes('ssl')) cur.binds.ssl++;
      else cur.binds.plain++;
    } else if (kw === 'log-format') cur.format = w.slice(1).join(' ');
    else if (kw === 'option' && (w[1] === 'httplog' || w[1] === 'httpslog' || w[1] === 'tcplog')) {
      cur.format = HAPROXY_OPTION_FORMATS[w[1] === 'httplog' && w[2] === 'clf' ? 'httplog clf' : w[1]]!;
    } else if (kw === 'no' && w[1] === 'option' && /^(https?log|tcplog)$/.test(w[2] ?? '')) cur.format = null;
    else if (kw === 'capture' && w[1] === 'request' && w[2] === 'header' && w[3]) cur.captures.push({ header: w[3], sample: null, len: captureLen(w) });
    else if (kw === 'declare' && w[1] === 'capture' && w[2] === 'request') cur.captures.push({ header: null, sample: null });
    else if ((kw === 'capture' && w[1] === 'response') || (kw === 'declare' && w[1] === 'capture' && w[2] === 'response')) cur.responseCaptures++;
    else if (kw === 'http-response' && w[1] === 'capture' && w.includes('len')) cur.responseCaptures++;
    else if (kw === 'http-request' && /^set-var\((?:txn|req|sess)\.[\w.]+\)$/.test(w[1] ?? '') && w[2]) {
      cur.vars.set(w[1]!.slice('set-var('.length, -1), w[2]);
    } else if (kw === 'http-request' && w[1] === 'capture' && w[2]) {
      const idAt = w.indexOf('id', 3);
      const capture = { header: headerOfSample(w[2]), sample: w[2], len: captureLen(w) };
      if (idAt > 0 && w[idAt + 1] !== undefined && cur.captures[Number(w[idAt + 1])]) cur.captures[Number(w[idAt + 1])] = capture;
      else if (w.includes('len')) cur.captures.push(capture);
    }
  }
  return proxies;
}

/** `#XX` (HAProxy's encoding of `"`, `#`, `{`, `|`, `}`, control bytes in URIs and captured headers) → the byte. */
export function unescapeHash(s: string): string {
  if (!s.includes('#')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '#' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `%{+E}`: a backslash before `"`, `\` and `]`. */
function unescapeE(s: string): string {
  return s.includes('\\') ? s.replace(/\\(["\\\]])/g, '$1') : s;
}

interface Flags {
  Q: boolean;
  E: boolean;
}

const HAPROXY_TIMES: Readonly<Record<string, TimeReader>> = {
  t: HAPROXY_DATE,
  tr: HAPROXY_DATE,
  trg: CLF_TIME,
  trl: CLF_TIME,
  T: CLF_TIME,
  Tl: CLF_TIME,
  Ts: epochTime(1),
  ms: fractionTime(3),
};

/** Variables that read into fields; `hash` marks those written with #XX encoding. */
const HAPROXY_VARS: Readonly<Record<string, { field: FieldName; hash?: boolean; pattern?: string }>> = {
  ci: { field: 'client_ip' },
  ST: { field: 'status', pattern: '\\d{3}' },
  r: { field: 'request_line', hash: true },
  HM: { field: 'method' },
  HU: { field: 'path', hash: true },
  HP: { field: 'path', hash: true },
  HQ: { field: 'query', hash: true },
  ID: { field: 'request_id' },
};

/** Variables HAProxy always prints as strings: `%{+Q}` quotes them for sure. */
const STRING_VARS = new Set(['r', 'HM', 'HU', 'HP', 'HQ', 'HV', 'ID', 'f', 'ft', 'b', 's', 'CC', 'CS']);

/** Variables HAProxy prints without a space (names, addresses, URIs as sent, flags): their end is the next space. */
const WORD_VARS = new Set(['HM', 'HU', 'HP', 'HQ', 'HV', 'f', 'ft', 'b', 's', 'fi', 'bi', 'si', 'ts', 'tsc', 'sslv', 'sslc']);

const NUMERIC_VARS = new Set(['cp', 'fp', 'bp', 'sp', 'B', 'U', 'TR', 'Tw', 'Tc', 'Tr', 'Ta', 'Th', 'Ti', 'Tq', 'Tt', 'Td', 'Tu', 'ac', 'fc', 'bc', 'sc', 'rc', 'sq', 'bq', 'lc', 'rt', 'pid']);

const CERT_DIGEST = /^ssl_c_der$/;

/** `,a,b(1,2),c` → ['a', 'b(1,2)', 'c']: commas inside a converter's arguments do not split. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === ',' && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** A `%[fetch,conv…]` sample → the field it fills (after resolving capture.req.hdr(N)), or null. */
function sampleField(expr: string, scope: SampleScope, depth = 0): { field: FieldName; header?: string } | null {
  const e = expr.replace(/\s/g, '');
  const { captures } = scope;
  const m = /^([a-z0-9_.]+)(?:\(([^)]*)\))?((?:,[a-z0-9_]+(?:\([^)]*\))?)*)$/i.exec(e);
  if (!m) return null;
  const [, fetch, args = '', convText = ''] = m;
  const convs = splitTopLevel(convText).map((c) => c.replace(/\(\)$/, ''));
  const only = (...want: string[]) => convs.length === want.length && want.every((w, i) => convs[i] === w);
  switch (fetch) {
    case 'ssl_c_verify':
      return convs.length === 0 ? { field: 'tls_verify_code' } : null;
    case 'ssl_c_err':
      return convs.length === 0 ? { field: 'tls_err_code' } : null;
    case 'ssl_c_ca_err':
      return convs.length === 0 ? { field: 'tls_ca_err_code' } : null;
    case 'ssl_c_used':
      return convs.length === 0 ? { field: 'tls_cert_used' } : null;
    case 'ssl_c_s_dn':
    case 'ssl_c_i_dn':
      // A whole DN only: an entry argument (`ssl_c_s_dn(CN)`) selects one attribute.
      if (convs.length || (args && args.split(',')[0] !== '')) return null;
      return { field: fetch === 'ssl_c_s_dn' ? 'cert_subject' : 'cert_issuer' };
    case 'ssl_c_serial':
      return only('hex') ? { field: 'cert_serial' } : null;
    case 'ssl_c_sha1':
      return only('hex') ? { field: 'cert_sha1' } : null;
    case 'ssl_c_notbefore':
      return convs.length === 0 ? { field: 'cert_not_before' } : null;
    case 'ssl_c_notafter':
      return convs.length === 0 ? { field: 'cert_not_after' } : null;
    case 'unique-id':
      return { field: 'request_id' };
    case 'ssl_fc_sni':
      return { field: 'host' };
    case 'ssl_fc':
      return convs.length === 0 ? { field: 'scheme' } : null;
    case 'src':
      return { field: 'client_ip' };
    case 'req.hdr':
    case 'hdr':
    case 'req.fhdr':
      return headerSampleField(args.split(',')[0]!, convs);
    case 'capture.req.hdr': {
      const c = captures[Number(args)];
      if (!c || depth > 0) return null;
      if (c.header) return headerField(c.header);
      return c.sample ? sampleField(c.sample, scope, depth + 1) : null;
    }
    case 'var': {
      // A variable set from a sample earlier in the frontend: that sample, with these converters after it.
      const set = scope.vars.get(args);
      return set && depth < 3 ? sampleField(`${set}${convText}`, scope, depth + 1) : null;
    }
    case 'req.hdr_cnt':
    case 'hdr_cnt':
      return args.toLowerCase() === 'dpop' && convs.length === 0 ? { field: 'has_dpop' } : null;
    default:
      break;
  }
  if (CERT_DIGEST.test(fetch!)) {
    const sha256 = convs[0] === 'sha2(256)' || convs[0] === 'sha2' || convs[0] === 'digest(sha256)';
    if (sha256 && convs.length === 2 && (convs[1] === 'ub64enc' || convs[1] === 'base64url')) return { field: 'cert_x5t' };
    if (sha256 && convs.length === 2 && convs[1] === 'hex') return { field: 'cert_sha256_hex' };
    if (sha256 && convs.length === 2 && convs[1] === 'base64') return { field: 'cert_sha256_b64' };
    if (only('base64')) return { field: 'cert_der_b64' };
    return null;
  }
  return null;
}

/** JWT claims HAProxy reads with `jwt_payload_query('$.<path>')` (the configuration Holdfast recommends). */
const CLAIM_FIELDS: Readonly<Record<string, FieldName>> = {
  client_id: 'token_client_id',
  sub: 'token_sub',
  exp: 'token_exp',
  'cnf.jkt': 'cnf_jkt',
  'cnf.x5t#S256': 'cnf_x5t',
};

const SHA256 = new Set(['sha2(256)', 'sha2', 'digest(sha256)']);

/**
 * A request header fetch with its converters. The Authorization header hashed at the gateway
 * (`req.hdr(Authorization),word(2,' '),sha2(256),ub64enc`) is Holdfast's token fingerprint, its
 * first word (`word(1,' ')`) the scheme: the gateway never writes the token itself.
 */
function headerSampleField(header: string, convs: string[]): { field: FieldName; header?: string } | null {
  if (convs.length === 0) return headerField(header);
  if (header.toLowerCase() !== 'authorization') return null;
  if (convs.length === 1 && convs[0]!.startsWith('word(1,')) return { field: 'auth_scheme' };
  if (convs.length === 1 && convs[0]!.startsWith('word(2,')) return { field: 'credential' };
  const claim = convs.length === 2 && convs[0]!.startsWith('word(2,') ? /^jwt_payload_query\('?\$\.([\w.#]+)'?(?:,(?:int|str|bool))?\)$/.exec(convs[1]!) : null;
  if (claim) return CLAIM_FIELDS[claim[1]!] ? { field: CLAIM_FIELDS[claim[1]!]! } : null;
  if (convs.length === 3 && convs[0]!.startsWith('word(2,') && SHA256.has(convs[1]!) && (convs[2] === 'ub64enc' || convs[2] === 'base64url')) {
    return { field: 'token_fingerprint' };
  }
  return null;
}

function slotDecoder(flags: Flags, hash: boolean): (s: string) => string {
  if (hash && flags.E) return (s) => unescapeHash(unescapeE(s));
  if (hash) return unescapeHash;
  if (flags.E) return unescapeE;
  return (s) => s;
}

/** `%hr` / `%hrl`: every request capture, in order, `{a|b}` or `"a" "b"`. */
function captureSlot(name: 'hr' | 'hrl', scope: SampleScope, spec: string, flags: Flags): Slot {
  const { captures } = scope;
  const targets = captures.map((c, i) => {
    const f = c.header ? headerField(c.header) : c.sample ? sampleField(c.sample, scope, 1) : null;
    return { field: f?.field ?? null, header: f?.header, label: c.header ? `capture:${c.header.toLowerCase()}` : `capture:${c.sample ?? i}` };
  });
  const expand = (raw: string): SlotValue[] | null => {
    let parts: string[];
    if (name === 'hr') {
      if (!raw.startsWith('{') || !raw.endsWith('}')) return null;
      parts = raw.slice(1, -1).split('|');
    } else {
      parts = [...raw.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
    }
    if (parts.length !== targets.length) return null;
    return parts.map((p, i) => ({ ...targets[i]!, value: unescapeHash(p) }));
  };
  // `%{+Q}hr` wraps the whole block in quotes (`"{a|b}"`); `%{+Q}hrl` quotes each capture, which expand reads.
  const quotedBlock = name === 'hr' && flags.Q;
  const redactRaw = (raw: string): string => {
    const q = quotedBlock && raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? '"' : '';
    const block = q ? raw.slice(1, -1) : raw;
    const hr = name === 'hr' && block.startsWith('{') && block.endsWith('}');
    if (!hr) return targets.some(isSensitiveSlot) ? '[redacted]' : raw;
    const parts = block.slice(1, -1).split('|');
    return `${q}{${parts.map((p, i) => (targets[i] && isSensitiveSlot(targets[i]!) && p !== '' && p !== '-' ? redactSlotValue(targets[i]!, p) : p)).join('|')}}${q}`;
  };
  return {
    kind: 'slot', spec, field: null, label: name, decode: slotDecoder(flags, true), escapesQuotes: false, expand, redactRaw,
    expandsTo: targets.map((t) => t.field),
    pattern: name === 'hr' ? '\\{[^}]*\\}' : undefined,
    maybeQuoted: quotedBlock,
    mustQuote: quotedBlock,
  };
}

function varSlot(name: string, spec: string, flags: Flags, scope: SampleScope, responseCaptures: number): Slot | null {
  const base = { kind: 'slot' as const, spec, label: name, escapesQuotes: false, maybeQuoted: flags.Q, mustQuote: flags.Q && STRING_VARS.has(name) };
  const time = HAPROXY_TIMES[name];
  if (time) return { ...base, field: null, time, pattern: time.pattern, decode: (s: string) => s };
  if (name === 'hr' || name === 'hrl') return scope.captures.length ? captureSlot(name, scope, spec, flags) : null;
  const known = HAPROXY_VARS[name];
  if (known) return { ...base, field: known.field, pattern: known.pattern ?? (WORD_VARS.has(name) ? '\\S+' : undefined), decode: slotDecoder(flags, !!known.hash) };
  if (name === 'hs' || name === 'hsl') return responseCaptures ? { ...base, field: null, decode: slotDecoder(flags, true) } : null;
  return { ...base, field: null, pattern: NUMERIC_VARS.has(name) ? '-?\\d+' : WORD_VARS.has(name) ? '\\S+' : undefined, decode: slotDecoder(flags, false) };
}

function sampleSlot(expr: string, spec: string, flags: Flags, scope: SampleScope, warnings: string[]): Slot {
  const { captures } = scope;
  const f = sampleField(expr, scope);
  const fetch = /^[a-z0-9_.]+/i.exec(expr.trim())?.[0] ?? expr;
  if (!f && fetch === 'ssl_c_serial') warnings.push(`${spec}: a binary serial; log ssl_c_serial,hex to read it`);
  let label = expr.replace(/\s/g, '');
  const capture = /^capture\.req\.hdr\((\d+)\)$/.exec(label);
  if (capture) {
    const c = captures[Number(capture[1])];
    if (!c) warnings.push(`${spec}: the frontend declares no request capture ${capture[1]}`);
    label = c?.header ? c.header.toLowerCase() : (c?.sample ?? label);
  }
  return {
    kind: 'slot', spec, field: f?.field ?? null, header: f?.header, label, escapesQuotes: false, maybeQuoted: flags.Q,
    secret: !f && readsCredential(expr, scope),
    // `ssl_fc` is 1 on a TLS connection: the scheme.
    decode: f?.field === 'scheme' ? (v: string) => (v === '1' ? 'https' : v === '0' ? 'http' : v) : slotDecoder(flags, false),
    pattern: f?.field === 'tls_verify_code' || f?.field === 'tls_err_code' || f?.field === 'tls_ca_err_code' || f?.field === 'tls_cert_used' ? '\\d+' : f?.field === 'scheme' ? '[01]' : undefined,
  };
}

const CREDENTIAL_HEADERS = /(?:^|[,(])(?:req\.)?f?hdr\((?:authorization|proxy-authorization|dpop|cookie|x-api-key|api-key)\b/i;

/**
 * Whether a sample Holdfast does not read into a field still carries a credential: it reads the
 * Authorization, DPoP or Cookie header (through a capture or a variable, too) and is not a hash.
 */
function readsCredential(expr: string, scope: SampleScope, depth = 0): boolean {
  const e = expr.replace(/\s/g, '');
  if (/(?:sha1|sha2|digest|crc32|xxh\w*|djb2|sdbm|wt6)(?:\(|,|$)/i.test(e.replace(/^[^,]*/, ''))) return false;
  if (CREDENTIAL_HEADERS.test(e)) return true;
  const capture = /^capture\.req\.hdr\((\d+)\)/.exec(e);
  if (capture) {
    const c = scope.captures[Number(capture[1])];
    if (c?.header && /^(?:authorization|proxy-authorization|dpop|cookie|x-api-key|api-key)$/i.test(c.header)) return true;
    if (c?.sample && depth < 3) return readsCredential(c.sample, scope, depth + 1);
  }
  const v = /^var\(([^)]+)\)/.exec(e);
  const set = v ? scope.vars.get(v[1]!) : undefined;
  return set !== undefined && depth < 3 && readsCredential(`${set}${e.slice(v![0].length)}`, scope, depth + 1);
}

/** Closing `]` of a sample expression (none inside its parentheses). */
function sampleEnd(fmt: string, from: number): number {
  let depth = 0;
  for (let i = from; i < fmt.length; i++) {
    if (fmt[i] === '(') depth++;
    else if (fmt[i] === ')') depth--;
    else if (fmt[i] === ']' && depth <= 0) return i;
  }
  return -1;
}

function applyFlags(flags: Flags, text: string): Flags {
  const out = { ...flags };
  for (const f of text.split(',')) {
    const m = /^([+-])([QE])$/.exec(f.trim());
    if (m) out[m[2] as 'Q' | 'E'] = m[1] === '+';
  }
  return out;
}

/** A log-format string → segments. */
export function haproxyTemplate(fmt: string, scope: SampleScope, warnings: string[], responseCaptures = 0): Segment[] {
  const segs: Segment[] = [];
  let lit = '';
  let litSep = false;
  let globalFlags: Flags = { Q: false, E: false };
  const pushLit = () => {
    segs.push({ kind: 'lit', text: lit, sep: litSep });
    lit = '';
    litSep = false;
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c === ' ') {
      // Spaces are separators: several in a row are one, none is written before anything else.
      if (segs.length === 0 && lit.length === 0) continue;
      if (lit.length === 0) {
        litSep = true;
        lit = ' ';
      } else if (!lit.endsWith(' ')) lit += ' ';
      continue;
    }
    if (c !== '%') {
      lit += c;
      continue;
    }
    if (fmt[i + 1] === '%') {
      lit += '%';
      i++;
      continue;
    }
    const start = i;
    let j = i + 1;
    let flags = globalFlags;
    let flagText = '';
    if (fmt[j] === '{') {
      const close = fmt.indexOf('}', j);
      if (close === -1) throw new LogFormatError('syntax', `unterminated %{…} in the log-format at "${fmt.slice(i, i + 16)}"`);
      flagText = fmt.slice(j + 1, close);
      flags = applyFlags(globalFlags, flagText);
      j = close + 1;
    }
    let slot: Slot | null;
    if (fmt[j] === '[') {
      const end = sampleEnd(fmt, j + 1);
      if (end === -1) throw new LogFormatError('syntax', `unterminated %[…] in the log-format at "${fmt.slice(i, i + 24)}"`);
      const expr = fmt.slice(j + 1, end);
      slot = sampleSlot(expr, fmt.slice(start, end + 1), flags, scope, warnings);
      i = end;
    } else {
      const m = /^[A-Za-z]+/.exec(fmt.slice(j));
      if (!m) throw new LogFormatError('syntax', `unreadable variable in the log-format at "${fmt.slice(i, i + 12)}"`);
      i = j + m[0].length - 1;
      if (m[0] === 'o') {
        // `%{+Q}o`: flags for every variable after it.
        globalFlags = applyFlags(globalFlags, flagText);
        continue;
      }
      slot = varSlot(m[0], fmt.slice(start, i + 1), flags, scope, responseCaptures);
    }
    if (!slot) continue;
    pushLit();
    segs.push(slot);
  }
  pushLit();
  return segs;
}

/**
 * What HAProxy writes to a log besides requests: connection errors (`127.0.0.1:49990
 * [04/Dec/2026:10:47:58.245] fe/1: SSL handshake failure`, its error-log format, no certificate
 * facts) and proxy start/stop/health messages. Skipped, when a line does not match the format.
 */
const SERVICE_LINES: RegExp[] = [
  /^\S+:\d+ \[[^\]]+\] [^\s/]+\/[^\s:]+: [A-Za-z]/,
  /^(?:\[(?:WARNING|NOTICE|ALERT)\] +\(\d+\) : )?(?:Proxy|Stopping|Pausing|Resuming|Frontend|Backend|Server|Health check|Connect from) /,
  /^backend \S+ has no server available!/,
];

const LARGE_FIELDS = new Set<FieldName>(['cert_der_b64', 'cert_pem', 'authorization', 'dpop', 'forwarded_cert']);
/** Shortest Authorization capture that keeps a JWT access token whole (they run to a few KB with many claims). */
const AUTHORIZATION_CAPTURE_MIN = 4096;

/** Compiles the log format of one HAProxy frontend or listen section (`name` = its name). */
export function compileHaproxy(config: string, name?: string, timeZone?: string): CompiledLogFormat {
  const found: FoundFormat[] = [];
  // %ci is the TCP peer unless `set-src` or a PROXY-protocol bind (`accept-proxy`) replaces it.
  const setSrc = /(?:^|\s)(set-src|accept-proxy)(?:\s|$)/m.exec(config);
  const clientIpRewrittenBy = setSrc ? `"${setSrc[1]}"` : null;
  for (const p of readSections(config)) {
    if (!p.format) continue;
    const warnings: string[] = [];
    const segments = haproxyTemplate(p.format, p, warnings, p.responseCaptures);
    const title = `log-format of ${p.kind} '${p.name}'`;
    const fields = segments.flatMap((s) => (s.kind === 'slot' ? (s.expandsTo ?? [s.field]) : []));
    if (fields.includes('tls_verify_code') && !fields.includes('tls_err_code')) {
      warnings.push(`${title}: ssl_c_verify is the LAST verification error (an untrusted certificate reads 21, a self-signed one 3): log ssl_c_err and ssl_c_ca_err too`);
    }
    if ((p.logLen ?? 1024) < 4096 && fields.some((f) => f && LARGE_FIELDS.has(f))) {
      warnings.push(`${title}: lines longer than ${p.logLen ?? 1024} bytes are cut by HAProxy; add "len 16384" to the log line`);
    }
    // A captured Authorization header cut at `len` reads every longer token as its first bytes: one
    // fingerprint for many tokens, none of them the token's (a JWT is often 800–2,000 bytes).
    const cut = p.captures.find((c) => c.header?.toLowerCase() === 'authorization' && c.len !== undefined && c.len < AUTHORIZATION_CAPTURE_MIN);
    if (cut && fields.includes('authorization')) {
      warnings.push(`${title}: the Authorization capture keeps ${cut.len} bytes: longer tokens are cut and read as one; capture with len ${AUTHORIZATION_CAPTURE_MIN} or more, or log the token's sha2(256)`);
    }
    // Every bind of the frontend terminates TLS: its requests are https, a fact the format need not log.
    const constants: SlotValue[] = p.binds.ssl > 0 && p.binds.plain === 0 ? [{ field: 'scheme', label: 'bind ssl', value: 'https' }] : [];
    found.push({ name: p.name, title, segments, warnings, syslogTime: true, serviceLines: SERVICE_LINES, constants, clientIpRewrittenBy });
  }
  if (found.length === 0) throw new LogFormatError('no_log_format', 'no frontend or listen section of the HAProxy configuration has a log-format or option httplog/httpslog');
  // Several frontends usually log to one file: a line of another one is skipped (other_frontend), not rejected.
  for (const f of found) f.others = found.filter((o) => o !== f && o.segments.some((s) => s.kind === 'slot')).map((o) => o.segments);
  return chooseFormat('haproxy', found, [], name, { noun: 'frontend' }, timeZone);
}
