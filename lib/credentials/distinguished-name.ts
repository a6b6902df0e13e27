// Distinguished names, one canonical form for every spelling a gateway logs. One certificate's
// subject or issuer reaches Holdfast as OpenSSL's RFC 2253 with UTF-8 bytes escaped
// (`CN=Zo\C3\AB`: NGINX `$ssl_client_s_dn`, HAProxy `ssl_c_s_dn(,,rfc2253)`), as plain UTF-8
// (`CN=Zoë`: Apache `SSL_CLIENT_S_DN`, Node, Caddy's CN), with the log's own byte escapes
// (`\xC3\xAB`: NGINX's default escaping, Apache, OpenSSL's legacy oneline) and in the legacy
// `/C=FR/O=…/CN=…` order (HAProxy's default, NGINX `_legacy`). Identities and certificates derived
// from a DN must be the same whichever gateway logged it, so every escaping is decoded to one
// Unicode string (NFC), attribute types fold to one name (long names and OIDs, any case), values
// compare without case and runs of spaces, and the key ignores RDN order (sources disagree about
// it: RFC 2253 most specific first, X.500 order the reverse) and the order of a multi-valued
// RDN's attributes. The key is computed, never stored: rows stored in any spelling meet through it.

// Attribute type spellings → one short name (RFC 4514 §3 and the names OpenSSL prints).
const TYPE_ALIASES: Record<string, string> = {
  COMMONNAME: 'CN', '2.5.4.3': 'CN',
  ORGANIZATIONNAME: 'O', '2.5.4.10': 'O',
  ORGANIZATIONALUNITNAME: 'OU', '2.5.4.11': 'OU',
  COUNTRYNAME: 'C', '2.5.4.6': 'C',
  LOCALITYNAME: 'L', '2.5.4.7': 'L',
  STATEORPROVINCENAME: 'ST', S: 'ST', SP: 'ST', '2.5.4.8': 'ST',
  STREETADDRESS: 'STREET', '2.5.4.9': 'STREET',
  SERIALNUMBER: 'SERIALNUMBER', '2.5.4.5': 'SERIALNUMBER',
  DOMAINCOMPONENT: 'DC', '0.9.2342.19200300.100.1.25': 'DC',
  USERID: 'UID', '0.9.2342.19200300.100.1.1': 'UID',
  EMAILADDRESS: 'EMAIL', E: 'EMAIL', EMAIL: 'EMAIL', '1.2.840.113549.1.9.1': 'EMAIL',
  ORGANIZATIONIDENTIFIER: 'ORGANIZATIONIDENTIFIER', '2.5.4.97': 'ORGANIZATIONIDENTIFIER',
  GIVENNAME: 'GN', G: 'GN', GN: 'GN', '2.5.4.42': 'GN',
  SURNAME: 'SN', SN: 'SN', '2.5.4.4': 'SN',
  TITLE: 'TITLE', '2.5.4.12': 'TITLE',
};

/** One attribute: its canonical type name and its value decoded to Unicode (case kept). */
export interface DnAttribute {
  type: string;
  value: string;
}

const AVA_SEP = '\u0001';
const RDN_SEP = '\u0002';
const utf8 = new TextDecoder('utf-8');
const enc = new TextEncoder();

/** Splits on any of `seps` where it is not escaped with a backslash nor inside double quotes. */
function splitUnescaped(s: string, seps: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (!quoted && seps.includes(c)) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const HEX2 = /^[0-9a-fA-F]{2}$/;

/**
 * A log's own byte escapes (`\xC3\xAB`, and `\x5C` for a backslash in NGINX's default escaping)
 * undone, read as UTF-8. Done once over the whole DN, before its RFC 4514 escapes: NGINX's default
 * escaping turns `\C3\AB` into `\x5CC3\x5CAB`. `\x` followed by two hex digits is no RFC 4514
 * escape (x is neither special nor hex), so the two never collide.
 */
function undoLogEscapes(s: string): string {
  if (!s.includes('\\x') && !s.includes('\\X')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && (s[i + 1] === 'x' || s[i + 1] === 'X') && HEX2.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      const ch = String.fromCodePoint(s.codePointAt(i)!);
      bytes.push(...enc.encode(ch));
      i += ch.length - 1;
    }
  }
  return utf8.decode(new Uint8Array(bytes));
}

