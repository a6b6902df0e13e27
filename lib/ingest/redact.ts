// Redaction of credentials in raw lines kept for display. Covers header-style and JSON-style
// Authorization / DPoP / Cookie / Set-Cookie, token-ish JSON keys and query parameters,
// JWT-looking strings, `Bearer|DPoP|Basic <credential>` in free text and PEM private keys
// (plain, JSON-escaped or URL-encoded). Certificates are public and kept.

export const REDACTED = '[redacted]';

// Cheap pre-check: most lines carry none of these and skip the full pass.
const TRIGGER = /authoriz|dpop|cookie|ey[JI]|private|token|secret|passw|api.?key|bearer|basic|assertion/i;

const SENSITIVE_KEY =
  '(?:[\\w.-]*?(?:authorization|dpop|cookie|token|secret|password|passwd|api[_-]?key|apikey|assertion|private[_-]?key)[\\w.-]*|match|raw|rawv2)';

// Keys that name a credential but hold only facts about it (scheme, presence, hash, type).
const HARMLESS_KEY = /^(?:has|is)[_-]|(?:scheme|type|fingerprint|sha256|hash|hint|present|count|len|length)$/i;

function harmless(prefix: string): boolean {
  const key = /([\w.-]+)"?\s*[:=]?\s*$/.exec(prefix)?.[1] ?? '';
  return HARMLESS_KEY.test(key.slice(key.lastIndexOf('.') + 1));
}

// One pass, alternatives in priority order; each alternative has its own capture groups.
const PATTERN = new RegExp(
  [
    // 1. PEM private key, any escaping, up to its END line (or end of line when truncated).
    '(-----BEGIN(?:[ A-Z0-9]|%20)*PRIVATE(?: |%20)KEY-----[\\s\\S]*?(?:-----END(?:[ A-Z0-9]|%20)*PRIVATE(?: |%20)KEY-----|$))',
    // 2. JSON "key": "value" or "key": ["v", …] with a sensitive key.
    `("${SENSITIVE_KEY}"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"|\\[(?:\\s*"(?:[^"\\\\]|\\\\.)*"\\s*,?)*\\s*\\])`,
    // 3. Header style `Authorization: value` to the end of the field.
    '(\\b(?:proxy-)?(?:authorization|dpop|cookie|set-cookie)\\s*:\\s*)([^"\\r\\n]+)',
    // 4. key=value pairs (query strings, logfmt): token=, access_token=, client_secret=, …
    `((?:^|[?&;,\\s"'(])${SENSITIVE_KEY}=)("(?:[^"\\\\]|\\\\.)*"|[^&\\s"',;)]*)`,
    // 5. JWT / JWS / JWE-looking strings.
    '(\\beyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}(?:\\.[A-Za-z0-9_-]*){1,3})',
    // 6. Scheme + credential in free text (a credential is 8+ token68 characters).
    '(\\b(?:Bearer|DPoP|Basic)\\s+)([A-Za-z0-9._~+/-]{8,}=*)',
    // 7. Name/value header objects (OCSF http_headers, HAR): {"name":"Cookie","value":"…"}.
    '("name"\\s*:\\s*"(?:proxy-)?(?:authorization|dpop|cookie|set-cookie)"\\s*,\\s*"value"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*")',
  ].join('|'),
  'gi',
);

function replacer(m: string, ...g: (string | undefined)[]): string {
  if (g[0] !== undefined) return REDACTED;
  if (g[1] !== undefined) {
    if (harmless(g[1])) return m;
    return g[2]!.startsWith('[') ? `${g[1]}["${REDACTED}"]` : `${g[1]}"${REDACTED}"`;
  }
  if (g[3] !== undefined) return g[3] + REDACTED;
  if (g[5] !== undefined) {
    if (harmless(g[5])) return m;
    return g[6]!.startsWith('"') ? `${g[5]}"${REDACTED}"` : g[5] + (g[6] ? REDACTED : '');
  }
  if (g[7] !== undefined) return REDACTED;
  if (g[8] !== undefined) return g[8] + REDACTED;
  if (g[10] !== undefined) return `${g[10]}"${REDACTED}"`;
  return m;
}

/** The line with credentials replaced by `[redacted]`; lines without any are returned as is. */
export function redact(line: string): string {
  if (!TRIGGER.test(line)) return line;
  return line.replace(PATTERN, replacer);
}
