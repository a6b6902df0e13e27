// The route a request went to, as usage evidence keeps it: the host (authority, port included)
// and the first two path segments, with identifiers folded (`/v1/orders/8812` → `/v1/orders`,
// `/users/6f0c…/keys` → `/users/:id`), so an API surface is a few hundred routes, not one per
// request. Enough to scope an enforcement policy to "host + path prefix".

const SEGMENTS = 2;
const MAX_LEN = 300;

/** An identifier-looking path segment: digits, UUIDs, long hex or base64url runs, emails. */
function isIdentifier(seg: string): boolean {
  const c = seg.charCodeAt(0);
  // Most segments are words: a lower-case letter and no digit says so without any regex.
  if (c >= 97 && c <= 122 && seg.length < 12 && !/\d|@/.test(seg)) return false;
  if (/^\d+$/.test(seg)) return true;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(seg)) return true;
  if (/^[0-9a-f]{12,}$/i.test(seg)) return true;
  if (seg.length >= 16 && /^[A-Za-z0-9_-]+$/.test(seg) && /\d/.test(seg)) return true;
  return seg.includes('@');
}

/** `/a/b/c?x` → `/a/b` with identifiers folded to `:id`; `/` for the root; null without a path. */
export function pathPrefix(path: string | null): string | null {
  if (!path || path.charCodeAt(0) !== 47 /* / */) return null;
  // Scanned by hand: this runs once per request.
  let out = '';
  let start = 1;
  while (start < path.length && path.charCodeAt(start) === 47) start++;
  for (let seg = 0; seg < SEGMENTS; seg++) {
    let end = start;
    while (end < path.length) {
      const c = path.charCodeAt(end);
      if (c === 47 || c === 63 /* ? */ || c === 35 /* # */) break;
      end++;
    }
    if (end > start) {
      const s = path.slice(start, end);
      out += '/' + (isIdentifier(s) ? ':id' : s.length > 64 ? s.slice(0, 64).toLowerCase() : s.toLowerCase());
    }
    if (end >= path.length || path.charCodeAt(end) !== 47) break;
    start = end + 1;
    // Empty segments ("//") are skipped like the ones between them.
    while (start < path.length && path.charCodeAt(start) === 47) start++;
  }
  return out || '/';
}

/** Index just past `scheme://` of an absolute URL, or -1. */
function afterScheme(url: string): number {
  const i = url.indexOf('://');
  if (i <= 0 || i > 16) return -1;
  for (let j = 0; j < i; j++) {
    const c = url.charCodeAt(j);
    const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!(alpha || (j > 0 && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)))) return -1;
  }
  return i + 3;
}

/** End of the authority that starts at `from`. */
function authorityEnd(url: string, from: number): number {
  let e = from;
  while (e < url.length) {
    const c = url.charCodeAt(e);
    if (c === 47 || c === 63 || c === 35) break;
    e++;
  }
  return e;
}

/** Authority (host[:port], lower case) of an absolute URL, or null. */
export function authorityOf(url: string | null): string | null {
  if (!url) return null;
  const a = afterScheme(url);
  if (a < 0) return null;
  const e = authorityEnd(url, a);
  return e > a ? url.slice(a, e).toLowerCase() : null;
}

/** Path of an absolute URL or of a path-only URL. */
function pathOf(url: string | null): string | null {
  if (!url) return null;
  if (url.charCodeAt(0) === 47) return url;
  const a = afterScheme(url);
  if (a < 0) return null;
  const e = authorityEnd(url, a);
  return e < url.length && url.charCodeAt(e) === 47 ? url.slice(e) : '/';
}

/**
 * `host /prefix` (either part may be empty), or null when the request names neither. The host is
 * the URL's authority when the URL is absolute, else the logged Host.
 */
export function routeOf(ev: { url: string | null; host?: string | null }): string | null {
  const host = authorityOf(ev.url) ?? (ev.host ? ev.host.toLowerCase() : null);
  const prefix = pathPrefix(pathOf(ev.url));
  if (!host && !prefix) return null;
  const r = `${host ?? ''} ${prefix ?? ''}`;
  return r.length > MAX_LEN ? r.slice(0, MAX_LEN) : r;
}

/** The host part of a stored route value. */
export function routeHost(route: string): string | null {
  const h = route.slice(0, route.indexOf(' '));
  return h || null;
}
