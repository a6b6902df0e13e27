// A client certificate's facts from PEM as logs carry it (line breaks possibly mangled by a log
// pipeline): x5t#S256, SHA-1, RFC 2253 DNs, serial, validity, first URI SAN. Lenient: null when it
// does not parse (the binding engine's strict parser, which explains refusals, is
// lib/binding/certificate-thumbprint.ts).
import { X509Certificate } from 'node:crypto';
import { sha256B64url } from './fingerprint.ts';

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

const DER = Symbol('holdfast.certificateDer');

/**
 * Keeps a certificate's DER with its facts (or a line's certificate built from them), out of sight
 * of enumeration — JSON, object spreads and equality see only the facts. The bytes are read once,
 * to verify the certificate's signature during ingest (lib/trust judgeAgainstAnchors), and are never
 * stored.
 */
export function attachDer<T extends object>(o: T, der: Uint8Array | null | undefined): T {
  if (der) Object.defineProperty(o, DER, { value: der, enumerable: false, configurable: true });
  return o;
}

/** The DER attachDer kept with `o`, when the line carried the whole certificate. */
export function derOf(o: object | null | undefined): Uint8Array | null {
  return (o as { [DER]?: Uint8Array } | null | undefined)?.[DER] ?? null;
}

/** A certificate's DER as PEM (base64 in lines of 64, RFC 7468). */
export function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`;
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
    return attachDer({
      x5tS256: sha256B64url(c.raw),
      sha1Hex: c.fingerprint.replace(/:/g, '').toLowerCase(),
      subjectDn: c.subject ? nodeDnToRfc2253(c.subject) : null,
      issuerDn: c.issuer ? nodeDnToRfc2253(c.issuer) : null,
      serial: c.serialNumber || null,
      notBefore: validDate(c.validFrom),
      notAfter: validDate(c.validTo),
      uriSan: uri?.[1] ?? null,
    }, der);
  } catch {
    return null;
  }
}

function validDate(s: string): Date | null {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}
