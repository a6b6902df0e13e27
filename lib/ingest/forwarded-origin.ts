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
  /** The port X-Forwarded-Port names, for a host given without one (HAProxy, AWS ALB); else absent. */
  port?: string;
}

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;
const HAS_PORT = /(?:^[^:[\]]+|\]):\d+$/;

/**
 * Which element of a comma-separated list counts. `first`: the client-facing proxy's, where no
 * trusted proxy is known. `last`: the one the trusted TCP peer added — an edge that appends to a
 * header the client sent leaves the client's own value on the left (RFC 7239 §7.4; werkzeug
 * ProxyFix, Rails trusted proxies read from the right too). Empty elements (NGINX's
 * `"$http_x_forwarded_host, $host"` without a client value) are no value.
 */
export type ListEnd = 'first' | 'last';

function elements(v: string | null): string[] {
  return v ? v.split(',').map((e) => e.trim()).filter(Boolean) : [];
}

function pick(v: string | null, end: ListEnd): string | null {
  const e = elements(v);
  return (end === 'first' ? e[0] : e[e.length - 1]) ?? null;
}

function scheme(v: string | null): ForwardedOrigin['scheme'] | null {
  const s = v?.toLowerCase();
  return s === 'http' || s === 'https' ? s : null;
}

function host(v: string | null): string | null {
  return v && HOST.test(v) ? v : null;
}

function port(v: string | null): string | null {
  return v && /^\d{1,5}$/.test(v) && Number(v) > 0 && Number(v) <= 65535 ? String(Number(v)) : null;
}

/** RFC 7239 §4: `proto` and `host` of one forwarded-element (values may be quoted strings). */
function rfc7239(v: string | null): { proto: string | null; host: string | null } {
  const out = { proto: null as string | null, host: null as string | null };
  for (const pair of (v ?? '').split(';')) {
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
 * first (the standard), else X-Forwarded-Proto / X-Forwarded-Host, with X-Forwarded-Port for a
 * host named without a port. Null when no scheme is forwarded (or it is neither http nor https):
 * without one the hop's own URL stands. A forwarded host that is not a host[:port] is ignored (the
 * Host header stands), never pasted into a URL. `end` says which element of a list counts.
 */
export function forwardedOrigin(h: ForwardingHeaders, end: ListEnd = 'first'): ForwardedOrigin | null {
  const std = h.forwarded ? rfc7239(pick(h.forwarded, end)) : null;
  const s = scheme(std?.proto ?? null) ?? scheme(pick(h.xForwardedProto, end));
  if (!s) return null;
  const stdHost = host(std?.host ?? null);
  const out: ForwardedOrigin = { scheme: s, host: stdHost ?? host(pick(h.xForwardedHost, end)) };
  // RFC 7239 names the port in `host`; X-Forwarded-Port completes the X-Forwarded-* family only.
  const p = stdHost ? null : port(pick(h.xForwardedPort ?? null, end));
  if (p) out.port = p;
  return out;
}

/** The forwarding headers as a hop's line logged them (null: not logged, or empty). */
export interface ForwardingHeaders {
  forwarded: string | null;
  xForwardedProto: string | null;
  xForwardedHost: string | null;
  /** Absent where the format cannot log it. */
  xForwardedPort?: string | null;
}

/** Why a line's forwarded origin was not used, or was read with doubt: the label `forwarded_origin` says so. */
export const FORWARDED_ORIGIN_LABEL = 'forwarded_origin';
/** How a `forwarded_origin` label that is a doubt, not a refusal, begins. */
export const FORWARDED_ORIGIN_SURPLUS = 'rightmost used:';

/** The headers holding more values than the one trusted peer accounts for (a client's own value is then among them). */
function surplus(h: ForwardingHeaders): string[] {
  const named: Array<[string, string | null | undefined]> = [
    ['Forwarded', h.forwarded], ['X-Forwarded-Proto', h.xForwardedProto], ['X-Forwarded-Host', h.xForwardedHost], ['X-Forwarded-Port', h.xForwardedPort],
  ];
  return named.filter(([, v]) => elements(v ?? null).length > 1).map(([n]) => n);
}

/** `host` with `port` appended when it names none; a default port is written as such and normalised away by the htu check (RFC 9449 §4.3). */
function withPort(h: string, p: string | undefined): string {
  return p && !HAS_PORT.test(h) ? `${h}:${p}` : h;
}

/**
 * The URL a request was made to, as a DPoP proof's htu names it (RFC 9449 §4.3), from what one hop
 * logged: its own scheme, Host and path, or — where TLS did not end at this hop (its scheme is not
 * https) and a proxy forwarded them — the client-facing scheme and host (forwardedOrigin).
 * Any client that reaches the hop directly can send those headers: when the source has trusted
 * proxies (lib/hops trusted-proxies.ts) they count only from a TCP peer inside them. Otherwise the
 * hop's own URL stands (a proof made for the edge then fails htu) and `ignored` says why, for the
 * line's labels. From a trusted peer a list is read from the right: the peer's own value is the
 * last (an edge that appends leaves the client's on the left), and a list with more values than
 * that one hop accounts for is labelled too. A path that is not absolute (`*`, a full URI) is
 * returned as it is.
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
  const guarded = !!i.trustedProxies && i.trustedProxies.length > 0;
  const origin = own === 'https' ? null : forwardedOrigin(i.headers, guarded ? 'last' : 'first');
  let ignored: string | null = null;
  let use = origin;
  if (origin && guarded) {
    const trusted = i.peerIp ? peerTrusted(i.trustedProxies!, i.peerIp) : null;
    if (trusted !== true) {
      use = null;
      ignored = trusted === false
        ? `not used: the forwarding headers came from TCP peer ${i.peerIp!.slice(0, 64)}, not one of the source's trusted proxies`
        : 'not used: the source has trusted proxies and this line names no TCP peer (log it) to check them against';
    } else {
      const lists = surplus(i.headers);
      if (lists.length) ignored = `${FORWARDED_ORIGIN_SURPLUS} ${lists.join(', ')} held more values than the trusted proxy ${i.peerIp!.slice(0, 64)} adds; the ones on its left may be the client's own`;
    }
  }
  const host = use?.host ?? i.host;
  const scheme = use?.scheme ?? own;
  const url = i.path && scheme && host && i.path.startsWith('/') ? `${scheme}://${withPort(host, use?.port)}${i.path}` : i.path;
  return { url, ignored };
}
