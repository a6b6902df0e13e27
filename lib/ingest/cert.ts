// Builds NormalizedEvent.cert from whatever certificate fields a source logs, filling the gaps
// (x5t#S256 above all) from the certificate itself when the source logs it as PEM.
import type { NormalizedEvent } from '../domain/types.ts';
import { attachDer, certFactsFromPem, derOf, type CertFacts } from '../credentials/certificate.ts';
import { parseTime } from './time.ts';

// A fleet has thousands of client certificates; each cached entry holds the logged PEM (~1.3 KB).
const CERT_CACHE_MAX = 8192;

/** The logged fields buildCert reads besides the PEM. */
type LoggedFacts = Omit<LoggedCert, 'pem'>;

/** One certificate of the stream's cache: its facts, and the event certificates last built of it. */
interface CertEntry {
  pem: string;
  facts: CertFacts | null;
  /** The latest first; a few, as a certificate's lines differ in what the gateway said of it (verify). */
  built?: Array<{ logged: LoggedFacts; result: CertResult }>;
}

/** Event certificates kept per certificate (buildCert). */
const BUILT_PER_CERT = 4;

/**
 * Certificate facts cached per stream: gateway logs repeat the same few client certificates
 * on every request, and parsing X.509 per line would dominate the parse cost. Keyed by the
 * string as logged, so a cache hit costs no decoding.
 */
function cachedCertEntry(state: Record<string, unknown>, pem: string, decode: (s: string) => string): CertEntry {
  let cache = state.certCache as Map<string, CertEntry> | undefined;
  if (!cache) {
    cache = new Map();
    state.certCache = cache;
  }
  // Keyed by the PEM's tail (its signature: one per certificate) so a lookup hashes ~100
  // characters, not the whole ~1.3 KB string; the whole string is compared on a hit.
  const key = pem.length > 96 ? pem.slice(-96) : pem;
  const hit = cache.get(key);
  if (hit !== undefined && hit.pem === pem) return hit;
  const entry: CertEntry = { pem, facts: certFactsFromPem(decode(pem)) };
  if (cache.size >= CERT_CACHE_MAX) {
    // Drop the oldest quarter (insertion order), not everything: a fleet slightly larger than the
    // cache would otherwise parse every certificate again after each clear.
    let n = CERT_CACHE_MAX >> 2;
    for (const k of cache.keys()) {
      cache.delete(k);
      if (--n === 0) break;
    }
  }
  cache.set(key, entry);
  return entry;
}

/** Facts of a certificate given as PEM (null when it does not parse), cached per stream (cachedCertEntry). */
export function cachedCertFacts(state: Record<string, unknown>, pem: string, decode: (s: string) => string = (s) => s): CertFacts | null {
  return cachedCertEntry(state, pem, decode).facts;
}

export interface LoggedCert {
  x5tS256?: string | null;
  sha1Hex?: string | null;
  subjectDn?: string | null;
  issuerDn?: string | null;
  serial?: string | null;
  notBefore?: unknown;
  notAfter?: unknown;
  verify?: string | null;
  /** PEM, possibly URL-encoded (NGINX `$ssl_client_escaped_cert`, Envoy `%DOWNSTREAM_PEER_CERT%`). */
  pem?: string | null;
}

export interface CertResult {
  cert: NormalizedEvent['cert'];
  facts: CertFacts | null;
}

function decodePem(p: string): string {
  if (p.includes('%')) {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  }
  return p;
}

/** On a certificate object shared by lines (buildCert): whether its names were redacted (redactCertNames). */
const NAMES_REDACTED = Symbol('namesRedacted');

type Cert = NonNullable<NormalizedEvent['cert']>;

/**
 * Redacts the names of a parsed certificate with `redact` (a client chooses its certificate's names:
 * a credential put there is still one): once per certificate object, which lines share (buildCert).
 */
export function redactCertNames(c: Cert, redact: (s: string) => string): void {
  const shared = c as Cert & { [NAMES_REDACTED]?: boolean };
  if (shared[NAMES_REDACTED] === true) return;
  if (c.subjectDn !== null) c.subjectDn = redact(c.subjectDn);
  if (c.issuerDn !== null) c.issuerDn = redact(c.issuerDn);
  if (shared[NAMES_REDACTED] === false) shared[NAMES_REDACTED] = true;
}

const LOGGED_FIELDS = ['x5tS256', 'sha1Hex', 'subjectDn', 'issuerDn', 'serial', 'notBefore', 'notAfter', 'verify'] as const;

// Written out, not a loop over LOGGED_FIELDS: a property read by a varying name is a generic
// lookup, and this runs once per line.
function sameLogged(a: LoggedFacts, b: LoggedCert): boolean {
  return (
    a.verify === b.verify && a.sha1Hex === b.sha1Hex && a.subjectDn === b.subjectDn && a.issuerDn === b.issuerDn && a.serial === b.serial &&
    a.x5tS256 === b.x5tS256 && a.notBefore === b.notBefore && a.notAfter === b.notAfter
  );
}

/**
 * Cert facts for an event; null when the source logged no certificate field at all. A line that
 * logs the same certificate with the same fields as the one before it gets the same certificate
 * object: a fleet's lines repeat a few thousand certificates, and a new object per line (strings,
 * dates, its DER attached) was most of what a request kept alive while its chunk was written
 * (issue #15). So nothing may change a certificate once its line is parsed (its names are redacted
 * once, redactCertNames). Only certificates with an x5t#S256 are shared: the batch writer fills that
 * field in on the others (cert-by-sha1.ts, cert-by-issuer-serial.ts).
 */
export function buildCert(state: Record<string, unknown>, l: LoggedCert): CertResult {
  const entry = l.pem ? cachedCertEntry(state, l.pem, decodePem) : null;
  const built = entry?.built;
  if (built) for (const b of built) if (sameLogged(b.logged, l)) return b.result;
  const result = certOf(entry?.facts ?? null, l);
  if (entry && result.facts && result.cert?.x5tS256) {
    const logged: LoggedFacts = {};
    for (const k of LOGGED_FIELDS) logged[k] = l[k] as never;
    Object.defineProperty(result.cert, NAMES_REDACTED, { value: false, enumerable: false, writable: true });
    const list = (entry.built ??= []);
    if (list.length >= BUILT_PER_CERT) list.pop();
    list.unshift({ logged, result });
  }
  return result;
}

function certOf(facts: CertFacts | null, l: LoggedCert): CertResult {
  const any =
    facts ?? l.x5tS256 ?? l.sha1Hex ?? l.subjectDn ?? l.issuerDn ?? l.serial ?? l.verify ?? l.notBefore ?? l.notAfter ?? null;
  if (any === null || any === undefined) return { cert: null, facts: null };
  const x5tS256 = l.x5tS256 ?? facts?.x5tS256 ?? null;
  return {
    facts,
    // The logged certificate's bytes go with it (never stored) when they are the certificate the line names.
    cert: attachDer({
      x5tS256,
      sha1Hex: l.sha1Hex ? l.sha1Hex.replace(/:/g, '').toLowerCase() : (facts?.sha1Hex ?? null),
      subjectDn: l.subjectDn ?? facts?.subjectDn ?? null,
      issuerDn: l.issuerDn ?? facts?.issuerDn ?? null,
      serial: l.serial ?? facts?.serial ?? null,
      notBefore: parseTime(l.notBefore) ?? facts?.notBefore ?? null,
      notAfter: parseTime(l.notAfter) ?? facts?.notAfter ?? null,
      verify: l.verify ?? null,
    }, facts && facts.x5tS256 === x5tS256 ? derOf(facts) : null),
  };
}
