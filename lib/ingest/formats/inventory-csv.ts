// Token inventory as CSV (RFC 4180; header row required; column names case-insensitive, with
// spaces or dashes read as underscores). Columns:
//   nhi (required; aliases identity, identity_name)
//   token_id (alias jti) | fingerprint (SHA-256 base64url of the token) | token (raw: hashed, then dropped) — one per row
//   token_type (access | refresh), binding (bearer | mtls | dpop)
//   cnf ("jkt:<thumb>", "x5t#S256:<thumb>", or a bare thumbprint read per the binding column),
//   cnf_jkt, cnf_x5t_s256 (alias x5t_s256, x5t)
//   issued_at, expires_at (ISO 8601 or Unix seconds), scopes, audience (separated by space ; | or ,)
//   issuer, subject, client_id, active (true/false), source
// Unknown columns are ignored.
import type { Binding, TokenRecord } from '../../domain/types.ts';
import { splitCsvRecord } from '../csv.ts';
import { fingerprintFromJti, sha256B64url } from '../../credentials/fingerprint.ts';
import { bindingOf } from '../token-record.ts';
import { SKIP, err, type LineParser, type ParseContext, type ParseResult } from '../types.ts';
import { FieldError, guard, isEmptyLine } from '../fields.ts';
import { parseTime } from '../time.ts';
import type { LogTimeZone } from '../time-zone.ts';

export const INVENTORY_CSV_COLUMNS = [
  'nhi', 'token_id', 'fingerprint', 'token', 'token_type', 'binding', 'cnf', 'cnf_jkt', 'cnf_x5t_s256',
  'issued_at', 'expires_at', 'scopes', 'audience', 'issuer', 'subject', 'client_id', 'active', 'source',
] as const;
type Column = (typeof INVENTORY_CSV_COLUMNS)[number];

const ALIASES: Record<string, Column> = {
  identity: 'nhi', identity_name: 'nhi', jti: 'token_id', token_fingerprint: 'fingerprint', x5t_s256: 'cnf_x5t_s256',
  'x5t#s256': 'cnf_x5t_s256', cnf_x5t: 'cnf_x5t_s256', x5t: 'cnf_x5t_s256', jkt: 'cnf_jkt', scope: 'scopes', aud: 'audience',
  iss: 'issuer', sub: 'subject', iat: 'issued_at', exp: 'expires_at',
};

interface CsvState {
  header: (Column | null)[] | null;
  headerFailed: boolean;
  carry: string | null;
  carryLines: number;
}

function st(ctx: ParseContext): CsvState {
  let s = ctx.state.csv as CsvState | undefined;
  if (!s) {
    s = { header: null, headerFailed: false, carry: null, carryLines: 0 };
    ctx.state.csv = s;
  }
  return s;
}

function columnOf(name: string): Column | null {
  const n = name.trim().toLowerCase().replace(/[\s-]+/g, '_');
  if ((INVENTORY_CSV_COLUMNS as readonly string[]).includes(n)) return n as Column;
  return ALIASES[n] ?? null;
}

function readHeader(fields: string[]): (Column | null)[] | string {
  const cols = fields.map(columnOf);
  if (!cols.includes('nhi')) return 'header row must name an "nhi" column';
  if (!cols.some((c) => c === 'token_id' || c === 'fingerprint' || c === 'token')) return 'header row must name a "token_id", "fingerprint" or "token" column';
  return cols;
}

function timeOf(v: string | null, col: string, zone: LogTimeZone | null): Date | null {
  if (v === null) return null;
  const d = parseTime(v, zone);
  if (!d) throw new FieldError('invalid_timestamp', `${col}: unreadable time "${v.slice(0, 40)}"`);
  return d;
}

