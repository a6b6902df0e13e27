// Whether two hops' views of a client certificate are the same certificate. Hops log different
// facts (NGINX a SHA-1 and the PEM, Caddy only the CN and serial, XFCC perhaps only a hash), so
// the comparison uses the strongest fact both views carry.
import { dnCommonName, dnKey } from '../credentials/distinguished-name.ts';
import type { NormalizedEvent } from '../domain/types.ts';
import type { CertComparison } from './types.ts';

type CertView = Pick<NonNullable<NormalizedEvent['cert']>, 'x5tS256' | 'sha1Hex' | 'subjectDn' | 'issuerDn' | 'serial'>;

export interface CertMatch {
  /** true / false when comparable, null when the two views share no fact to compare by. */
  same: boolean | null;
  by: CertComparison | null;
}

/** Serials as logged: hex with or without colons, any case, leading zeros (DER sign padding) or not. */
export function normalizeSerial(serial: string): string {
  const hex = serial.replace(/[:\s]/g, '').toUpperCase().replace(/^0+(?=.)/, '');
  return hex;
}

/** The CN of a DN in any spelling (RFC 2253 escaped or not, OpenSSL one-line), decoded: the one part every source logs. */
export const commonName = dnCommonName;

/** One DN's comparison key, whatever spelling and RDN order a source logged (lib/credentials/distinguished-name.ts). */
export { dnKey };

function sameDnPart(a: string | null, b: string | null): boolean {
  if (!a || !b) return true;
  const ca = commonName(a);
  const cb = commonName(b);
  return ca === null || cb === null ? true : ca === cb;
}

/**
 * Compares two views of a client certificate. A thumbprint settles it; a serial is only trusted
 * together with the subject's and issuer's CN where both views carry them (serials are unique
 * per issuer, not globally).
 */
export function sameCertificate(a: CertView, b: CertView): CertMatch {
  if (a.x5tS256 && b.x5tS256) return { same: a.x5tS256 === b.x5tS256, by: 'x5t' };
  if (a.sha1Hex && b.sha1Hex) return { same: a.sha1Hex.replace(/:/g, '').toLowerCase() === b.sha1Hex.replace(/:/g, '').toLowerCase(), by: 'sha1' };
  if (a.serial && b.serial) {
    const same = normalizeSerial(a.serial) === normalizeSerial(b.serial) && sameDnPart(a.subjectDn, b.subjectDn) && sameDnPart(a.issuerDn, b.issuerDn);
    return { same, by: 'serial_subject' };
  }
  return { same: null, by: null };
}

/** Whether a view names a certificate at all (verify `NONE` with no facts names none). */
export function namesCertificate(c: CertView | null | undefined): boolean {
  return !!c && !!(c.x5tS256 || c.sha1Hex || c.serial || c.subjectDn);
}
