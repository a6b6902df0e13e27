import { X509Certificate, hash } from 'node:crypto';
import { isCanonicalBase64url } from './base64url.ts';
import { BindingError } from './errors.ts';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/;
const HEX_SHA256 = /^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){31})$/;
const HEX_SHA1 = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){19})$/;

/** A parsed client certificate: its exact DER and the node:crypto view of it. */
export interface ParsedCertificate {
  der: Buffer;
  x509: X509Certificate;
}

function decodeUrlEncoded(s: string): string {
  // NGINX $ssl_client_escaped_cert: URL-encoded PEM. `+` is literal base64 here, not a space.
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BindingError('certificate_invalid', 'URL-encoded certificate has a bad %-escape');
  }
}

function derFromText(text: string): Buffer {
  let s = text.trim();
  if (s.includes('%2D') || s.includes('%0A') || s.includes('%20') || s.includes('%2d') || s.includes('%0a')) {
    s = decodeUrlEncoded(s);
  }
  const m = PEM_BLOCK.exec(s);
  if (m) return Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64');
  throw new BindingError('certificate_invalid', 'no PEM certificate block found');
}

function derOf(input: string | Uint8Array): Buffer {
  let der: Buffer;
  if (typeof input === 'string') {
    der = derFromText(input);
  } else if (input instanceof Uint8Array) {
    const asText = input.length > 0 && input[0] === 0x2d /* '-' */ ? Buffer.from(input).toString('latin1') : null;
    der = asText ? derFromText(asText) : Buffer.from(input);
  } else {
    throw new BindingError('certificate_invalid', 'certificate must be PEM text or DER bytes');
  }
  if (der.length === 0) throw new BindingError('certificate_invalid', 'certificate is empty');
  return der;
}

// DER framing of a Certificate: SEQUENCE { tbsCertificate SEQUENCE, … } whose definite length
// spans exactly the bytes given. Enough to refuse garbage before hashing, far cheaper than a
// full X.509 parse (the thumbprint is a hash of these exact bytes either way).
function isCertificateFraming(der: Buffer): boolean {
  if (der.length < 4 || der[0] !== 0x30) return false;
  const b1 = der[1] as number;
  let len: number;
  let hdr: number;
  if (b1 < 0x80) {
    len = b1;
    hdr = 2;
  } else {
    const n = b1 & 0x7f;
    if (n < 1 || n > 3 || der.length < 2 + n) return false;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[2 + i] as number);
    hdr = 2 + n;
  }
  return hdr + len === der.length && der[hdr] === 0x30;
}

/** Parses a certificate given as PEM, URL-encoded PEM (NGINX $ssl_client_escaped_cert) or DER. */
export function parseCertificate(input: string | Uint8Array): ParsedCertificate {
  const der = derOf(input);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    throw new BindingError('certificate_invalid', 'not a parseable X.509 certificate');
  }
  // Hash what node parsed, so trailing bytes after the DER SEQUENCE can't change the thumbprint.
  return { der: x509.raw, x509 };
}

/** RFC 8705 §3.1 `x5t#S256`: base64url(SHA-256(DER)) of already-parsed DER bytes. */
export function x5tS256OfDer(der: Uint8Array): string {
  return hash('sha256', der, 'base64url');
}

/**
 * `x5t#S256` of a certificate given as PEM, URL-encoded PEM or DER. Checks DER framing only
 * (see isCertificateFraming); use parseCertificate when the certificate's fields matter.
 */
export function thumbprintCert(pemOrDer: string | Uint8Array): { x5tS256: string } {
  const der = derOf(pemOrDer);
  if (!isCertificateFraming(der)) throw new BindingError('certificate_invalid', 'not a DER-encoded X.509 certificate');
  return { x5tS256: x5tS256OfDer(der) };
}

/** Validates a `x5t#S256` value: canonical unpadded base64url of exactly 32 bytes. */
export function parseX5tS256(value: string): string {
  if (typeof value !== 'string' || value.length !== 43 || !isCanonicalBase64url(value)) {
    throw new BindingError(
      'fingerprint_invalid',
      'x5t#S256 must be 43 characters of canonical unpadded base64url (a SHA-256 digest)',
    );
  }
  return value;
}

/** Envoy %DOWNSTREAM_PEER_FINGERPRINT_256% (hex SHA-256, optionally colon-separated) → x5t#S256. */
export function x5tS256FromHexSha256(hex: string): string {
  if (typeof hex !== 'string' || !HEX_SHA256.test(hex.trim())) {
    throw new BindingError('fingerprint_invalid', 'expected 64 hex digits of SHA-256');
  }
  return Buffer.from(hex.trim().replace(/:/g, ''), 'hex').toString('base64url');
}

export type PresentedFingerprint =
  | { kind: 'x5t#S256'; comparable: true; x5tS256: string }
  | { kind: 'sha256_hex'; comparable: true; x5tS256: string }
  | { kind: 'sha1_hex'; comparable: false; x5tS256: null };

/**
 * Recognises a certificate fingerprint as a gateway logs it. NGINX $ssl_client_fingerprint is
 * SHA-1: a different hash of the same DER, so it can never be turned into x5t#S256 — it is
 * reported as not comparable rather than guessed at.
 */
export function classifyFingerprint(value: string): PresentedFingerprint {
  if (typeof value !== 'string') throw new BindingError('fingerprint_invalid', 'fingerprint must be a string');
  const v = value.trim();
  if (HEX_SHA256.test(v)) return { kind: 'sha256_hex', comparable: true, x5tS256: x5tS256FromHexSha256(v) };
  if (HEX_SHA1.test(v)) return { kind: 'sha1_hex', comparable: false, x5tS256: null };
  return { kind: 'x5t#S256', comparable: true, x5tS256: parseX5tS256(v) };
}
