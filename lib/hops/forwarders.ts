// Which TCP peers sent a backend forwarded client-certificate headers, tallied over one batch. A
// source's trusted proxies are networks; the peers that really forward are its edges. A broad
// network (10.0.0.0/8) also holds clients, and any of them can send the header itself and be
// believed: the logs show it only as a peer that never forwarded before. Pure: the batch writer
// notes each line, lib/services/ingest/forwarders.ts stores the tally and asks for the warning.
import type { NormalizedEvent } from '../domain/types.ts';
import { BROAD_TRUSTED_ADDRESSES, canonicalAddress, peerTrusted, type Cidr, type ForwardedPeer } from './trusted-proxies.ts';

/** One peer's lines in the batch. */
export interface PeerTally {
  lines: number;
  /** Request times, ms. */
  first: number;
  last: number;
}

/** Distinct peers kept per batch; the lines of any more are counted (`overflowLines`), not kept. */
export const MAX_PEERS_PER_BATCH = 10_000;

export class ForwarderTally {
  /** Lines with a forwarded certificate, by how their peer stands (forwardedPeer). */
  readonly byClass: Partial<Record<ForwardedPeer, number>> = {};
  /** By canonical peer address: only lines whose log names an address. */
  readonly peers = new Map<string, PeerTally & { cls: ForwardedPeer }>();
  overflowLines = 0;

  /** One line's forwarded certificate and the class of the peer it came from ('none' is ignored). */
  note(ev: Pick<NormalizedEvent, 'peerIp' | 'occurredAt'>, cls: ForwardedPeer): void {
    if (cls === 'none') return;
    this.byClass[cls] = (this.byClass[cls] ?? 0) + 1;
    const peer = ev.peerIp ? canonicalAddress(ev.peerIp) : null;
    if (peer === null) return;
    const t = ev.occurredAt.getTime();
    const seen = this.peers.get(peer);
    if (seen) {
      seen.lines++;
      if (t < seen.first) seen.first = t;
      if (t > seen.last) seen.last = t;
    } else if (this.peers.size < MAX_PEERS_PER_BATCH) this.peers.set(peer, { lines: 1, first: t, last: t, cls });
    else this.overflowLines++;
  }

  /** The peers of one class, sorted, at most `max`. */
  peersOf(cls: ForwardedPeer, max: number): string[] {
    const out: string[] = [];
    for (const [peer, p] of this.peers) if (p.cls === cls) out.push(peer);
    return out.sort().slice(0, max);
  }
}

/** The narrowest of `cidrs` holding `peer` when that network is broad (more than BROAD_TRUSTED_ADDRESSES), else null. */
function broadNetworkOf(cidrs: readonly Cidr[], peer: string): Cidr | null {
  let best: Cidr | null = null;
  for (const c of cidrs) if (peerTrusted([c], peer) === true && (!best || c.prefix > best.prefix)) best = c;
  if (!best) return null;
  const hostBits = (best.family === 4 ? 32 : 128) - best.prefix;
  return 2 ** hostBits > BROAD_TRUSTED_ADDRESSES ? best : null;
}

/**
 * The batch's warning about peers that forwarded a certificate for the first time from inside a
 * broad trusted network, once the source has a history of forwarders (its first batch names its
 * edges; it cannot tell them from anything). Null when there are none.
 */
export function newForwarderWarning(input: {
  /** The peers this batch was the first to see, with their tallies. */
  fresh: ReadonlyArray<[string, PeerTally]>;
  cidrs: readonly Cidr[] | null;
  /** Whether earlier batches recorded forwarders for the source. */
  hadForwarders: boolean;
  source: string;
}): string | null {
  if (!input.hadForwarders || !input.cidrs?.length) return null;
  const suspects = input.fresh
    .map(([peer, t]) => ({ peer, t, net: broadNetworkOf(input.cidrs!, peer) }))
    .filter((x): x is { peer: string; t: PeerTally; net: Cidr } => x.net !== null)
    .sort((a, b) => b.t.lines - a.t.lines || (a.peer < b.peer ? -1 : 1));
  if (!suspects.length) return null;
  const lines = (n: number) => (n === 1 ? '1 line' : `${n.toLocaleString('en-US')} lines`);
  const shown = suspects.slice(0, 5).map((s) => `${s.peer} (${lines(s.t.lines)}, inside ${s.net.text})`).join(', ');
  const more = suspects.length > 5 ? ` and ${suspects.length - 5} more` : '';
  const who = suspects.length === 1 ? 'a peer that had' : `${suspects.length} peers that had`;
  return (
    `forwarded client certificates came from ${who} never forwarded one to source ${input.source}: ${shown}${more}. ` +
    `The trusted proxies believed them; if they are not your edges, a client inside the trusted network is posing as a proxy (its requests read spoofed_client_cert once the trusted proxies name only the edges)`
  );
}
