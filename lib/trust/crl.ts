// A CRL as Holdfast uses it: read from PEM (`X509 CRL` as OpenSSL writes it, or `CRL`) or DER,
// checked to be a complete, direct CRL whose signature verifies with the anchor's key, and
// reduced to what the review needs: serial → revocation date and reason.
import { createHash } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { dnKey } from '../credentials/distinguished-name.ts';
import { TrustInputError } from './errors.ts';
import { singleDer } from './pem.ts';
import { normalizeSerial } from './serial.ts';
import { caMaySignCrls, type CaCertificate } from './ca-certificate.ts';
import { peculiarX509 } from './peculiar-x509.ts';

/** RFC 5280 §5.3.1 CRLReason names, by code. */
export const CRL_REASONS: Record<number, string> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

export interface CrlRevocation {
  /** Normalised (lib/trust/serial.ts). */
  serial: string;
  revocationDate: Date;
  /** CRLReason name; null when the entry states none. */
  reason: string | null;
}

export interface ParsedCrl {
  /** CRL number extension; null when absent. */
  number: bigint | null;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** SHA-256 (hex) of the DER. */
  sha256: string;
  entries: CrlRevocation[];
}

const CRL_LABELS = ['X509 CRL', 'CRL'] as const;
const OID = {
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  authorityKeyIdentifier: '2.5.29.35',
  certificateIssuer: '2.5.29.29',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  holdInstructionCode: '2.5.29.23',
} as const;

// CRL extensions the review can honour. An issuing distribution point may make the CRL partial
// (one partition of the CA's certificates): what it lists is still revoked, and Holdfast only
// ever concludes "revoked" from a CRL, never "not revoked".
const KNOWN_CRL_EXTENSIONS: ReadonlySet<string> = new Set([OID.crlNumber, OID.issuingDistributionPoint, OID.authorityKeyIdentifier]);

/** A DER INTEGER (tag 2) as an unsigned bigint. */
function derInteger(value: ArrayBuffer): bigint | null {
  const b = new Uint8Array(value);
  if (b[0] !== 0x02 || b.length < 3) return null;
  let len = b[1]!;
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | b[2 + i]!;
    off = 2 + n;
  }
  const body = b.subarray(off, off + len);
  return body.length ? BigInt(`0x${Buffer.from(body).toString('hex')}`) : null;
}

function sameName(crl: x509.X509Crl, ca: x509.X509Certificate): boolean {
  if (Buffer.from(crl.issuerName.toArrayBuffer()).equals(Buffer.from(ca.subjectName.toArrayBuffer()))) return true;
  // Same name, encoded differently (PrintableString vs UTF8String): RFC 5280 §7.1 compares names, not bytes.
  const a = dnKey(crl.issuer);
  return a !== null && a === dnKey(ca.subject);
}

/** The revoked certificates; an entry for another issuer (an indirect CRL) is refused. */
function revocations(crl: x509.X509Crl): CrlRevocation[] {
  const bySerial = new Map<string, CrlRevocation>();
  for (const e of crl.entries) {
    if (e.extensions.some((x) => x.type === OID.certificateIssuer)) {
      throw new TrustInputError('indirect_crl', 'the CRL is an indirect CRL (entries name another certificate issuer); add each CA with its own CRL');
    }
    const unknownCritical = e.extensions.find((x) => x.critical && x.type !== OID.reasonCode && x.type !== OID.invalidityDate && x.type !== OID.holdInstructionCode);
    if (unknownCritical) throw new TrustInputError('unknown_critical_extension', `a CRL entry carries the critical extension ${unknownCritical.type}, which Holdfast does not understand (RFC 5280 §5.3: such a CRL must not be used)`);
    const serial = normalizeSerial(e.serialNumber);
    if (!serial) continue;
    const reason = e.reason === undefined ? null : (CRL_REASONS[e.reason] ?? `reason${e.reason}`);
    // removeFromCRL belongs to delta CRLs (refused above); in a full CRL it un-lists the serial.
    if (reason === 'removeFromCRL') continue;
    const prev = bySerial.get(serial);
    if (!prev || e.revocationDate < prev.revocationDate) bySerial.set(serial, { serial, revocationDate: e.revocationDate, reason });
  }
  return [...bySerial.values()];
}

/**
 * Reads a CRL and verifies it came from `ca`: a complete, direct CRL whose issuer is the CA's
 * subject and whose signature verifies with the CA's public key. Anything else is refused with
 * the reason; a CRL's revocations are believed only when its issuer signed them.
 */
export async function readCrl(input: Uint8Array, ca: CaCertificate, what = 'the CRL file'): Promise<ParsedCrl> {
  const der = singleDer(input, CRL_LABELS, what);
  const lib = await peculiarX509();
  let crl: x509.X509Crl;
  try {
    crl = new lib.X509Crl(new Uint8Array(der));
    void crl.thisUpdate;
  } catch {
    throw new TrustInputError('not_a_crl', `${what} is not an X.509 CRL`);
  }
  const exts = crl.extensions;
  if (exts.some((x) => x.type === OID.deltaCrlIndicator)) throw new TrustInputError('delta_crl', `${what} is a delta CRL; add the CA's full CRL`);
  const unknown = exts.find((x) => x.critical && !KNOWN_CRL_EXTENSIONS.has(x.type));
  if (unknown) throw new TrustInputError('unknown_critical_extension', `${what} carries the critical extension ${unknown.type}, which Holdfast does not understand (RFC 5280 §5.2: such a CRL must not be used)`);

  const caCert = new lib.X509Certificate(new Uint8Array(ca.der));
  if (!sameName(crl, caCert)) throw new TrustInputError('crl_issuer_mismatch', `${what} was issued by "${crl.issuer}", not by this CA ("${caCert.subject}")`);
  if (!(await caMaySignCrls(ca.der))) throw new TrustInputError('ca_cannot_sign_crls', `the CA's key usage does not include cRLSign, so no CRL it signed can be trusted (RFC 5280 §4.2.1.3)`);
  let signed: boolean;
  try {
    signed = await crl.verify({ publicKey: caCert });
  } catch (e) {
    throw new TrustInputError('unsupported_signature', `${what}'s signature cannot be checked (${crl.signatureAlgorithm?.name ?? 'unknown algorithm'}: ${(e as Error).message.split('\n')[0]})`);
  }
  if (!signed) throw new TrustInputError('crl_signature', `${what}'s signature does not verify with this CA's public key: it was not signed by this CA`);

  const number = crl.extensions.find((x) => x.type === OID.crlNumber);
  return {
    number: number ? derInteger(number.value) : null,
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate ?? null,
    sha256: createHash('sha256').update(der).digest('hex'),
    entries: revocations(crl),
  };
}
