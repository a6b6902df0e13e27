// A client certificate as a TLS-terminating hop forwarded it to the next one in a request header,
// read back from the next hop's log. Pure: one header value in, certificate facts (or a typed
// error) out; the certificate is public, so nothing here is redacted, but nothing is trusted either:
// the value may have been written by the client itself (Envoy #6038, Keycloak #35861), so every
// byte is checked and a value that does not parse is an error, never a partial certificate.
import type { NormalizedEvent } from '../domain/types.ts';
import { attachDer, certFactsFromPem, derOf, type CertFacts } from '../credentials/certificate.ts';
import { hexToB64url } from '../credentials/fingerprint.ts';
import { cachedCertFacts } from './cert.ts';

/** Certificate facts of a forwarded certificate, as NormalizedEvent.forwardedCert carries them. */
export type ForwardedCert = NonNullable<NormalizedEvent['forwardedCert']>;

/** Why a forwarded-certificate value was refused. */
export type ForwardedCertErrorCode =
  /** Not decodable as the header's syntax (structured field, XFCC, PEM, base64), or not an X.509 certificate. */
  | 'malformed'
  /** XFCC `Hash` and `Cert` of one element name different certificates. */
  | 'inconsistent'
  /** Longer than any real certificate header (MAX_FORWARDED_CERT_CHARS). */
  | 'too_large';

export type ForwardedCertResult =
  | { kind: 'cert'; cert: ForwardedCert }
  /** RFC 9440 `Client-Cert-Chain`: the issuers of the end-entity certificate (it is not among them). */
  | { kind: 'chain'; header: string; chain: ForwardedCert[] }
  | { kind: 'error'; header: string; code: ForwardedCertErrorCode; message: string };

/**
 * Largest value accepted. A certificate chain of a few RSA-4096 certificates, URL-encoded, is
 * under 32 KiB; anything far beyond is not a certificate header and is not decoded at all.
 */
export const MAX_FORWARDED_CERT_CHARS = 64 * 1024;

// Chains longer than this are not client chains (RFC 5280 allows more; no PKI deploys them).
const MAX_CHAIN = 10;

/** Header names a forwarded certificate commonly arrives in (lower case). */
export const FORWARDED_CERT_HEADERS = [
  'client-cert',
  'client-cert-chain',
  'x-forwarded-client-cert',
  'x-ssl-client-cert',
  'x-client-cert',
  'ssl-client-cert',
  'x-amzn-mtls-clientcert',
  'x-amzn-mtls-clientcert-leaf',
] as const;

type Facts = Pick<CertFacts, 'x5tS256' | 'sha1Hex' | 'subjectDn' | 'issuerDn' | 'serial' | 'notBefore' | 'notAfter'>;

