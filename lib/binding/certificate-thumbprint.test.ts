import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classifyFingerprint,
  parseCertificate,
  parseX5tS256,
  x5tS256OfDer,
  thumbprintCert,
  x5tS256FromHexSha256,
} from './certificate-thumbprint.ts';
import { BindingError } from './errors.ts';
import { createPki, type OpensslPki } from './testing/openssl.ts';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof BindingError ? e.code : 'not-a-BindingError';
  }
}

describe('x5t#S256 from certificates made by openssl', () => {
  let pki: OpensslPki;
  let leafPath: string;
  let pem: string;
  let shell: string;

  beforeAll(() => {
    pki = createPki();
    const ca = pki.makeCa('thumb-ca');
    leafPath = pki.makeLeaf('thumb-leaf', ca).cert;
    pem = pki.read(leafPath);
    shell = pki.x5tByShell(leafPath);
  });
  afterAll(() => pki.cleanup());

  it('equals `openssl x509 -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d =` for PEM', () => {
    expect(shell).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(thumbprintCert(pem)).toEqual({ x5tS256: shell });
  });

  it('gives the same value from DER bytes', () => {
    pki.run(['x509', '-in', leafPath, '-outform', 'DER', '-out', `${leafPath}.der`]);
    expect(thumbprintCert(readFileSync(`${leafPath}.der`)).x5tS256).toBe(shell);
  });

  it('agrees with a full X.509 parse, and refuses DER with a trailing byte', () => {
    expect(x5tS256OfDer(parseCertificate(pem).der)).toBe(shell);
    const der = new X509Certificate(pem).raw;
    expect(codeOf(() => thumbprintCert(Buffer.concat([der, Buffer.from([0])])))).toBe('certificate_invalid');
  });

  it('gives the same value from PEM bytes and from a PEM with surrounding text', () => {
    expect(thumbprintCert(Buffer.from(pem)).x5tS256).toBe(shell);
    expect(thumbprintCert(`subject=CN=x\n${pem}\ntrailing`).x5tS256).toBe(shell);
  });

  it('gives the same value from the URL-encoded PEM NGINX logs as $ssl_client_escaped_cert', () => {
    // NGINX escapes with ngx_escape_uri(NGX_ESCAPE_URI_COMPONENT): spaces, newlines, '+', '/', '=' become %XX.
    const escaped = encodeURIComponent(pem).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    expect(escaped).toContain('-----BEGIN%20CERTIFICATE-----%0A');
    expect(thumbprintCert(escaped).x5tS256).toBe(shell);
  });

  it('converts Envoy hex SHA-256 (%DOWNSTREAM_PEER_FINGERPRINT_256%) to the same x5t#S256', () => {
    const hex = createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
    expect(x5tS256FromHexSha256(hex)).toBe(shell);
    expect(x5tS256FromHexSha256(hex.toUpperCase().match(/../g)!.join(':'))).toBe(shell);
    expect(classifyFingerprint(hex)).toEqual({ kind: 'sha256_hex', comparable: true, x5tS256: shell });
  });

  it('recognises NGINX $ssl_client_fingerprint (SHA-1 hex) as not comparable', () => {
    const sha1 = createHash('sha1').update(new X509Certificate(pem).raw).digest('hex');
    expect(classifyFingerprint(sha1)).toEqual({ kind: 'sha1_hex', comparable: false, x5tS256: null });
  });
});

describe('thumbprint input errors', () => {
  it.each([
    ['empty string', 'certificate_invalid', ''],
    ['garbage text', 'certificate_invalid', 'hello'],
    ['a PEM block with a non-certificate body', 'certificate_invalid', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'],
    ['a bad %-escape', 'certificate_invalid', '-----BEGIN%20CERTIFICATE-----%0A%ZZ'],
  ])('rejects %s with %s', (_n, code, input) => {
    expect(codeOf(() => thumbprintCert(input))).toBe(code);
  });

  it('rejects random DER bytes with certificate_invalid', () => {
    expect(codeOf(() => thumbprintCert(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])))).toBe('certificate_invalid');
  });

  it('rejects the RFC 8705 example x5t#S256 (non-canonical) with fingerprint_invalid', () => {
    expect(codeOf(() => parseX5tS256('bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2'))).toBe('fingerprint_invalid');
    expect(parseX5tS256('bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0')).toBe('bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0');
  });

  it('rejects hex of the wrong length with fingerprint_invalid', () => {
    expect(codeOf(() => x5tS256FromHexSha256('abcd'))).toBe('fingerprint_invalid');
    expect(codeOf(() => classifyFingerprint('zz'))).toBe('fingerprint_invalid');
  });
});
