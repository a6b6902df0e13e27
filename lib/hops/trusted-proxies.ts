// Which peers a backend may believe a forwarded client-certificate header from. A backend behind a
// TLS-terminating edge reads the client's certificate from a header (RFC 9440 Client-Cert,
// X-SSL-Client-Cert, XFCC…); any client that reaches the backend directly can send that header
// with another client's certificate (certificates are public). The header is the edge's word only
// when the TCP peer that sent it is the edge: a source's trusted proxies (CIDRs) say which peers are.
import { isIP } from 'node:net';
import type { NormalizedEvent } from '../domain/types.ts';
import { namesCertificate } from './same-certificate.ts';

/** One trusted network: an IPv4 or IPv6 prefix. */
export interface Cidr {
  family: 4 | 6;
  /** The network's address as an integer (host bits zero). */
  bits: bigint;
  prefix: number;
  /** Canonical text (`10.0.0.0/8`, `2001:db8::/32`), as stored. */
  text: string;
}

/** At most this many entries per source: a list of proxies, not a firewall. */
export const MAX_TRUSTED_PROXIES = 100;

/** The reason of a request whose forwarded certificate came from a peer outside the trusted proxies. */
export const UNTRUSTED_PEER_REASON = 'forwarded_cert_untrusted_peer';

export const UNTRUSTED_PEER_WORDS =
  'The client certificate header reached this backend from a peer that is not one of its trusted proxies: a client sent the header itself, straight to the backend (bypassing the edge), so the certificate is whatever it claimed.';

/** Said when a backend's lines carry forwarded certificates and its source names no trusted proxies. */
export const ANY_PEER_WORDS =
  'forwarded certificate headers are believed from any peer: set the trusted proxies of the source (the edge addresses that may forward a client certificate), so that a forged header sent straight to the backend reads spoofed_client_cert';

const width = (family: 4 | 6) => (family === 4 ? 32 : 128);

function v4Bits(s: string): bigint | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let n = 0n;
  for (const part of m.slice(1)) {
    const b = Number(part);
    if (b > 255) return null;
    n = (n << 8n) | BigInt(b);
  }
  return n;
}

