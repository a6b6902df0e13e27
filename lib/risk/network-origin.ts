// A "network origin" is a client IP reduced to its prefix (default /24 for IPv4, /48 for
// IPv6): pods, NAT pools and load balancers move a client between nearby addresses, which is
// not a replay; a token showing up from another network is.

/** The origin of an IP as `prefix/bits`; unparseable input is returned as-is (its own origin). */
export function networkOrigin(ip: string, v4Bits: number, v6Bits: number): string {
  const v4 = parseV4(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
  if (v4 !== null) {
    const mask = v4Bits === 0 ? 0 : (0xffffffff << (32 - v4Bits)) >>> 0;
    const n = (v4 & mask) >>> 0;
    return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}/${v4Bits}`;
  }
  const v6 = parseV6(ip);
  if (v6 !== null) {
    const out: number[] = [];
    for (let i = 0; i < 8; i++) {
      const bitsHere = Math.max(0, Math.min(16, v6Bits - i * 16));
      const mask = bitsHere === 0 ? 0 : (0xffff << (16 - bitsHere)) & 0xffff;
      out.push((v6[i] ?? 0) & mask);
    }
    return `${out.map((h) => h.toString(16)).join(':')}/${v6Bits}`;
  }
  return ip;
}

function parseV4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return parts.reduce((acc, p) => ((acc << 8) | p) >>> 0, 0);
}

function parseV6(s: string): number[] | null {
  const zone = s.indexOf('%');
  const addr = (zone >= 0 ? s.slice(0, zone) : s).toLowerCase();
  if (!/^[0-9a-f:]+$/.test(addr) || !addr.includes(':')) return null;
  const halves = addr.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => g.length === 0 || g.length > 4)) return null;
  return groups.map((g) => parseInt(g, 16));
}
