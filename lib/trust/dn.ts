// Distinguished names as comparison keys. A client certificate's issuer DN is how a logged request
// names its CA, and sources spell one DN many ways: NGINX and Envoy print RFC 2253 (`O=Test,CN=CA`,
// non-ASCII bytes as \XX), Node one RDN per line (ingest joins them the RFC 2253 way), HAProxy's
// default and `openssl -nameopt oneline` the X.500 order (`/CN=CA/O=Test`), some exporters long
// attribute names or OIDs. The key keeps RDN order (it is part of the name) but folds case,
// spacing, escapes and attribute spellings, so `CN=Test  CA, o=test` and `O=Test,CN=Test CA`
// written in reverse order do not collide, while every spelling of one DN does.

// Attribute type spellings → one short name (RFC 4514 §3 and the names OpenSSL prints).
const TYPE_ALIASES: Record<string, string> = {
  COMMONNAME: 'CN', '2.5.4.3': 'CN',
  ORGANIZATIONNAME: 'O', '2.5.4.10': 'O',
  ORGANIZATIONALUNITNAME: 'OU', '2.5.4.11': 'OU',
  COUNTRYNAME: 'C', '2.5.4.6': 'C',
  LOCALITYNAME: 'L', '2.5.4.7': 'L',
  STATEORPROVINCENAME: 'ST', S: 'ST', '2.5.4.8': 'ST',
  STREETADDRESS: 'STREET', '2.5.4.9': 'STREET',
  SERIALNUMBER: 'SERIALNUMBER', '2.5.4.5': 'SERIALNUMBER',
  DOMAINCOMPONENT: 'DC', '0.9.2342.19200300.100.1.25': 'DC',
  USERID: 'UID', '0.9.2342.19200300.100.1.1': 'UID',
  EMAILADDRESS: 'EMAIL', E: 'EMAIL', EMAIL: 'EMAIL', '1.2.840.113549.1.9.1': 'EMAIL',
  ORGANIZATIONIDENTIFIER: 'ORGANIZATIONIDENTIFIER', '2.5.4.97': 'ORGANIZATIONIDENTIFIER',
};

const AVA_SEP = '\u0001';
const RDN_SEP = '\u0002';

/** Splits on `sep` where it is not escaped with a backslash nor inside double quotes. */
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

/** RFC 4514 §2.4 escapes (`\,` and `\C3\A9` as UTF-8 bytes) and RFC 1779 quotes, undone. */
function unescapeValue(v: string): string {
  let s = v.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 2 < s.length + 1 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '\\' && i + 1 < s.length) {
      bytes.push(...enc.encode(s[i + 1]!));
      i++;
    } else {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...enc.encode(ch));
      i += ch.length - 1;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** One attribute as it is compared: short type name, value with case and runs of spaces folded. */
function avaKey(ava: string): string | null {
  const eq = ava.indexOf('=');
  if (eq <= 0) return null;
  const rawType = ava.slice(0, eq).trim().toUpperCase().replace(/^OID\./, '');
  const type = TYPE_ALIASES[rawType] ?? rawType;
  const rawValue = ava.slice(eq + 1).trim();
  // `#04…`: the value's BER bytes in hex (RFC 4514 §2.4), compared as such.
  const value = rawValue.startsWith('#') ? rawValue.toLowerCase() : unescapeValue(rawValue).replace(/\s+/g, ' ').trim().toLowerCase();
  return `${type}=${value}`;
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

/** `/CN=CA/O=Test` (OpenSSL oneline, X.500 order): RDNs in RFC 2253 order. */
function onelineRdns(dn: string): string[] {
  return dn.slice(1).split(/\/(?=[A-Za-z0-9.]+=)/).reverse();
}

/** The comparison key of a DN in RFC 2253 order (or OpenSSL oneline); null when it names nothing. */
export function dnKey(dn: string): string | null {
  const s = dn.trim();
  if (!s) return null;
  const rdns = s.startsWith('/') ? onelineRdns(s) : rfc2253Rdns(s);
  const keys: string[] = [];
  for (const rdn of rdns) {
    if (!rdn.trim()) continue;
    const avas = splitUnescaped(rdn, '+').map(avaKey);
    if (avas.some((a) => a === null)) return null;
    // A multi-valued RDN is a set: its attributes in any order are the same RDN.
    keys.push((avas as string[]).sort().join(AVA_SEP));
  }
  return keys.length ? keys.join(RDN_SEP) : null;
}

/** The key of the same DN written in the opposite RDN order (a source that prints X.500 order with commas). */
export function reversedDnKey(key: string): string {
  return key.split(RDN_SEP).reverse().join(RDN_SEP);
}
