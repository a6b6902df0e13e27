// Builds NormalizedEvent.cert from whatever certificate fields a source logs, filling the gaps
// (x5t#S256 above all) from the certificate itself when the source logs it as PEM.
import type { NormalizedEvent } from '../domain/types.ts';
import { cachedCertFacts, type CertFacts } from './hash.ts';
import { parseTime } from './util.ts';

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
  return {
    facts,
    cert: {
      x5tS256: l.x5tS256 ?? facts?.x5tS256 ?? null,
      sha1Hex: l.sha1Hex ? l.sha1Hex.replace(/:/g, '').toLowerCase() : (facts?.sha1Hex ?? null),
      subjectDn: l.subjectDn ?? facts?.subjectDn ?? null,
      issuerDn: l.issuerDn ?? facts?.issuerDn ?? null,
      serial: l.serial ?? facts?.serial ?? null,
      notBefore: parseTime(l.notBefore) ?? facts?.notBefore ?? null,
      notAfter: parseTime(l.notAfter) ?? facts?.notAfter ?? null,
      verify: l.verify ?? null,
    },
  };
}
