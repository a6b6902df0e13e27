// Builds NormalizedEvent.cert from whatever certificate fields a source logs, filling the gaps
// (x5t#S256 above all) from the certificate itself when the source logs it as PEM.
import type { NormalizedEvent } from '../domain/types.ts';
import { attachDer, certFactsFromPem, derOf, type CertFacts } from '../credentials/certificate.ts';
import { parseTime } from './time.ts';

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

/** Cert facts for an event; null when the source logged no certificate field at all. */
export function buildCert(state: Record<string, unknown>, l: LoggedCert): CertResult {
  const facts = l.pem ? cachedCertFacts(state, l.pem, decodePem) : null;
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
