// The route a request went to, as usage evidence keeps it: the host (authority, port included)
// and the first two path segments, with identifiers folded (`/v1/orders/8812` → `/v1/orders`,
// `/users/6f0c…/keys` → `/users/:id`), so an API surface is a few hundred routes, not one per
// request. Enough to scope an enforcement policy to "host + path prefix".

const SEGMENTS = 2;
const MAX_LEN = 300;

/** An identifier-looking path segment: digits, UUIDs, long hex or base64url runs, emails. */
function isIdentifier(seg: string): boolean {
  if (/^\d+$/.test(seg)) return true;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(seg)) return true;
  if (/^[0-9a-f]{12,}$/i.test(seg)) return true;
  if (seg.length >= 16 && /^[A-Za-z0-9_-]+$/.test(seg) && /\d/.test(seg)) return true;
  return seg.includes('@');
}

/** `/a/b/c?x` → `/a/b` with identifiers folded to `:id`; `/` for the root; null without a path. */
export function pathPrefix(path: string | null): string | null {
  if (!path || !path.startsWith('/')) return null;
  const end = path.search(/[?#]/);
  const parts = (end >= 0 ? path.slice(0, end) : path).split('/').filter(Boolean).slice(0, SEGMENTS);
  if (!parts.length) return '/';
  return '/' + parts.map((s) => (isIdentifier(s) ? ':id' : s.toLowerCase().slice(0, 64))).join('/');
}

/** Authority (host[:port], lower case) of an absolute URL, or null. */
export function authorityOf(url: string | null): string | null {
  if (!url) return null;
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]+)/.exec(url);
  return m ? m[1]!.toLowerCase() : null;
}

/** Path of an absolute URL or of a path-only URL. */
function pathOf(url: string | null): string | null {
  if (!url) return null;
  if (url.startsWith('/')) return url;
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(\/[^#]*)?/.exec(url);
  return m ? (m[1] ?? '/') : null;
}

/**
 * `host /prefix` (either part may be empty), or null when the request names neither. The host is
 * the URL's authority when the URL is absolute, else the logged Host.
 */
export function routeOf(ev: { url: string | null; host?: string | null }): string | null {
  const host = authorityOf(ev.url) ?? (ev.host ? ev.host.toLowerCase() : null);
  const prefix = pathPrefix(pathOf(ev.url));
  if (!host && !prefix) return null;
  return `${host ?? ''} ${prefix ?? ''}`.slice(0, MAX_LEN);
}

/** The host part of a stored route value. */
export function routeHost(route: string): string | null {
  const h = route.slice(0, route.indexOf(' '));
  return h || null;
}
