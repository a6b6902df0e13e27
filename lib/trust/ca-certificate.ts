// A trust anchor as Holdfast keeps it: the facts of a CA certificate, read from PEM or DER.
// DNs are spelled the way lib/ingest spells a logged certificate's (Node's subject reversed into
// RFC 2253 order), so a request's issuer DN and an anchor's subject DN meet through dnKey.
import { createHash, X509Certificate } from 'node:crypto';
import { nodeDnToRfc2253 } from '../credentials/certificate.ts';
import { TrustInputError } from './errors.ts';
import { singleDer, toPem } from './pem.ts';
import { peculiarX509 } from './peculiar-x509.ts';
import { normalizeSerial } from './serial.ts';

export interface CaCertificate {
  subjectDn: string;
  issuerDn: string;
  x5tS256: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** The certificate alone, re-encoded from its DER (nothing else the file held). */
  pem: string;
  der: Buffer;
}

const CERT_LABELS = ['CERTIFICATE', 'TRUSTED CERTIFICATE'] as const;

/** Key usage, when the certificate states one: a CA whose key usage lacks cRLSign signs no CRL (RFC 5280 §4.2.1.3). */
export async function caMaySignCrls(der: Uint8Array): Promise<boolean> {
  const x509 = await peculiarX509();
  const cert = new x509.X509Certificate(new Uint8Array(der));
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  return !ku || (ku.usages & x509.KeyUsageFlags.cRLSign) !== 0;
}

/** Reads one CA certificate; refuses a leaf, several certificates, a private key, or anything else. */
export function readCaCertificate(input: Uint8Array, what = 'the CA file'): CaCertificate {
  const der = singleDer(input, CERT_LABELS, what);
  let c: X509Certificate;
  try {
    c = new X509Certificate(der);
  } catch {
    throw new TrustInputError('not_a_certificate', `${what} is not an X.509 certificate`);
  }
  // A leaf certificate issues nothing: no CRL of it could ever list a client certificate.
  if (!c.ca) throw new TrustInputError('not_a_ca', `${what} is not a CA certificate (basicConstraints CA:FALSE or absent): ${nodeDnToRfc2253(c.subject)}`);
  const raw = Buffer.from(c.raw);
  return {
    subjectDn: nodeDnToRfc2253(c.subject),
    issuerDn: nodeDnToRfc2253(c.issuer),
    x5tS256: createHash('sha256').update(raw).digest('base64url'),
    serial: normalizeSerial(c.serialNumber) ?? c.serialNumber,
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    pem: toPem(raw, 'CERTIFICATE'),
    der: raw,
  };
}
