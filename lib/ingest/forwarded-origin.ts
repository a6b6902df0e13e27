// The scheme and host a client called, as a TLS-terminating proxy told the hop behind it
// (X-Forwarded-Proto / X-Forwarded-Host, RFC 7239 `Forwarded`). RFC 9449 §4.3 compares a DPoP
// proof's `htu` with the URI the client used: behind a proxy that is not the hop's own
// `http://<host>` but the proxy's `https://<host>`. Pure; read only when a line carries them.
import { peerTrusted, type Cidr } from '../hops/trusted-proxies.ts';

/** The client-facing origin a forwarding proxy reported, or null when the values say nothing usable. */
export interface ForwardedOrigin {
  scheme: 'http' | 'https';
  /** host[:port] the client called, or null when the proxy forwarded none (the Host header stands). */
  host: string | null;
}

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

/** The first element of a comma-separated list: the value the client-facing proxy set. */
function first(v: string | null): string | null {
  const f = v?.split(',')[0]?.trim();
  return f ? f : null;
}

function scheme(v: string | null): ForwardedOrigin['scheme'] | null {
  const s = v?.toLowerCase();
  return s === 'http' || s === 'https' ? s : null;
}

function host(v: string | null): string | null {
  return v && HOST.test(v) ? v : null;
}

/** RFC 7239 §4: `proto` and `host` of the first forwarded-element (values may be quoted strings). */
function rfc7239(v: string): { proto: string | null; host: string | null } {
  const out = { proto: null as string | null, host: null as string | null };
  for (const pair of (first(v) ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim().toLowerCase();
    let val = pair.slice(eq + 1).trim();
    if (val.length >= 2 && val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    if (key === 'proto' && out.proto === null) out.proto = val;
    if (key === 'host' && out.host === null) out.host = val;
  }
  return out;
}

/**
 * The origin the client called, from the forwarding headers a hop received: RFC 7239 `Forwarded`
 * first (the standard), else X-Forwarded-Proto / X-Forwarded-Host. Null when no scheme is
 * forwarded (or it is neither http nor https): without one the hop's own URL stands. A forwarded
 * host that is not a host[:port] is ignored (the Host header stands), never pasted into a URL.
 */
export function forwardedOrigin(h: { forwarded: string | null; xForwardedProto: string | null; xForwardedHost: string | null }): ForwardedOrigin | null {
  const std = h.forwarded ? rfc7239(h.forwarded) : null;
  const s = scheme(std?.proto ?? null) ?? scheme(first(h.xForwardedProto));
  if (!s) return null;
  return { scheme: s, host: host(std?.host ?? null) ?? host(first(h.xForwardedHost)) };
}

/** The forwarding headers as a hop's line logged them (null: not logged, or empty). */
export type ForwardingHeaders = Parameters<typeof forwardedOrigin>[0];

/** Why a line's forwarded origin was not used: the label `forwarded_origin` says so. */
export const FORWARDED_ORIGIN_LABEL = 'forwarded_origin';

/**
 * The URL a request was made to, as a DPoP proof's htu names it (RFC 9449 §4.3), from what one hop
 * logged: its own scheme, Host and path, or — where TLS did not end at this hop (its scheme is not
 * https) and a proxy forwarded them — the client-facing scheme and host (forwardedOrigin).
 * Any client that reaches the hop directly can send those headers: when the source has trusted
 * proxies (lib/hops trusted-proxies.ts) they count only from a TCP peer inside them. Otherwise the
 * hop's own URL stands (a proof made for the edge then fails htu) and `ignored` says why, for the
 * line's labels. A path that is not absolute (`*`, a full URI) is returned as it is.
 */
export function requestUrl(i: {
  scheme: string | null;
  host: string | null;
  path: string | null;
  headers: ForwardingHeaders;
  peerIp: string | null | undefined;
  trustedProxies: readonly Cidr[] | null;
}): { url: string | null; ignored: string | null } {
  const own = i.scheme?.toLowerCase() ?? null;
  const origin = own === 'https' ? null : forwardedOrigin(i.headers);
  let ignored: string | null = null;
  let use = origin;
  if (origin && i.trustedProxies && i.trustedProxies.length > 0) {
    const trusted = i.peerIp ? peerTrusted(i.trustedProxies, i.peerIp) : null;
    if (trusted !== true) {
      use = null;
      ignored = trusted === false
        ? `not used: the forwarding headers came from TCP peer ${i.peerIp!.slice(0, 64)}, not one of the source's trusted proxies`
        : 'not used: the source has trusted proxies and this line names no TCP peer (log it) to check them against';
    }
  }
  const host = use?.host ?? i.host;
  const scheme = use?.scheme ?? own;
  const url = i.path && scheme && host && i.path.startsWith('/') ? `${scheme}://${host}${i.path}` : i.path;
  return { url, ignored };
}
