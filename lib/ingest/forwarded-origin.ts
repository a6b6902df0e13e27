// The scheme and host a client called, as a TLS-terminating proxy told the hop behind it
// (X-Forwarded-Proto / X-Forwarded-Host, RFC 7239 `Forwarded`). RFC 9449 §4.3 compares a DPoP
// proof's `htu` with the URI the client used: behind a proxy that is not the hop's own
// `http://<host>` but the proxy's `https://<host>`. Pure; read only when a line carries them.
import { peerTrusted, walkTrustedHops, type Cidr } from '../hops/trusted-proxies.ts';

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
 * trusted proxy is known. A number: how many trusted proxies in a row handed the request on
 * (walkTrustedHops) — each appending proxy adds one value on the right, so the value the outermost
 * trusted proxy added is that many from the right, and any on its left came before it (a client's
 * own; RFC 7239 §7.4; werkzeug ProxyFix, Rails trusted proxies count from the right too). A list
 * shorter than that holds trusted proxies' values only (one did not append): its leftmost, the
 * outermost present, counts. Empty elements (NGINX's `"$http_x_forwarded_host, $host"` without a
 * client value) are no value.
 */
export type ListEnd = 'first' | number;

function elements(v: string | null): string[] {
  return v ? v.split(',').map((e) => e.trim()).filter(Boolean) : [];
}

function pick(v: string | null, end: ListEnd): string | null {
  const e = elements(v);
  return (end === 'first' ? e[0] : e[Math.max(0, e.length - end)]) ?? null;
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

/** RFC 7239 §4: `proto`, `host` and `for` of one forwarded-element (values may be quoted strings). */
function rfc7239(v: string | null): { proto: string | null; host: string | null; for: string | null } {
  const out = { proto: null as string | null, host: null as string | null, for: null as string | null };
  for (const pair of (v ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim().toLowerCase();
    let val = pair.slice(eq + 1).trim();
    if (val.length >= 2 && val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    if (key === 'proto' && out.proto === null) out.proto = val;
    if (key === 'host' && out.host === null) out.host = val;
    if (key === 'for' && out.for === null) out.for = val;
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
  /** The client addresses the proxies appended; absent where the format does not log it (then only the TCP peer counts as a trusted hop). */
  xForwardedFor?: string | null;
}

/** Why a line's forwarded origin was not used, or was read with doubt: the label `forwarded_origin` says so. */
export const FORWARDED_ORIGIN_LABEL = 'forwarded_origin';
/** How a `forwarded_origin` label that is a doubt, not a refusal, begins. */
export const FORWARDED_ORIGIN_SURPLUS = 'outermost trusted value used:';
/** Ends a surplus label when the line logs no chain of addresses: then only the TCP peer counted as a trusted proxy. */
export const CHAIN_NOT_LOGGED = 'X-Forwarded-For is not logged: only the TCP peer was counted as a trusted proxy';

/** The headers holding more values than the trusted proxies in front account for (a client's own value is then among them). */
function surplus(h: ForwardingHeaders, hops: number): string[] {
  const named: Array<[string, string | null | undefined]> = [
    ['Forwarded', h.forwarded], ['X-Forwarded-Proto', h.xForwardedProto], ['X-Forwarded-Host', h.xForwardedHost], ['X-Forwarded-Port', h.xForwardedPort],
  ];
  return named.filter(([, v]) => elements(v ?? null).length > hops).map(([n]) => n);
}

/**
 * The addresses the proxies appended, left to right: the `for=` nodes of RFC 7239 `Forwarded`
 * where each of its elements names one (its own proxies added them), else X-Forwarded-For; null
 * when neither is logged.
 */
function addressChain(h: ForwardingHeaders): string[] | null {
  const nodes = elements(h.forwarded).map((e) => rfc7239(e).for);
  if (nodes.length > 0 && nodes.every((n) => n !== null)) return nodes as string[];
  if (h.xForwardedFor === undefined) return null;
  return elements(h.xForwardedFor);
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
 * line's labels. From a trusted peer the chain of addresses (X-Forwarded-For, `Forwarded` for=) is
 * walked from the right (walkTrustedHops): every trusted proxy in a row appended one value, so a
 * list is read at the value the outermost of them added, and a list with more values than they
 * account for is labelled too; without a logged chain only the TCP peer counts, and the label says
 * so. `client`: the address the walk found for the client (null without a trusted peer and a
 * chain). A path that is not absolute (`*`, a full URI) is returned as it is.
 */
export function requestUrl(i: {
  scheme: string | null;
  host: string | null;
  path: string | null;
  headers: ForwardingHeaders;
  peerIp: string | null | undefined;
  trustedProxies: readonly Cidr[] | null;
}): { url: string | null; ignored: string | null; client: string | null } {
  const own = i.scheme?.toLowerCase() ?? null;
  const guarded = !!i.trustedProxies && i.trustedProxies.length > 0;
  const chain = guarded ? addressChain(i.headers) : null;
  const walk = guarded ? walkTrustedHops(i.trustedProxies!, i.peerIp, chain) : null;
  const origin = own === 'https' ? null : forwardedOrigin(i.headers, walk ? Math.max(1, walk.hops) : 'first');
  let ignored: string | null = null;
  let use = origin;
  if (origin && walk) {
    if (walk.hops === 0) {
      use = null;
      ignored = i.peerIp && peerTrusted(i.trustedProxies!, i.peerIp) === false
        ? `not used: the forwarding headers came from TCP peer ${i.peerIp.slice(0, 64)}, not one of the source's trusted proxies`
        : 'not used: the source has trusted proxies and this line names no TCP peer (log it) to check them against';
    } else {
      const lists = surplus(i.headers, walk.hops);
      const proxies = walk.proxies.map((p) => p.slice(0, 64)).join(', ');
      const counted = walk.hops === 1 ? `the trusted proxy ${proxies} adds` : `the ${walk.hops} trusted proxies in a row (${proxies}) add`;
      if (lists.length) ignored = `${FORWARDED_ORIGIN_SURPLUS} ${lists.join(', ')} held more values than ${counted}; the ones on the left may be the client's own${chain ? '' : ` (${CHAIN_NOT_LOGGED})`}`;
    }
  }
  const host = use?.host ?? i.host;
  const scheme = use?.scheme ?? own;
  const url = i.path && scheme && host && i.path.startsWith('/') ? `${scheme}://${withPort(host, use?.port)}${i.path}` : i.path;
  return { url, ignored, client: walk?.client ?? null };
}
