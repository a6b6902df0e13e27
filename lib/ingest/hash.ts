// The few hashes ingest needs, computed here so the parsers stay independent of lib/binding.
import { createHash, X509Certificate } from 'node:crypto';

/** SHA-256 of a string or bytes, base64url (the token fingerprint and x5t#S256 encoding). */
export function sha256B64url(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('base64url');
}

/** Fingerprint of a token known only by issuer and jti (no raw token at hand). */
export function fingerprintFromJti(issuer: string | null, jti: string): string {
  return sha256B64url(`jti:${issuer ?? ''}\n${jti}`);
}

/** Hex (optionally colon-separated) → base64url; null when not hex of the expected length. */
export function hexToB64url(hex: string, bytes: number): string | null {
  const clean = hex.replace(/:/g, '').trim();
  if (clean.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(clean)) return null;
  return Buffer.from(clean, 'hex').toString('base64url');
}

export interface CertFacts {
  x5tS256: string;
  sha1Hex: string;
  subjectDn: string | null;
  issuerDn: string | null;
  serial: string | null;
  notBefore: Date | null;
  notAfter: Date | null;
  /** First URI SAN (a SPIFFE ID when the cert is an SVID). */
  uriSan: string | null;
}

/** DER bytes from a PEM whose line breaks may have been mangled by a log pipeline. */
export function pemToDer(pem: string): Buffer | null {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m || m[1] === undefined) return null;
  const b64 = m[1].replace(/\\n|\\r|[^A-Za-z0-9+/=]/g, '');
  if (b64.length < 16) return null;
  return Buffer.from(b64, 'base64');
}

/** Node prints DNs one RDN per line, most significant first; logs use RFC 2253 (reversed, commas). */
export function nodeDnToRfc2253(dn: string): string {
  return dn.split('\n').filter(Boolean).reverse().join(',');
}

/** Facts of a certificate given as PEM; null when it does not parse. */
export function certFactsFromPem(pem: string): CertFacts | null {
  const der = pemToDer(pem);
  if (!der) return null;
  try {
    const c = new X509Certificate(der);
    const uri = /URI:([^,\s]+)/.exec(c.subjectAltName ?? '');
    return {
      x5tS256: sha256B64url(c.raw),
      sha1Hex: c.fingerprint.replace(/:/g, '').toLowerCase(),
      subjectDn: c.subject ? nodeDnToRfc2253(c.subject) : null,
      issuerDn: c.issuer ? nodeDnToRfc2253(c.issuer) : null,
      serial: c.serialNumber || null,
      notBefore: validDate(c.validFrom),
      notAfter: validDate(c.validTo),
      uriSan: uri?.[1] ?? null,
    };
  } catch {
    return null;
  }
}

function validDate(s: string): Date | null {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

// A fleet has thousands of client certificates; each cached entry holds the logged PEM (~1.3 KB).
const CERT_CACHE_MAX = 8192;

/**
 * Certificate facts cached per stream: gateway logs repeat the same few client certificates
 * on every request, and parsing X.509 per line would dominate the parse cost. Keyed by the
 * string as logged, so a cache hit costs no decoding.
 */
export function cachedCertFacts(state: Record<string, unknown>, pem: string, decode: (s: string) => string = (s) => s): CertFacts | null {
  let cache = state.certCache as Map<string, { pem: string; facts: CertFacts | null }> | undefined;
  if (!cache) {
    cache = new Map();
    state.certCache = cache;
  }
  // Keyed by the PEM's tail (its signature: one per certificate) so a lookup hashes ~100
  // characters, not the whole ~1.3 KB string; the whole string is compared on a hit.
  const key = pem.length > 96 ? pem.slice(-96) : pem;
  const hit = cache.get(key);
  if (hit !== undefined && hit.pem === pem) return hit.facts;
  const facts = certFactsFromPem(decode(pem));
  if (cache.size >= CERT_CACHE_MAX) {
    // Drop the oldest quarter (insertion order), not everything: a fleet slightly larger than the
    // cache would otherwise parse every certificate again after each clear.
    let n = CERT_CACHE_MAX >> 2;
    for (const k of cache.keys()) {
      cache.delete(k);
      if (--n === 0) break;
    }
  }
  cache.set(key, { pem, facts });
  return facts;
}
