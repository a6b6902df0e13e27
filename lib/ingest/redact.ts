// Redaction of credentials in raw lines kept for display. Covers header-style and JSON-style
// Authorization / DPoP / Cookie / Set-Cookie, token-ish JSON keys and query parameters,
// JWT-looking strings, `Bearer|DPoP|Basic <credential>` in free text and PEM private keys
// (plain, JSON-escaped or URL-encoded). Certificates are public and kept.

export const REDACTED = '[redacted]';

// Cheap pre-check: most lines carry none of these and skip the full pass.
const TRIGGER = /authoriz|dpop|cookie|ey[JI]|private|token|secret|passw|api.?key|bearer|basic|assertion|[?&](?:code|sig|signature|x-(?:amz|goog)-signature)=/i;

// Query parameters that carry a credential under a name too generic for SENSITIVE_KEY (which
// also matches JSON member names: "code" there would blank every status_code): an OAuth
// authorization code, and the signature of a pre-signed URL (S3, GCS, Azure SAS `sig`), which
// grants access on its own until it expires. Only after `?` or `&`, as in a URL.
const QUERY_CREDENTIAL = 'code|sig|signature|x-amz-signature|x-goog-signature';

const SENSITIVE_KEY =
  '(?:[\\w.-]*?(?:authorization|dpop|cookie|token|secret|password|passwd|api[_-]?key|apikey|assertion|private[_-]?key)[\\w.-]*|match|raw|rawv2)';

// Keys that name a credential but hold only facts about it (scheme, presence, hash, type).
const HARMLESS_KEY = /^(?:has|is)[_-]|(?:scheme|type|fingerprint|sha256|hash|hint|present|count|len|length|[_-]id)$/i;

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
    // 8. Credential query parameters with generic names (QUERY_CREDENTIAL).
    `([?&](?:${QUERY_CREDENTIAL})=)([^&#\\s"',;)]*)`,
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
  if (g[12] !== undefined) return g[12] + (g[13] ? REDACTED : '');
  return m;
}

// A JWS/JWE in compact form whose header is not spelled `{"…` (so not `eyJ…`): `{ "alg"…` is
// `eyAi…`, `{\n  "alg"…` is `ewog…`. Found by shape — 3 to 5 dot-separated base64url segments,
// the first at least 10 characters — and confirmed by decoding the first segment to a JSON
// object with a string `alg`, the one member RFC 7515/7516 require. The decode keeps hostnames
// and dotted ids (`subdomain-long.example.com`) that merely look like it. The lookbehind
// anchors matches at the start of a run, so a long run of base64url never backtracks.
const LOOSE_JWT = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*){2,4}(?![A-Za-z0-9_-])/g;

