import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../domain/types.ts';
import { certFailureOfOpensslCode, certFailureOfVerify, gatewayCertFailure, KNOWN_CERT_FAILURE_TEXTS, type CertFailureVerdict } from './cert-failure.ts';

// `$ssl_client_verify` exactly as NGINX 1.22 on OpenSSL 3.0 logs it. The ones marked (nginx) were
// produced by the real nginx in lib/ingest/nginx-real.test.ts, which asserts the same strings.
const NGINX_VERIFY: Array<[string, CertFailureVerdict, string]> = [
  ['FAILED:certificate revoked', 'cert_revoked', 'certificate revoked'], // (nginx) on the CRL
  ['FAILED:certificate has expired', 'cert_expired', 'certificate has expired'], // (nginx) notAfter passed
  ['FAILED:certificate is not yet valid', 'cert_expired', 'certificate is not yet valid'], // (nginx) notBefore ahead
  ['FAILED:unable to verify the first certificate', 'cert_untrusted', 'unable to verify the first certificate'], // (nginx) another CA's leaf alone
  ['FAILED:unable to get local issuer certificate', 'cert_untrusted', 'unable to get local issuer certificate'], // (nginx) leaf + untrusted intermediate
  ['FAILED:self-signed certificate', 'cert_untrusted', 'self-signed certificate'], // (nginx, no ssl_crl)
  ['FAILED:self-signed certificate in certificate chain', 'cert_untrusted', 'self-signed certificate in certificate chain'], // (nginx, no ssl_crl)
  ['FAILED:unable to get certificate CRL', 'cert_untrusted', 'unable to get certificate CRL'], // (nginx) self-signed, with ssl_crl
  ['FAILED:unsuitable certificate purpose', 'cert_untrusted', 'unsuitable certificate purpose'], // (nginx) serverAuth-only EKU
  ['FAILED:certificate signature failure', 'cert_untrusted', 'certificate signature failure'], // (nginx) forged issuer name
  ['FAILED:CRL has expired', 'cert_untrusted', 'CRL has expired'], // (nginx) stale ssl_crl
  // OpenSSL 1.1 spellings, renamed in 3.0: older gateways' logs read the same.
  ['FAILED:self signed certificate', 'cert_untrusted', 'self signed certificate'],
  ['FAILED:self signed certificate in certificate chain', 'cert_untrusted', 'self signed certificate in certificate chain'],
  ['FAILED:unsupported certificate purpose', 'cert_untrusted', 'unsupported certificate purpose'],
  // A message this table does not know is still a refused certificate, never a token verdict.
  ['FAILED:some future OpenSSL message', 'cert_untrusted', 'some future OpenSSL message'],
];

describe('certFailureOfVerify', () => {
  it.each(NGINX_VERIFY)('%s → %s', (verify, verdict, reason) => {
    expect(certFailureOfVerify(verify)).toEqual({ verdict, reason });
  });

  it.each([['SUCCESS'], ['NONE'], [''], [null], [undefined], ['GENEROUS']])('%s is not a failure', (v) => {
    expect(certFailureOfVerify(v)).toBeNull();
  });

  // The old reading looked for words: "revoked" anywhere made a revocation, anything else distrust.
  it('does not read a CRL problem as a revoked certificate, nor an expired CRL as an expired certificate', () => {
    expect(certFailureOfVerify('FAILED:unable to get certificate CRL')?.verdict).toBe('cert_untrusted');
    expect(certFailureOfVerify('FAILED:CRL has expired')?.verdict).toBe('cert_untrusted');
    expect(certFailureOfVerify('FAILED:CRL is not yet valid')?.verdict).toBe('cert_untrusted');
  });

  it('keeps FAILED without a reason as an untrusted certificate with no reason', () => {
    expect(certFailureOfVerify('FAILED')).toEqual({ verdict: 'cert_untrusted', reason: null });
  });

  it('knows each text once, in lower case or not', () => {
    const texts = KNOWN_CERT_FAILURE_TEXTS.map(([t]) => t);
    expect(new Set(texts).size).toBe(texts.length);
    expect(certFailureOfVerify('FAILED:Certificate Revoked')?.verdict).toBe('cert_revoked');
  });
});

describe('certFailureOfOpensslCode (HAProxy ssl_c_verify)', () => {
  it.each([
    [23, 'cert_revoked', 'certificate revoked'],
    [10, 'cert_expired', 'certificate has expired'],
    [9, 'cert_expired', 'certificate is not yet valid'],
    [18, 'cert_untrusted', 'self-signed certificate'],
    [20, 'cert_untrusted', 'unable to get local issuer certificate'],
    [26, 'cert_untrusted', 'unsuitable certificate purpose'],
    [12, 'cert_untrusted', 'CRL has expired'],
    [999, 'cert_untrusted', 'X509_V_ERR 999'],
  ] as const)('X509_V_ERR %i → %s (%s)', (code, verdict, reason) => {
    expect(certFailureOfOpensslCode(code)).toEqual({ verdict, reason });
  });

  it('reads 0 (X509_V_OK) and no value as no failure', () => {
    expect(certFailureOfOpensslCode(0)).toBeNull();
    expect(certFailureOfOpensslCode(null)).toBeNull();
  });
});

describe('gatewayCertFailure', () => {
  const cert = (verify: string | null): NormalizedEvent['cert'] => ({
    x5tS256: null, sha1Hex: null, subjectDn: null, issuerDn: null, serial: null, notBefore: null, notAfter: null, verify,
  });

  it('prefers the exact verification text over a parser\'s coarser verdict', () => {
    expect(gatewayCertFailure({ cert: cert('FAILED:unable to get certificate CRL'), sourceVerdict: { verdict: 'cert_revoked', reason: 'x' } }))
      .toEqual({ verdict: 'cert_untrusted', reason: 'unable to get certificate CRL' });
  });

  it('takes a certificate verdict a parser stated when no verification text was logged (Envoy)', () => {
    expect(gatewayCertFailure({ cert: null, sourceVerdict: { verdict: 'cert_expired', reason: 'CERTIFICATE_VERIFY_FAILED' } }))
      .toEqual({ verdict: 'cert_expired', reason: 'CERTIFICATE_VERIFY_FAILED' });
  });

  it('ignores source verdicts that are not about the certificate, and a successful verification', () => {
    expect(gatewayCertFailure({ cert: null, sourceVerdict: { verdict: 'proof_invalid', reason: 'htu' } })).toBeNull();
    expect(gatewayCertFailure({ cert: cert('SUCCESS'), sourceVerdict: null })).toBeNull();
  });
});