class Refused extends Error {
  constructor(
    readonly code: ForwardedCertErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function toForwarded(header: string, f: { [K in keyof Facts]?: Facts[K] | null }): ForwardedCert {
  // The bytes of a whole forwarded certificate go with it (never stored): its signature can be checked.
  return attachDer({
    x5tS256: f.x5tS256 ?? null,
    sha1Hex: f.sha1Hex ?? null,
    subjectDn: f.subjectDn ?? null,
    issuerDn: f.issuerDn ?? null,
    serial: f.serial ?? null,
    notBefore: f.notBefore ?? null,
    notAfter: f.notAfter ?? null,
    // A forwarded certificate carries no verification outcome: the receiving hop did not verify it.
    verify: null,
    header,
  }, derOf(f));
}

/** Facts of DER bytes; the state cache keys by base64, so a log repeating one certificate parses it once. */
function factsOfDer(der: Buffer, state: Record<string, unknown> | undefined): Facts {
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----`;
  const facts = state ? cachedCertFacts(state, pem) : certFactsFromPem(pem);
  if (!facts) throw new Refused('malformed', 'the bytes are not an X.509 certificate');
  return facts;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Strict base64 (RFC 4648 §4, padding optional): Buffer.from would skip bad characters silently. */
function strictBase64(s: string, what: string): Buffer {
  if (!s || !B64.test(s) || s.length % 4 === 1) throw new Refused('malformed', `${what} is not base64`);
  return Buffer.from(s, 'base64');
}

/** RFC 8941 §3.3.5 byte sequence `:base64:`, the form RFC 9440 §2.1 prescribes. */
function sfBinary(item: string): Buffer {
  const t = item.trim();
  // Parameters (`;key=value`) may follow an sf-list member; RFC 9440 defines none, so they are ignored.
  const m = /^:([^:]*):(?:;[^,]*)?$/.exec(t);
  if (!m) throw new Refused('malformed', 'not a structured-field byte sequence (:base64:)');
  return strictBase64(m[1] ?? '', 'the byte sequence');
}

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new Refused('malformed', 'invalid percent-encoding');
  }
}

/**
 * RFC 9440 `Client-Cert`: a byte sequence `:base64:`. Owners of Caddy commonly send
 * `{http.request.tls.client.certificate_der_base64}` without the colons: bare base64 is
 * unambiguous (no byte sequence starts without its colon), so it is read too, and, like every
 * value here, it must decode to an X.509 certificate or it is refused.
 */
function clientCertDer(v: string): Buffer {
  return v.startsWith(':') ? sfBinary(v) : strictBase64(v, 'the value (neither :base64: nor bare base64 DER)');
}

/** `{name.with.dots}` and nothing else: a Caddy placeholder its replacer left as text. */
const UNREPLACED_PLACEHOLDER = /^\{[a-z][a-z0-9_.-]*\}$/i;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * The first certificate of a PEM text whose line breaks may be newlines, spaces (what a proxy
 * makes of a multi-line value), tabs (NGINX `$ssl_client_cert`) or literal `\n` escapes.
 */
function firstPemDer(pem: string): Buffer {
  PEM_BLOCK.lastIndex = 0;
  const m = PEM_BLOCK.exec(pem);
  if (!m) throw new Refused('malformed', 'no complete BEGIN/END CERTIFICATE block');
  const body = (m[1] ?? '').replace(/\\[nrt]|[\s]/g, '');
  return strictBase64(body, 'the PEM body');
}

/**
 * Any single-certificate encoding seen in the wild, by shape: URL-encoded PEM (NGINX
 * `$ssl_client_escaped_cert`, AWS ALB), PEM with mangled line breaks, a structured-field byte
 * sequence, or bare base64 DER (HAProxy `ssl_c_der,base64`).
 */
function anyEncodingDer(value: string): Buffer {
  let v = value.trim();
  if (/%[0-9A-Fa-f]{2}/.test(v)) v = percentDecode(v);
  if (v.includes('-----BEGIN')) return firstPemDer(v);
  if (v.startsWith(':')) return sfBinary(v);
  return strictBase64(v.replace(/\s+/g, ''), 'the value');
}

/** Splits on `sep` outside double quotes; `\"` inside quotes is an escaped quote (Envoy's rule). */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted && ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      cur += ch;
    } else if (ch === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new Refused('malformed', 'unbalanced double quote');
  out.push(cur);
  return out;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

/**
 * Envoy `x-forwarded-client-cert`: elements separated by commas, one per proxy, each appended by
 * the proxy that terminated that leg; the LAST element is the nearest hop's view of its client.
 * Keys are case-insensitive: By, Hash (hex SHA-256 of the DER), Cert (URL-encoded PEM), Chain,
 * Subject (quoted RFC 2253), URI, DNS.
 */
function parseXfcc(header: string, value: string, state: Record<string, unknown> | undefined): ForwardedCert {
  const elements = splitOutsideQuotes(value, ',').filter((e) => e.trim() !== '');
  const last = elements.at(-1);
  if (last === undefined) throw new Refused('malformed', 'no XFCC element');
  const kv = new Map<string, string>();
  for (const pair of splitOutsideQuotes(last, ';')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Refused('malformed', 'an XFCC pair has no key=value form');
    const key = pair.slice(0, eq).trim().toLowerCase();
    // DNS may repeat; only the first matters here (identity comes from the certificate).
    if (!kv.has(key)) kv.set(key, unquote(pair.slice(eq + 1)));
  }
  const hash = kv.get('hash');
  const certValue = kv.get('cert');
  let x5tFromHash: string | null = null;
  if (hash !== undefined && hash !== '') {
    x5tFromHash = hexToB64url(hash, 32);
    if (!x5tFromHash) throw new Refused('malformed', 'XFCC Hash is not a hex SHA-256');
  }
  if (certValue !== undefined && certValue !== '') {
    const facts = factsOfDer(firstPemDer(percentDecode(certValue)), state);
    if (x5tFromHash && x5tFromHash !== facts.x5tS256) throw new Refused('inconsistent', 'XFCC Hash is not the SHA-256 of its Cert');
    return toForwarded(header, facts);
  }
  const subject = kv.get('subject');
  if (!x5tFromHash && !subject) throw new Refused('malformed', 'the XFCC element names no certificate (no Hash, Cert or Subject)');
  return toForwarded(header, { x5tS256: x5tFromHash, subjectDn: subject || null });
}

/** NUL and other control characters (tab and line breaks aside) never occur in a certificate header. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}

/**
 * Reads a forwarded client certificate from one header value.
 *
 * @param header the header name as the hop received it (any case); `client-cert` is RFC 9440
 *   (also read as bare base64 DER, Caddy's `certificate_der_base64` without the colons),
 *   `client-cert-chain` its chain, `x-forwarded-client-cert` Envoy's XFCC; any other name is read
 *   by the value's shape (URL-encoded or mangled PEM, base64 DER, a byte sequence).
 * @param state optional per-stream cache (ParseContext.state), so a log repeating one certificate
 *   decodes it once.
 * @returns null when the value is empty, `-` or a placeholder left unreplaced (nothing forwarded), else the certificate facts
 *   (x5t#S256 computed from the DER, DNs in RFC 2253 order, `verify` null), the chain, or a
 *   typed error.
 */
export function parseForwardedCert(header: string, value: string | null | undefined, state?: Record<string, unknown>): ForwardedCertResult | null {
  const name = header.trim().toLowerCase();
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (v === '' || v === '-' || v === '""') return null;
  try {
    if (v.length > MAX_FORWARDED_CERT_CHARS) throw new Refused('too_large', `the value is ${v.length} characters, more than ${MAX_FORWARDED_CERT_CHARS}`);
    if (hasControlCharacter(v)) throw new Refused('malformed', 'control characters in the value');
    // A gateway placeholder left unreplaced (Caddy sends `{http.request.tls.client.certificate_der_base64}`
    // as is when the client presented no certificate): nothing was forwarded.
    if (UNREPLACED_PLACEHOLDER.test(v)) return null;
    if (name === 'client-cert') return { kind: 'cert', cert: toForwarded(name, factsOfDer(clientCertDer(v), state)) };
    if (name === 'client-cert-chain') {
      const members = splitOutsideQuotes(v, ',');
      if (members.length > MAX_CHAIN) throw new Refused('too_large', `a chain of ${members.length} certificates`);
      return { kind: 'chain', header: name, chain: members.map((m) => toForwarded(name, factsOfDer(sfBinary(m), state))) };
    }
    if (name === 'x-forwarded-client-cert') return { kind: 'cert', cert: parseXfcc(name, v, state) };
    return { kind: 'cert', cert: toForwarded(name, factsOfDer(anyEncodingDer(v), state)) };
  } catch (e) {
    if (e instanceof Refused) return { kind: 'error', header: name, code: e.code, message: e.message };
    return { kind: 'error', header: name, code: 'malformed', message: 'unreadable value' };
  }
}
