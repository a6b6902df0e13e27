// Request targets the Holdfast server refuses before Next.js sees them. Next.js decodes dynamic
// path segments with decodeURIComponent and answers a URIError (`/tokens/%FF`, a lone surrogate
// `%ED%A0%80`) with a bare text/plain 500 that it does not even log; and a NUL (`%00`) anywhere in
// the path or query reaches PostgreSQL as text it refuses. Both are the client's mistake: 400.

/** Why the request target (path + query, as on the request line) is refused, or null. */
export function requestTargetProblem(target: string): string | null {
  if (target.indexOf('%') === -1) return null; // the common case: nothing to decode
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  try {
    if (decodeURIComponent(path).indexOf('\0') !== -1) return 'the path contains a NUL character (%00)';
  } catch {
    return 'the path is not valid percent-encoded UTF-8';
  }
  if (q !== -1 && /%00/.test(target.slice(q))) return 'the query contains a NUL character (%00)';
  return null;
}

/** API clients and gateways (the CRL distribution point) get a JSON problem; people get a page. */
export function isApiPath(target: string): boolean {
  return target.startsWith('/api/') || target.startsWith('/crl/');
}