function v6Bits(s: string): bigint | null {
  if (isIP(s) !== 6) return null;
  let text = s.toLowerCase();
  // An IPv4 tail (::ffff:10.0.0.1) is two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = v4Bits(tail[1]!);
    if (v4 === null) return null;
    text = `${text.slice(0, -tail[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (g: string) => (g ? g.split(':') : []);
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  const all = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  if (all.length !== 8) return null;
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An address as gateways log it (`10.0.0.1`, `::1`, `[::1]`, `fe80::1%eth0`, `::ffff:10.0.0.1`), or null when it is none. */
export function parseAddress(raw: string): { family: 4 | 6; bits: bigint } | null {
  let s = raw.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  s = s.replace(/%[\w.-]+$/, '');
  const v4 = v4Bits(s);
  if (v4 !== null) return { family: 4, bits: v4 };
  const v6 = v6Bits(s);
  if (v6 === null) return null;
  // An IPv4 client on a dual-stack socket is logged as ::ffff:a.b.c.d: it is the IPv4 address.
  if (v6 >> 32n === 0xffffn) return { family: 4, bits: v6 & 0xffffffffn };
  return { family: 6, bits: v6 };
}

function v6Text(bits: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of two or more zero groups becomes '::' (RFC 5952).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

function addressText(family: 4 | 6, bits: bigint): string {
  if (family === 6) return v6Text(bits);
  return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 0xffn)).join('.');
}

/** One CIDR (`10.0.0.0/8`, `2001:db8::/32`, or an address alone: one host), or a one-line reason it is none. */
export function parseCidr(raw: string): Cidr | { error: string } {
  const s = raw.trim();
  const shown = JSON.stringify(s.slice(0, 60));
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(s);
  const addr = m ? parseAddress(m[1]!) : null;
  if (!m || !addr || /[[\]%]/.test(m[1]!)) return { error: `${shown} is not an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)` };
  // ::ffff:10.0.0.0/104 would be read as IPv4: say the IPv4 form instead.
  if (addr.family === 4 && m[1]!.includes(':')) return { error: `${shown}: write an IPv4-mapped address as IPv4 (e.g. 10.0.0.0/8)` };
  const w = width(addr.family);
  const prefix = m[2] === undefined ? w : Number(m[2]);
  if (prefix > w) return { error: `${shown}: the prefix length of an IPv${addr.family} network is 0 to ${w}` };
  const hostBits = BigInt(w - prefix);
  if ((addr.bits & ((1n << hostBits) - 1n)) !== 0n) {
    const net = (addr.bits >> hostBits) << hostBits;
    return { error: `${shown} has host bits set: the network is ${addressText(addr.family, net)}/${prefix}` };
  }
  return { family: addr.family, bits: addr.bits, prefix, text: `${addressText(addr.family, addr.bits)}/${prefix}` };
}

/**
 * A source's trusted proxies from what an admin typed (a list, or one comma- or space-separated
 * string): the CIDRs, canonical and without repeats, or the first one-line reason they are not.
 */
export function parseTrustedProxies(input: string | readonly string[]): { cidrs: Cidr[] } | { error: string } {
  const items = (typeof input === 'string' ? [input] : input).flatMap((x) => x.split(/[\s,]+/)).filter((x) => x !== '');
  if (items.length > MAX_TRUSTED_PROXIES) return { error: `at most ${MAX_TRUSTED_PROXIES} trusted proxies (got ${items.length})` };
  const cidrs: Cidr[] = [];
  for (const item of items) {
    const c = parseCidr(item);
    if ('error' in c) return c;
    if (!cidrs.some((x) => x.text === c.text)) cidrs.push(c);
  }
  return { cidrs };
}

/**
 * A trusted network holding more than this many addresses is a network of clients as much as of
 * proxies: any host in it may send a forwarded-certificate header and be believed.
 */
export const BROAD_TRUSTED_ADDRESSES = 256;

/**
 * One line per trusted network broader than BROAD_TRUSTED_ADDRESSES: what it lets a client inside
 * it do. `seen` are the peers that have forwarded certificates to the source (SourceForwarder),
 * offered as the narrow list when there are any inside the network.
 */
export function broadTrustedProxyWarnings(cidrs: readonly Cidr[], seen: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const c of cidrs) {
    const hostBits = width(c.family) - c.prefix;
    if (2 ** hostBits <= BROAD_TRUSTED_ADDRESSES) continue;
    const size = hostBits >= 53 ? `2^${hostBits}` : (2 ** hostBits).toLocaleString('en-US');
    const inside = seen.filter((p) => peerTrusted([c], p) === true).sort();
    const narrow = inside.length
      ? `the peers that have forwarded certificates from inside it are ${inside.slice(0, 5).join(', ')}${inside.length > 5 ? ` and ${inside.length - 5} more` : ''}: trust the addresses of those that are your edges instead`
      : 'list your edges\' own addresses instead';
    out.push(`${c.text} trusts ${size} addresses: any client inside it can send a forwarded client certificate header straight to the backend and be believed as a proxy; ${narrow}`);
  }
  return out;
}

/** The canonical text of an address as gateways log it (`::ffff:10.0.0.1` → `10.0.0.1`, `[::1]` → `::1`), or null when it is none. */
export function canonicalAddress(raw: string): string | null {
  const a = parseAddress(raw);
  return a ? addressText(a.family, a.bits) : null;
}

/** A source's trusted proxies as stored (canonical, so they parse; a list that would not is dropped rather than trusted): empty when none. */
export function storedTrustedProxies(stored: readonly string[] | null | undefined): Cidr[] {
  if (!stored?.length) return [];
  const r = parseTrustedProxies(stored);
  return 'error' in r ? [] : r.cidrs;
}

/** Whether `peer` lies in one of the networks; null when the peer is not an address (a host name, `unix`, `-`). */
export function peerTrusted(cidrs: readonly Cidr[], peer: string): boolean | null {
  const a = parseAddress(peer);
  if (!a) return null;
  return cidrs.some((c) => {
    if (c.family !== a.family) return false;
    const shift = BigInt(width(c.family) - c.prefix);
    return a.bits >> shift === c.bits >> shift;
  });
}

/** How a line's forwarded certificate stands against its source's trusted proxies. */
export type ForwardedPeer =
  /** No forwarded certificate on the line (or an empty header): nothing to believe. */
  | 'none'
  /** The TCP peer is one of the trusted proxies: the header is the proxy's word. */
  | 'trusted'
  /** The TCP peer is outside them: the client sent the header itself. */
  | 'untrusted'
  /** The source names no trusted proxies: the header is believed from any peer. */
  | 'unset'
  /** The format logs no TCP peer (or only a rewritten client address), or it is not an address. */
  | 'unknown';

/** Classifies a line's forwarded certificate by the peer it came from (see ForwardedPeer). */
export function forwardedPeer(event: Pick<NormalizedEvent, 'forwardedCert' | 'peerIp'>, cidrs: readonly Cidr[] | null): ForwardedPeer {
  if (!event.forwardedCert || !namesCertificate(event.forwardedCert)) return 'none';
  if (!cidrs || cidrs.length === 0) return 'unset';
  if (!event.peerIp) return 'unknown';
  const t = peerTrusted(cidrs, event.peerIp);
  return t === null ? 'unknown' : t ? 'trusted' : 'untrusted';
}

/**
 * The address one element of a forwarding chain names — an X-Forwarded-For element (`10.0.0.1`,
 * `10.0.0.1:4711`, `[2001:db8::1]:4711`, `2001:db8::1`) or an RFC 7239 `for=` node (quoted, with
 * its port, or `unknown` / `_obfuscated`) — without its port; null when it names no address.
 */
export function nodeAddress(raw: string | null | undefined): string | null {
  let s = (raw ?? '').trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1).trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  return parseAddress(s) ? s : null;
}

/** What walking a forwarding chain from the right found (walkTrustedHops). */
export interface TrustedHops {
  /**
   * How many trusted proxies in a row handed the request on, the TCP peer the last of them: each
   * added the value at its place from the right of a forwarding list (the peer the rightmost).
   * 0 when the peer is not trusted (or not an address); 1 when the chain is not logged.
   */
  hops: number;
  /** The trusted proxies, from the TCP peer outwards (without their ports). */
  proxies: string[];
  /**
   * The client address: the first untrusted address from the right, or the leftmost when every
   * one is trusted (nginx `real_ip_recursive`). Null when the chain is not logged or empty, or
   * the address where the walk stopped is none (`unknown`, an obfuscated node).
   */
  client: string | null;
}

/**
 * Walks a forwarding chain from the right, as nginx `real_ip_recursive on`, werkzeug ProxyFix and
 * Rails trusted proxies do. `chain` holds the addresses the proxies appended (X-Forwarded-For
 * elements or RFC 7239 `for=` nodes, left to right; null when not logged): each proxy appends the
 * address of its own peer, so the rightmost is the peer of the TCP peer, and so on outwards. The
 * TCP peer must be trusted; then each address from the right that is trusted is one more trusted
 * proxy; the first untrusted one is the client, and what lies on its left (anything a client sent
 * itself) is never read. The leftmost address is always a client, never a proxy: nothing appended
 * for it.
 */
export function walkTrustedHops(cidrs: readonly Cidr[], peer: string | null | undefined, chain: readonly string[] | null): TrustedHops {
  if (!peer || peerTrusted(cidrs, peer) !== true) return { hops: 0, proxies: [], client: null };
  const out: TrustedHops = { hops: 1, proxies: [peer], client: null };
  if (!chain) return out;
  for (let i = chain.length - 1; i >= 0; i--) {
    const a = nodeAddress(chain[i]);
    if (i === 0 || !a || peerTrusted(cidrs, a) !== true) {
      out.client = a;
      break;
    }
    out.hops++;
    out.proxies.push(a);
  }
  return out;
}
