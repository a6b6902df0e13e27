// The source line a notable request keeps: already redacted (lib/ingest/redact.ts), then made
// compact. Certificates are public, but a URL-encoded or PEM client certificate is ~1.5 KB of the
// ~2.6 KB an NGINX mTLS line weighs and is already kept as facts (x5t#S256, subject, issuer,
// serial, validity) in the Certificate row: it is replaced by a marker. The result is capped.

export const RAW_LINE_MAX = 1024;
export const CERT_MARKER = '[certificate]';

// PEM certificates, plain, JSON-escaped (\n) or URL-encoded (%20, %0A, %2B …), and long base64 DER runs.
const CERT = new RegExp(
  [
    '-----BEGIN(?: |%20)CERTIFICATE-----[\\s\\S]*?-----END(?: |%20)CERTIFICATE-----(?:%0A|\\\\n|\\n)?',
    '%2D%2D%2D%2D%2DBEGIN%20CERTIFICATE%2D%2D%2D%2D%2D[\\s\\S]*?%2D%2D%2D%2D%2DEND%20CERTIFICATE%2D%2D%2D%2D%2D(?:%0A)?',
    'MII[A-Za-z0-9+/=_-]{300,}',
  ].join('|'),
  'g',
);

/** The redacted line with certificates replaced by a marker, cut to `max` characters. */
export function compactRawLine(redacted: string, max = RAW_LINE_MAX): string {
  const s = redacted.length > 200 && /CERTIFICATE|MII/.test(redacted) ? redacted.replace(CERT, CERT_MARKER) : redacted;
  return s.length <= max ? s : `${s.slice(0, max - 14)}…[truncated]`;
}