/** RFC 4514 §2.4 escapes (`\,` and `\C3\A9` as UTF-8 bytes) and RFC 1779 quotes, undone; NFC. */
function unescapeValue(v: string): string {
  let s = v.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  if (!s.includes('\\')) return s.normalize('NFC');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && HEX2.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '\\' && i + 1 < s.length) {
      const ch = String.fromCodePoint(s.codePointAt(i + 1)!);
      bytes.push(...enc.encode(ch));
      i += ch.length;
    } else {
      const ch = String.fromCodePoint(s.codePointAt(i)!);
      bytes.push(...enc.encode(ch));
      i += ch.length - 1;
    }
  }
  return utf8.decode(new Uint8Array(bytes)).normalize('NFC');
}

function attribute(ava: string): DnAttribute | null {
  const eq = ava.indexOf('=');
  if (eq <= 0) return null;
  const rawType = ava.slice(0, eq).trim().toUpperCase().replace(/^OID\./, '');
  if (!/^[A-Z0-9][A-Z0-9.-]*$/.test(rawType)) return null;
  const rawValue = ava.slice(eq + 1).trim();
  // `#04…`: the value's BER bytes in hex (RFC 4514 §2.4), kept as such.
  return { type: TYPE_ALIASES[rawType] ?? rawType, value: rawValue.startsWith('#') ? rawValue.toLowerCase() : unescapeValue(rawValue) };
}

/**
 * RFC 2253 RDNs. A piece without `=` continues the previous value: an unescaped comma inside a
 * value (`O=Acme, Inc.`) as a careless exporter writes it.
 */
function rfc2253Rdns(dn: string): string[] {
  const rdns: string[] = [];
  for (const piece of splitUnescaped(dn, ',;')) {
    if (!piece.includes('=') && rdns.length) rdns[rdns.length - 1] += `\\,${piece}`;
    else rdns.push(piece);
  }
  return rdns;
}

/** `/C=FR/O=Test/CN=CA` (OpenSSL's legacy oneline, X.500 order): its RDNs, most specific first. */
function onelineRdns(dn: string): string[] {
  return dn.slice(1).split(/\/(?=[A-Za-z0-9.]+=)/).map((r) => r.replace(/,/g, '\\,')).reverse();
}

/**
 * A DN's RDNs, most specific first as RFC 2253 writes them (a oneline DN reversed), each a list of
 * attributes with decoded values; null when the text names nothing or is not a DN.
 */
export function parseDn(dn: string): DnAttribute[][] | null {
  const s = undoLogEscapes(dn).trim();
  if (!s) return null;
  const rdns: DnAttribute[][] = [];
  for (const rdn of s.startsWith('/') ? onelineRdns(s) : rfc2253Rdns(s)) {
    if (!rdn.trim()) continue;
    const avas = splitUnescaped(rdn, '+').map(attribute);
    if (avas.some((a) => a === null)) return null;
    rdns.push(avas as DnAttribute[]);
  }
  return rdns.length ? rdns : null;
}

const foldValue = (v: string) => v.replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * The comparison key of a DN in any spelling (module comment); null when it names nothing. Two
 * DNs with the same attributes in the same RDNs have the same key, whatever their RDN order.
 */
export function dnKey(dn: string): string | null {
  const rdns = parseDn(dn);
  if (!rdns) return null;
  return rdns
    .map((avas) => avas.map((a) => `${a.type}=${a.value.startsWith('#') ? a.value : foldValue(a.value)}`).sort().join(AVA_SEP))
    .sort()
    .join(RDN_SEP);
}

/** The (most specific) CN of a DN in any spelling, decoded to Unicode; null when it has none. */
export function dnCommonName(dn: string): string | null {
  const rdns = parseDn(dn);
  for (const avas of rdns ?? []) {
    const cn = avas.find((a) => a.type === 'CN');
    if (cn) return cn.value.trim() || null;
  }
  return null;
}