function isJoseHeader(segment: string): boolean {
  const text = Buffer.from(segment, 'base64url').toString('utf8').trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return false;
  try {
    const h = JSON.parse(text) as unknown;
    return typeof h === 'object' && h !== null && !Array.isArray(h) && typeof (h as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/** Two dots at least, the cheapest necessary condition: most values (times, paths) have fewer. */
function twoDots(s: string): boolean {
  const first = s.indexOf('.');
  return first !== -1 && s.indexOf('.', first + 1) !== -1;
}

const isBase64url = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;

/**
 * Whether LOOSE_JWT could match: it begins with 10 base64url characters right before a `.`, and
 * there are two dots. A URL or DN has dots (`api.example.com`) but rarely such a run before one,
 * and scanning back from each dot is much cheaper than the regex's attempt at every position.
 */
function mayHoldLooseJwt(s: string): boolean {
  let dot = s.indexOf('.');
  if (dot === -1 || s.indexOf('.', dot + 1) === -1) return false;
  for (; dot !== -1; dot = s.indexOf('.', dot + 1)) {
    let i = dot - 1;
    while (i >= 0 && i >= dot - 10 && isBase64url(s.charCodeAt(i))) i--;
    if (i < dot - 10) return true;
  }
  return false;
}

function redactLooseJwts(line: string): string {
  if (!mayHoldLooseJwt(line)) return line;
  return line.replace(LOOSE_JWT, (m) => (isJoseHeader(m.slice(0, m.indexOf('.'))) ? REDACTED : m));
}

/** Whether a value holds a JWT redactLooseJwts() would blank. */
function hasLooseJwt(v: string): boolean {
  return v.length >= 14 && twoDots(v) && redactLooseJwts(v) !== v;
}

/** The line with credentials replaced by `[redacted]`; lines without any are returned as is. */
export function redact(line: string): string {
  const out = TRIGGER.test(line) ? line.replace(PATTERN, replacer) : line;
  return redactLooseJwts(out);
}

// A line's identity hint (a certificate's DN, a client id) is one of a fleet's few thousand names,
// repeated line after line: remember each short one's redacted form rather than redact it again.
const redactedNames = new Map<string, string>();

/** redact() of a name that repeats across lines (memoised; the same result). */
export function redactName(name: string): string {
  if (name.length > 256) return redact(name);
  let r = redactedNames.get(name);
  if (r === undefined) {
    r = redact(name);
    if (redactedNames.size >= 4096) redactedNames.clear();
    redactedNames.set(name, r);
  }
  return r;
}

const SENSITIVE_KEY_RE = new RegExp(`^${SENSITIVE_KEY}$`, 'i');
// A string value that may hold a credential outside a sensitive key: send the line down the generic path.
const SUSPECT_VALUE = new RegExp(
  `eyJ|PRIVATE(?: |%20)KEY|(?:bearer|dpop|basic)\\s+[A-Za-z0-9._~+/-]{8}|(?:token|secret|passw\\w*|assertion|api.?key)=|(?:authorization|cookie|dpop)\\s*:|[?&](?:${QUERY_CREDENTIAL})=`,
  'i',
);

// Member names repeat on every line of a log: remember the verdict per name.
const keyVerdicts = new Map<string, boolean>();

function isSensitiveKey(k: string): boolean {
  let v = keyVerdicts.get(k);
  if (v === undefined) {
    v = SENSITIVE_KEY_RE.test(k) && !HARMLESS_KEY.test(k.slice(k.lastIndexOf('.') + 1));
    if (keyVerdicts.size > 4096) keyVerdicts.clear();
    keyVerdicts.set(k, v);
  }
  return v;
}

function emptyish(v: unknown): boolean {
  return v === null || v === '' || v === '-' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * Cheap tests first: most logged values (ids, addresses, encoded certs) hold none of `eyJ`,
 * `PRIVATE`, `=`, `:` or white space, and one regex pass settles them. Past the two markers, a
 * value got here on `=`, `:` or white space, without which SUSPECT_VALUE is not consulted. A JWT
 * with an unusual header needs two dots, so most values skip that test on two indexOf calls.
 */
function suspicious(v: string): boolean {
  if (v.length < 8) return false;
  if (MARKER_OR_PATTERN_CHAR.test(v) && (v.includes('eyJ') || v.includes('PRIVATE') || SUSPECT_VALUE.test(v))) return true;
  return hasLooseJwt(v);
}

const MARKER_OR_PATTERN_CHAR = /eyJ|PRIVATE|[=:\s]/;

/** Collects sensitive member names with string values; false when the generic path is needed. */
function collect(o: unknown, keys: Set<string>, depth: number): boolean {
  if (depth > 8) return false;
  if (Array.isArray(o)) {
    for (const v of o) if (!collect(v, keys, depth + 1)) return false;
    return true;
  }
  if (typeof o === 'string') return !suspicious(o);
  if (typeof o !== 'object' || o === null) return true;
  // Name/value header objects ({"name":"Cookie","value":"…"}) need the generic pattern.
  const name = (o as Record<string, unknown>).name;
  if (typeof name === 'string' && 'value' in o && isSensitiveKey(name)) return false;
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (isSensitiveKey(k)) {
      if (emptyish(v)) continue;
      if (typeof v !== 'string') return false;
      keys.add(k);
    } else if (!collect(v, keys, depth + 1)) return false;
  }
  return true;
}

/** Index just past the JSON string literal starting at `i` (which must be a quote), or -1. */
function endOfJsonString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

// The quoted form of each sensitive member name, as searched for in the line (names repeat).
const needles = new Map<string, string>();

function needleOf(key: string): string {
  let n = needles.get(key);
  if (n === undefined) {
    n = JSON.stringify(key);
    if (needles.size > 4096) needles.clear();
    needles.set(key, n);
  }
  return n;
}

function redactMember(text: string, key: string): string | null {
  const needle = needleOf(key);
  let out = '';
  let from = 0;
  let found = false;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at === -1) break;
    let j = at + needle.length;
    while (text[j] === ' ' || text[j] === '\t') j++;
    if (text[j] !== ':') {
      out += text.slice(from, j);
      from = j;
      continue;
    }
    j++;
    while (text[j] === ' ' || text[j] === '\t') j++;
    if (text[j] !== '"') return null;
    const end = endOfJsonString(text, j);
    if (end === -1) return null;
    out += `${text.slice(from, j)}"${REDACTED}"`;
    from = end;
    found = true;
  }
  // Not found as written (e.g. a \u-escaped key): let the caller take the generic path.
  return found ? out + text.slice(from) : null;
}

/**
 * redact() for a line already parsed as JSON: when the only credentials sit in sensitive
 * members with string values, those members are blanked directly (no full-line regex pass,
 * which dominates parse cost); anything else takes the generic path.
 */
export function redactJsonLine(text: string, parsed: unknown): string {
  const keys = new Set<string>();
  if (!collect(parsed, keys, 0)) {
    // JSON escapes (\u0020…) can hide a credential from the text patterns: redact the parsed structure then.
    return text.includes('\\') ? JSON.stringify(redactValue(parsed, 0)) : redact(text);
  }
  let out = text;
  for (const k of keys) {
    const r = redactMember(out, k);
    if (r === null) return JSON.stringify(redactValue(parsed, 0));
    out = r;
  }
  return out;
}

/** Structural redaction, for JSON whose text form defeats the fast path (escaped member names). */
function redactValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return redact(v);
  if (depth > 32 || typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  const o = v as Record<string, unknown>;
  const headerObject = typeof o.name === 'string' && 'value' in o && isSensitiveKey(o.name);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    out[k] = (isSensitiveKey(k) || (headerObject && k === 'value')) && !emptyish(x) ? REDACTED : redactValue(x, depth + 1);
  }
  return out;
}