function row(cols: (Column | null)[], fields: string[], zone: LogTimeZone | null): ParseResult {
  if (fields.length !== cols.length) return err('invalid_csv', `expected ${cols.length} fields, got ${fields.length}`);
  const r = new Map<Column, string>();
  cols.forEach((c, i) => {
    const v = fields[i]?.trim();
    if (c && v) r.set(c, v);
  });
  const g = (c: Column) => r.get(c) ?? null;
  const nhi = g('nhi');
  if (!nhi) return err('missing_field', 'empty nhi');
  const bindingText = g('binding')?.toLowerCase() ?? null;
  if (bindingText !== null && bindingText !== 'bearer' && bindingText !== 'mtls' && bindingText !== 'dpop') {
    return err('invalid_value', `binding must be bearer, mtls or dpop, got "${bindingText.slice(0, 20)}"`);
  }
  const stated = bindingText as Binding | null;
  let jkt = g('cnf_jkt');
  let x5t = g('cnf_x5t_s256');
  const cnf = g('cnf');
  if (cnf) {
    const m = /^(jkt|x5t#S256|x5t)\s*[:=]\s*(.+)$/i.exec(cnf);
    if (m) {
      if (m[1]!.toLowerCase() === 'jkt') jkt ??= m[2]!;
      else x5t ??= m[2]!;
    } else if (stated === 'dpop') jkt ??= cnf;
    else if (stated === 'mtls') x5t ??= cnf;
    else return err('invalid_value', 'cnf without a "jkt:" or "x5t#S256:" prefix needs binding dpop or mtls');
  }
  const issuer = g('issuer');
  const tokenId = g('token_id');
  const raw = g('token');
  const fingerprint = raw ? sha256B64url(raw) : g('fingerprint') ?? (tokenId ? fingerprintFromJti(issuer, tokenId) : null);
  if (!fingerprint) return err('missing_field', 'row has no token_id, fingerprint or token');
  const tt = g('token_type')?.toLowerCase() ?? 'access';
  if (tt !== 'access' && tt !== 'refresh' && tt !== 'access_token' && tt !== 'refresh_token') return err('invalid_value', `token_type must be access or refresh, got "${tt.slice(0, 20)}"`);
  const activeText = g('active')?.toLowerCase() ?? null;
  if (activeText !== null && !/^(true|false|yes|no|1|0)$/.test(activeText)) return err('invalid_value', `active must be true or false, got "${activeText.slice(0, 20)}"`);
  const b = bindingOf(jkt, x5t, stated);
  const token: TokenRecord = {
    fingerprint,
    identityName: nhi,
    tokenType: tt.startsWith('refresh') ? 'refresh' : 'access',
    jti: tokenId,
    issuer,
    subject: g('subject'),
    clientId: g('client_id'),
    audience: (g('audience') ?? '').split(/[\s;|,]+/).filter(Boolean),
    scopes: (g('scopes') ?? '').split(/[\s;|,]+/).filter(Boolean),
    issuedAt: timeOf(g('issued_at'), 'issued_at', zone),
    expiresAt: timeOf(g('expires_at'), 'expires_at', zone),
    binding: b.binding,
    cnfX5tS256: x5t,
    cnfJkt: jkt,
    bindingAnomaly: b.bindingAnomaly,
    active: activeText === null ? null : /^(true|yes|1)$/.test(activeText),
    source: g('source'),
  };
  return { kind: 'token', token };
}

export const inventoryCsvParser: LineParser = {
  format: 'inventory-csv',
  parseLine(text, ctx) {
    return guard(() => {
      const s = st(ctx);
      let rec = text;
      if (s.carry !== null) {
        rec = `${s.carry}\n${text}`;
        s.carryLines++;
      } else if (isEmptyLine(text)) return SKIP;
      const split = splitCsvRecord(rec);
      if ('unterminated' in split) {
        if (rec.length > ctx.maxRecordBytes) {
          s.carry = null;
          return err('record_too_large', `quoted field runs past ${ctx.maxRecordBytes} bytes`);
        }
        s.carry = rec;
        return SKIP;
      }
      s.carry = null;
      if ('error' in split) return err('invalid_csv', split.error);
      if (!s.header) {
        if (s.headerFailed) return err('missing_header', 'no valid header row at the start of the file');
        const h = readHeader(split.fields);
        if (typeof h === 'string') {
          s.headerFailed = true;
          return err('missing_header', h);
        }
        s.header = h;
        return SKIP;
      }
      return row(s.header, split.fields, ctx.timeZone);
    });
  },
  end(ctx) {
    const s = st(ctx);
    if (s.carry === null) return [];
    s.carry = null;
    return [err('unterminated_record', 'file ends inside a quoted field')];
  },
};
