// The one check for every `next` (where to go after signing in: the password form, the sign-in
// page, the SSO flow). An open redirect after sign-in is a phishing aid: the user has just
// typed a password on our page, so whatever it shows next is trusted.
//
// A prefix check ("starts with / but not //") is not enough, because browsers rewrite the URL
// before resolving it: `\` counts as `/` in http(s) URLs, and tabs and newlines are removed
// anywhere, so `/\evil.example` and `/<TAB>/evil.example` both become `//evil.example` — another
// host. So: refuse backslashes and control characters outright, then let the WHATWG URL parser
// (the browser's own algorithm) resolve the value against a placeholder origin, and keep it only
// if it stays on that origin. The answer is the parser's normalised path + query + fragment, so
// what we redirect to is exactly what was checked. Pure: runs in the browser and on the server.

const PLACEHOLDER = 'http://holdfast.invalid';
const MAX_LENGTH = 2000;
/** C0 controls and DEL (browsers drop tabs and newlines), and `\` (a path separator to browsers). */
function hasForbiddenChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

/** `next` as a same-origin path (with query and fragment), or '/' when it could leave Holdfast. */
export function safeNext(next: string | null | undefined): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > MAX_LENGTH) return '/';
  if (next[0] !== '/' || next[1] === '/' || hasForbiddenChar(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, PLACEHOLDER);
  } catch {
    return '/';
  }
  if (url.origin !== PLACEHOLDER) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Dot segments can collapse into a leading `//` ("/.//evil.example" → "//evil.example").
  if (!path.startsWith('/') || path.startsWith('//')) return '/';
  return path;
}
