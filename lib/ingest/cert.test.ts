import { describe, expect, it } from 'vitest';
import { CERT_PEM, CERT_SHA1_HEX, CERT_SHA256_HEX, CERT_SPIFFE, CERT_X5T } from './testing/samples.ts';
import { certFactsFromPem } from '../credentials/certificate.ts';
import { fingerprintFromJti, hexToB64url, sha256B64url } from '../credentials/fingerprint.ts';

describe('hash helpers', () => {
  it('sha256B64url matches the RFC 7638 example encoding style (no padding)', () => {
    expect(sha256B64url('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it.each([
    [CERT_SHA256_HEX, CERT_X5T],
    [CERT_SHA256_HEX.toUpperCase().match(/../g)!.join(':'), CERT_X5T],
  ])('hexToB64url(%s)', (hex, b64) => {
    expect(hexToB64url(hex, 32)).toBe(b64);
  });

  it('hexToB64url rejects wrong length and non-hex', () => {
    expect(hexToB64url(CERT_SHA1_HEX, 32)).toBeNull();
    expect(hexToB64url('zz'.repeat(32), 32)).toBeNull();
  });

  it('certFactsFromPem gives x5t#S256, SHA-1, RFC 2253 DNs (as NGINX logs them) and the SPIFFE URI SAN', () => {
    expect(certFactsFromPem(CERT_PEM)).toMatchObject({
      x5tS256: CERT_X5T,
      sha1Hex: CERT_SHA1_HEX,
      subjectDn: 'O=Test,CN=svc-a',
      serial: '2D669E9295DE474E5CBA623A320B31675CB8D204',
      uriSan: CERT_SPIFFE,
      notAfter: new Date('2036-11-19T08:44:39Z'),
    });
  });

  it('certFactsFromPem survives newlines flattened to spaces or escaped as \\n, and rejects garbage', () => {
    expect(certFactsFromPem(CERT_PEM.replace(/\n/g, ' '))?.x5tS256).toBe(CERT_X5T);
    expect(certFactsFromPem(CERT_PEM.replace(/\n/g, '\\n'))?.x5tS256).toBe(CERT_X5T);
    expect(certFactsFromPem('-----BEGIN CERTIFICATE-----AAAAAAAAAAAAAAAAAAAA-----END CERTIFICATE-----')).toBeNull();
  });

  it('fingerprintFromJti separates issuer and jti', () => {
    expect(fingerprintFromJti('a', 'bc')).not.toBe(fingerprintFromJti('ab', 'c'));
    expect(fingerprintFromJti(null, 'x')).toBe(fingerprintFromJti('', 'x'));
  });
});
