// Exports leave the building. Free text (titles, explanations, remediation) is written by
// detectors and people, and one pasted token would end up in an auditor's archive, so anything
// shaped like a credential is masked before it is written. Structured fields never hold tokens.

const PATTERNS: readonly RegExp[] = [
  // JWT / JWS compact serialisation (header starts with {" → eyJ).
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  // Authorization / DPoP header values.
  /\b(Bearer|DPoP)\s+[A-Za-z0-9\-._~+/]{16,}=*/gi,
  // Well-known vendor token prefixes (GitHub, Slack, AWS access key id, GitLab, Stripe).
  /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|glpat-[A-Za-z0-9_-]{20,}|sk_live_[A-Za-z0-9]{16,})\b/g,
  // PEM private keys.
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

/** Masks credential-shaped substrings as `[redacted]`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const re of PATTERNS) out = out.replace(re, '[redacted]');
  return out;
}

/** True when the text still contains something credential-shaped (used by tests on whole files). */
export function looksLikeRawToken(text: string): boolean {
  return PATTERNS.some((re) => {
    re.lastIndex = 0;
    const hit = re.test(text);
    re.lastIndex = 0;
    return hit;
  });
}
