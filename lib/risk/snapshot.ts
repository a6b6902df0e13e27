// The risk engine's input and output shapes. Inputs mirror prisma/schema.prisma as plain
// objects, plus event *aggregates* (never raw events): at 1M tokens and 10M events the DB
// layer computes per-token summaries, per-route verdict counts and per-subject daily failure
// buckets with GROUP BY, and this pure core only reads them. See README.md for the SQL.
import type { Binding, FindingRule, IdentityKind, Severity, Transport, Verdict } from '../domain/types.ts';

/** An NHI (Identity row). */
export interface IdentityFacts {
  id: string;
  name: string;
  kind: IdentityKind;
  owner: string | null;
  ownerStatus: 'active' | 'departed';
  status: 'active' | 'decommissioned';
  transport: Transport;
  spiffeId: string | null;
  decommissionedAt: Date | null;
}

/** A token (Token row): fingerprint and claims, never the raw token. */
export interface TokenFacts {
  id: string;
  fingerprint: string;
  identityId: string;
  tokenType: 'access' | 'refresh';
  jti: string | null;
  issuer: string | null;
  audience: string[];
  scopes: string[];
  issuedAt: Date | null;
  expiresAt: Date | null;
  ttlSeconds: number | null;
  binding: Binding;
  cnfX5tS256: string | null;
  cnfJkt: string | null;
  bindingAnomaly: boolean;
  status: 'active' | 'expired' | 'revoked';
  exposure: 'none' | 'exposed';
  certificateId: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}

/** A client certificate (Certificate row). */
export interface CertificateFacts {
  id: string;
  x5tS256: string;
  sha1Hex: string | null;
  subjectDn: string | null;
  notBefore: Date | null;
  notAfter: Date | null;
  status: 'active' | 'revoked' | 'expired';
  identityId: string | null;
  revokedAt: Date | null;
}

/** A secret-scanner hit matched to a token (ExposureFinding row with tokenId set). */
export interface ExposureFacts {
  tokenId: string;
  scanner: string;
  location: string | null;
  commit: string | null;
  foundAt: Date;
}

/**
 * Per-token summary of its BindingEvents (one row per tokenId, GROUP BY token_id).
 * The `*Seen` arrays hold distinct values; the DB layer may cap each at `SEEN_CAP` (64),
 * which is far above every policy threshold, so rules stay correct on capped input.
 */
export interface TokenUsage {
  tokenId: string;
  events: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** Presentation context of the earliest event: what the token was "first seen with". */
  first: { x5tS256: string | null; jkt: string | null; clientIp: string | null };
  x5tS256Seen: string[];
  jktSeen: string[];
  clientIpsSeen: string[];
  /** Distinct services the token was presented to: host of the URL, else the gateway name. */
  audiencesSeen: string[];
  gatewaysSeen: string[];
  verdictCounts: Partial<Record<Verdict, number>>;
  /** Gateways whose events carried verdict `bound_not_enforced` for this token. */
  notEnforcedAt: string[];
  /**
   * Requests with verdict `bound_not_enforced`: a request logged at several hops (edge and backend)
   * counts once (lib/risk/repeated-hop-lines.ts), where verdictCounts counts lines.
   */
  notEnforcedRequests: number;
  /** Events with occurredAt > Token.revokedAt (0 when the token is not revoked). */
  eventsAfterRevocation: number;
  firstSeenAfterRevocationAt: Date | null;
  /** Of those, events the gateway let through (verdict ok / bearer_unbound / bound_not_enforced). */
  acceptedAfterRevocation: number;
}

/** Per gateway + route summary of events that carried a sender-constrained token. */
export interface RouteUsage {
  gateway: string;
  /** First path segment(s) the DB layer groups by, e.g. `/api/orders`; null for the whole gateway. */
  route: string | null;
  boundTokenEvents: number;
  verdictCounts: Partial<Record<Verdict, number>>;
  distinctBoundTokens: number;
  /** Distinct tokens of the requests that arrived with their binding context stripped (verdict binding_context_stripped). */
  strippedTokens: number;
  sampleTokenIds: string[];
  firstAt: Date;
  lastAt: Date;
}

export type FailureSubject = { kind: 'identity'; identityId: string } | { kind: 'gateway'; gateway: string };

/**
 * Binding failures (verdicts in `BINDING_FAILURE_VERDICTS`) of one identity or gateway in
 * rolling 24 h buckets counted back from `now`: `buckets[0]` = (now − 24 h, now],
 * `buckets[i]` = (now − (i+1)·24 h, now − i·24 h]. Missing trailing buckets count as 0.
 */
export interface FailureSeries {
  subject: FailureSubject;
  buckets: number[];
}

/** One certificate (x5t#S256) or DPoP key (jkt) and the identities whose events presented it. */
export interface CredentialUse {
  kind: 'x5t' | 'jkt';
  thumbprint: string;
  identityIds: string[];
  events: number;
  lastAt: Date;
}

