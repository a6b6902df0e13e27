// Vocabulary of the hop-chain decision: one request seen by several hops (client → edge →
// backend), each hop's log line joined by the request id the edge propagates.
import type { NormalizedEvent, Verdict } from '../domain/types.ts';

/**
 * Where a hop sits on the path. `edge` terminates the client's TLS; `proxy` sits between and
 * forwards what it received; `backend` is the last hop, where the binding is checked.
 */
export type HopRole = 'edge' | 'proxy' | 'backend';
export const HOP_ROLES: readonly HopRole[] = ['edge', 'proxy', 'backend'];

/** One hop's log line of one request. */
export interface HopObservation {
  /** The log it came from (ingest source name or gateway), used to name the leaking hop. */
  source: string;
  /** Declared role of that source; null or absent lets orderHops infer it from the line. */
  role?: HopRole | null;
  event: NormalizedEvent;
  /** This hop's own binding verdict (see hopVerdict), when computed. */
  verdict?: { verdict: Verdict; reason: string | null } | null;
}

/** An observation placed on the path, its role settled (declared, else inferred). */
export interface PlacedHop extends HopObservation {
  role: HopRole;
  /** Whether the role was declared by the caller or inferred from the line. */
  roleFrom: 'declared' | 'inferred';
}

/** How two views of a certificate were found to be the same one (strongest available first). */
export type CertComparison = 'x5t' | 'sha1' | 'serial_subject';

/** Why the chain got its verdict. */
export type ChainReason =
  /** Every later hop received the certificate the client presented at the edge: the backend's verdict stands. */
  | 'forwarded_intact'
  /** No certificate at the edge and none forwarded: the backend's verdict stands. */
  | 'no_client_certificate'
  /** The edge saw a client certificate; a later hop received none. */
  | 'certificate_stripped'
  /** A later hop received a certificate other than the one the client presented. */
  | 'certificate_replaced'
  /** The client presented no certificate at the edge, yet a later hop received one. */
  | 'certificate_injected'
  /** The views share no fact to compare by (e.g. the edge logs only its verify result): the backend's verdict stands. */
  | 'not_comparable'
  /** The same source logged the request twice: the lines cannot be placed on one path. */
  | 'ambiguous_hops'
  /** Only one hop logged the request: there is no chain to judge. */
  | 'single_hop';

export interface HopRef {
  index: number;
  source: string;
  role: HopRole;
}

export interface ChainDecision {
  /** The verdict for the whole path, or null when there is no chain (one hop, ambiguous lines). */
  chainVerdict: Verdict | null;
  reason: ChainReason;
  /** The hop whose forwarding lost or falsified the certificate (the one that sent it on). */
  leakingHop: HopRef | null;
  /** The hop whose log shows the loss or the wrong certificate. */
  observedAt: HopRef | null;
  /** How the edge's and the later hop's certificates were compared, when they were. */
  comparedBy: CertComparison | null;
  hops: PlacedHop[];
}
