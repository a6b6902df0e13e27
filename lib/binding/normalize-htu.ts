import { BindingError } from './errors.ts';

const UNRESERVED = /[A-Za-z0-9\-._~]/;

// RFC 3986 §6.2.2.2: decode %XX of unreserved characters, upper-case the hex of the rest.
function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : '%' + hex.toUpperCase();
  });
}

/**
 * Normalises an HTTP(S) URI for `htu` comparison (RFC 9449 §4.3 step 9): RFC 3986 §6.2.2
 * syntax-based (scheme/host case, percent-encoding, dot segments) and §6.2.3 scheme-based
 * (default port, empty path is `/`) normalisation; query and fragment are dropped.
 * Proxies that rewrite `HTTPS://Api.Example.com:443/a/%7euser` must not cause false failures.
 */
export function normalizeHtu(uri: string): string {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new BindingError('input_invalid', 'not an absolute URI');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new BindingError('input_invalid', 'htu must be an http(s) URI');
  }
  // WHATWG URL already lower-cases scheme and host, drops the default port, removes dot
  // segments and turns an empty path into `/`.
  return `${u.protocol}//${u.host}${normalizePercentEncoding(u.pathname)}`;
}

/** Normalised path only, for logs that record the request path but not scheme/host. */
export function normalizeHtuPath(pathOrUri: string): string {
  try {
    const base = pathOrUri.startsWith('/') ? 'http://placeholder.invalid' : undefined;
    const u = new URL(pathOrUri, base);
    return normalizePercentEncoding(u.pathname);
  } catch {
    throw new BindingError('input_invalid', 'not a URI or absolute path');
  }
}