/**
 * One hop that lost or replaced the client's certificate on the way to the backend, on one route:
 * correlated requests whose chain verdict blamed it (evidence."HopUsage", lib/hops). A hop is named
 * by its log's source and where it sits on the path.
 */
export interface HopLeak {
  hop: { source: string; role: 'edge' | 'proxy' | 'backend' };
  /** The hop after it, whose log shows the missing or wrong certificate. */
  next: string;
  /** `host /prefix` the client addressed. */
  route: string | null;
  /** Requests with a bound token whose certificate it did not forward (chain reason certificate_stripped, whatever the path verdict; bearer tokens lose nothing). */
  stripped: number;
  /** Requests it let through with a certificate the client supplied itself (spoofed_client_cert). */
  clientSupplied: number;
  /** Of those, requests the backend accepted: the spoof worked. */
  clientSuppliedAccepted: number;
  firstAt: Date;
  lastAt: Date;
  /** A correlation id of one such request. */
  example: string | null;
}

/** One peer network that sent a backend forged certificate headers (a /24 or /64, as client networks are kept). */
export interface UntrustedPeerNetwork {
  network: string;
  /** The peer addresses seen in it (at most 10). */
  peers: string[];
  requests: number;
  accepted: number;
}

/**
 * A peer the source's trusted proxies exclude now whose forwarded certificates were believed before
 * (it was inside them then, or the source had none): those requests were judged as the header said
 * and are not re-judged (the ledger keeps no peer). From the source's forwarders (SourceForwarder).
 */
export interface BelievedPeer {
  peer: string;
  /** Lines whose header was believed, since the peer was first seen. */
  lines: number;
  firstAt: Date;
  /** The latest believed line. */
  lastAt: Date;
}

/** One request of such traffic, to show (never the token or the certificate itself). */
export interface UntrustedPeerExample {
  occurredAt: Date;
  peer: string | null;
  method: string | null;
  url: string | null;
  httpStatus: number | null;
  /** Correlation id, else the line's request id. */
  requestId: string | null;
  x5tS256: string | null;
}

/**
 * A backend (a source's log) that took a client-certificate header from TCP peers outside its
 * trusted proxies (reason forwarded_cert_untrusted_peer, lib/hops/trusted-proxies.ts): whoever can
 * reach it can claim any certificate. Read from the notable requests (evidence."Notable").
 */
export interface UntrustedPeerBackend {
  /** The source's name (its log), else the dedupe namespace. */
  source: string;
  /** Gateway names its lines carried. */
  gateways: string[];
  requests: number;
  /** Of those, requests the backend answered 2xx: the forged certificate was believed. */
  accepted: number;
  firstAt: Date;
  lastAt: Date;
  networks: UntrustedPeerNetwork[];
  /** Identities whose certificates were claimed (the claimed certificate's owner), by name; at most 20. */
  claimedIdentities: string[];
  /** Distinct claimed certificates (x5t#S256). */
  claimedCertificates: number;
  examples: UntrustedPeerExample[];
  /** Peers outside the trusted proxies now that were believed before (at most 20, most lines first). */
  believedEarlier: BelievedPeer[];
}

export interface EstateSnapshot {
  identities: IdentityFacts[];
  tokens: TokenFacts[];
  certificates: CertificateFacts[];
  exposures: ExposureFacts[];
  tokenUsage: TokenUsage[];
  routes: RouteUsage[];
  failureSeries: FailureSeries[];
  credentialUse: CredentialUse[];
  /** Hops that leaked the binding context (absent: no correlated hops were read). */
  hopLeaks?: HopLeak[];
  /** Backends that believed forwarded certificates from untrusted peers (absent: not read). */
  untrustedPeerBackends?: UntrustedPeerBackend[];
  /**
   * A snapshot of some tokens only (`TOKEN_RULES` after a batch): the certificates and DPoP keys
   * their identities hold through tokens and certificates the snapshot leaves out, so that "the
   * identity owns this credential" reads the same as over the whole estate.
   */
  heldCredentials?: HeldCredential[];
}

/** An identity holds a credential: a certificate it owns or a token bound to it (cnf). */
export interface HeldCredential {
  identityId: string;
  kind: 'x5t' | 'jkt';
  thumbprint: string;
}

/** JSON-serialisable value (evidence is stored in a Json column). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What a rule proposes; `reconcile` turns drafts into inserts, updates, resolutions. */
export interface FindingDraft {
  /** `<rule>:<subject kind>:<subject id>` — stable across evaluations. */
  dedupeKey: string;
  rule: FindingRule;
  severity: Severity;
  identityId: string | null;
  tokenId: string | null;
  certificateId: string | null;
  title: string;
  explanation: string;
  recommendation: string;
  evidence: { [key: string]: Json };
  /** See blast-radius.ts for the formula. */
  blastRadius: number;
  /** Latest time the evidence was observed (recency for ranking). */
  observedAt: Date;
}
