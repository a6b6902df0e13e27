// Security headers on every response, and a fresh CSP nonce per request: Next.js reads the
// nonce from the request-side policy header and puts it on its own scripts, so no inline
// script runs without it (no 'unsafe-inline' for scripts). Also forwards the requested path
// so a page that needs sign-in can send the user back there afterwards.
import { NextResponse, type NextRequest } from 'next/server';
// The static headers, shared with next.config.mjs, which sets them where this proxy does not run.
import SECURITY_HEADERS from './lib/http/security-headers.json';

export function contentSecurityPolicy(nonce: string): string {
  return [
    `default-src 'self'`,
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    // recharts and React set style attributes; styles cannot run code.
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data: blob:`,
    `font-src 'self'`,
    `connect-src 'self'`,
    `object-src 'none'`,
    `base-uri 'none'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
  ].join('; ');
}

export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  const csp = contentSecurityPolicy(nonce);
  const forwarded = new Headers(request.headers);
  forwarded.set('x-nonce', nonce);
  forwarded.set('content-security-policy', csp);
  forwarded.set('x-holdfast-path', request.nextUrl.pathname + request.nextUrl.search);
  const res = NextResponse.next({ request: { headers: forwarded } });
  res.headers.set('content-security-policy', csp);
  for (const [name, value] of Object.entries(SECURITY_HEADERS.static)) res.headers.set(name, value);
  const https = request.nextUrl.protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
  if (https) res.headers.set('strict-transport-security', SECURITY_HEADERS.strictTransportSecurity);
  return res;
}

// Not on POST /api/v1/ingest: when the proxy runs, Next.js clones the request body for it and
// hands the route handler at most 10 MB of it (experimental.proxyClientMaxBodySize), silently —
// a large ingest batch would commit truncated. The ingest route needs nothing the proxy adds
// (its security headers come from next.config.mjs `headers()`), so its body streams through whole.
export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|api/v1/ingest$).*)'],
};
