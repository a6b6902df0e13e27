// The gateway's own client-certificate verification, as it logged it, read into a certificate
// verdict. NGINX logs `$ssl_client_verify` as `FAILED:<OpenSSL X509_verify_cert_error_string>`
// (Apache's SSL_CLIENT_VERIFY and Kong's client_verify do the same); HAProxy logs the OpenSSL
// error number (`ssl_c_verify`). The texts below are the exact ones OpenSSL 3 prints (checked
// against NGINX 1.22 on OpenSSL 3.0 in lib/ingest/nginx-real.test.ts), plus the OpenSSL 1.1
// spellings OpenSSL 3 renamed, so logs from older gateways read the same.
import type { NormalizedEvent, Verdict } from '../domain/types.ts';

/** The certificate verdicts a gateway's failed verification can produce. */
export type CertFailureVerdict = Extract<Verdict, 'cert_revoked' | 'cert_expired' | 'cert_untrusted'>;

export interface GatewayCertFailure {
  verdict: CertFailureVerdict;
  /** The failure as the gateway stated it (`certificate revoked`), without the `FAILED:` prefix; null when it gave none. */
  reason: string | null;
}

/**
 * OpenSSL verification errors (x509_vfy.h number → text) that are not plain distrust. Revoked and
 * expired are their own verdicts because an analyst acts on them differently: a revoked
 * certificate still being presented is a key someone declared compromised or retired, an expired
 * one is usually a renewal that did not reach the client.
 */
const OPENSSL_FAILURES: ReadonlyArray<{ code: number; texts: readonly string[]; verdict: CertFailureVerdict }> = [
  { code: 23, texts: ['certificate revoked'], verdict: 'cert_revoked' },
  { code: 10, texts: ['certificate has expired'], verdict: 'cert_expired' },
  // CONTRACT.md: cert_expired is "expired (or not yet valid)" — outside its validity window either way.
  { code: 9, texts: ['certificate is not yet valid'], verdict: 'cert_expired' },
  // Every other failure means the gateway did not trust the certificate. Listed for the record
  // (and the table test); unknown texts are cert_untrusted too, so a new OpenSSL message never
  // turns a refused certificate into a token verdict.
  { code: 2, texts: ['unable to get issuer certificate'], verdict: 'cert_untrusted' },
  // With a CRL configured, NGINX reports this for any certificate whose issuer has no CRL there,
  // self-signed ones included: revocation status unknown, so not trusted.
  { code: 3, texts: ['unable to get certificate CRL'], verdict: 'cert_untrusted' },
  // The issuer name matches a trusted CA but its key did not sign this certificate: a forgery.
  { code: 7, texts: ['certificate signature failure'], verdict: 'cert_untrusted' },
  { code: 8, texts: ['CRL signature failure'], verdict: 'cert_untrusted' },
  // A stale or future CRL fails every handshake on NGINX: the gateway's fault, not the client's,
  // but the certificate was still refused.
  { code: 11, texts: ['CRL is not yet valid'], verdict: 'cert_untrusted' },
  { code: 12, texts: ['CRL has expired'], verdict: 'cert_untrusted' },
  { code: 18, texts: ['self-signed certificate', 'self signed certificate'], verdict: 'cert_untrusted' },
  { code: 19, texts: ['self-signed certificate in certificate chain', 'self signed certificate in certificate chain'], verdict: 'cert_untrusted' },
  { code: 20, texts: ['unable to get local issuer certificate'], verdict: 'cert_untrusted' },
  { code: 21, texts: ['unable to verify the first certificate'], verdict: 'cert_untrusted' },
  { code: 22, texts: ['certificate chain too long'], verdict: 'cert_untrusted' },
  { code: 24, texts: ["issuer certificate doesn't have a public key"], verdict: 'cert_untrusted' },
  { code: 25, texts: ['path length constraint exceeded'], verdict: 'cert_untrusted' },
  // OpenSSL 3 says "unsuitable", 1.1 said "unsupported": e.g. a serverAuth-only certificate used as a client's.
  { code: 26, texts: ['unsuitable certificate purpose', 'unsupported certificate purpose'], verdict: 'cert_untrusted' },
  { code: 27, texts: ['certificate not trusted'], verdict: 'cert_untrusted' },
  { code: 28, texts: ['certificate rejected'], verdict: 'cert_untrusted' },
  { code: 79, texts: ['invalid CA certificate'], verdict: 'cert_untrusted' },
];

const BY_TEXT = new Map<string, CertFailureVerdict>(OPENSSL_FAILURES.flatMap((f) => f.texts.map((t) => [t.toLowerCase(), f.verdict] as const)));
const BY_CODE = new Map<number, { verdict: CertFailureVerdict; text: string }>(OPENSSL_FAILURES.map((f) => [f.code, { verdict: f.verdict, text: f.texts[0]! }]));

/** The exact OpenSSL failure texts this module knows, with their verdicts (for tests and docs). */
export const KNOWN_CERT_FAILURE_TEXTS: ReadonlyArray<readonly [string, CertFailureVerdict]> = [...BY_TEXT.entries()];

/**
 * Reads a gateway's verification outcome (`SUCCESS`, `NONE`, `FAILED:<reason>`, or a bare
 * OpenSSL error text) into a certificate verdict; null when the gateway did not fail the
 * certificate. Matching is on the exact OpenSSL text, not on words in it: "unable to get
 * certificate CRL" mentions neither revocation nor expiry and is not a revoked certificate.
 */
export function certFailureOfVerify(verify: string | null | undefined): GatewayCertFailure | null {
  if (!verify) return null;
  const v = verify.trim();
  if (!/^FAILED\b/i.test(v)) return null;
  const reason = v.replace(/^FAILED:?/i, '').trim() || null;
  return { verdict: (reason && BY_TEXT.get(reason.toLowerCase())) || 'cert_untrusted', reason };
}

/** HAProxy's `ssl_c_verify` / `ssl_c_err` / `ssl_c_ca_err` (an OpenSSL X509_V_ERR number; 0 is success). */
export function certFailureOfOpensslCode(code: number | null | undefined): GatewayCertFailure | null {
  if (code === null || code === undefined || !Number.isInteger(code) || code === 0) return null;
  const known = BY_CODE.get(code);
  return known ? { verdict: known.verdict, reason: known.text } : { verdict: 'cert_untrusted', reason: `X509_V_ERR ${code}` };
}

const CERT_FAILURE_VERDICTS = new Set<Verdict>(['cert_revoked', 'cert_expired', 'cert_untrusted']);

/**
 * The gateway's own certificate failure for one logged request: its verification text when it
 * logged one (NGINX, Apache, Kong), else a certificate verdict its parser stated (Envoy's
 * transport failure reason and the like). Null when the gateway accepted or saw no certificate.
 */
export function gatewayCertFailure(event: Pick<NormalizedEvent, 'cert' | 'sourceVerdict'>): GatewayCertFailure | null {
  const fromVerify = certFailureOfVerify(event.cert?.verify);
  if (fromVerify) return fromVerify;
  const sv = event.sourceVerdict;
  if (sv && CERT_FAILURE_VERDICTS.has(sv.verdict)) return { verdict: sv.verdict as CertFailureVerdict, reason: sv.reason };
  return null;
}
