// The vocabulary of the enforcement what-if (pure: no Next.js, Prisma or environment): a policy
// ("require mTLS on this gateway, tokens at most an hour"), and what it would have done to the
// requests the evidence store holds for a time range (CONTRACT.md "Simulation").

import type { IdentityKind } from '../domain/types.ts';

/** What the policy requires of every request in scope. `bound`: either mTLS or DPoP binding. */
export type Requirement = 'mtls' | 'dpop' | 'bound';
export const REQUIREMENTS: readonly Requirement[] = ['mtls', 'dpop', 'bound'];

/** Identity kinds a selector may name (Identity.kind). */
export type IdentityKindSelector = IdentityKind;

/** Which identities the policy applies to; every given field must match. */
export interface IdentitySelector {
  kind?: IdentityKindSelector | null;
  /** Glob on the identity's name: `*` any run of characters, `?` one character. */
  nameGlob?: string | null;
  /** Only requests made with privileged tokens (true) or only unprivileged ones (false). */
  privileged?: boolean | null;
}

/** Where the policy applies. Absent fields do not narrow it. */
export interface PolicyScope {
  /** Gateway name as the evidence keeps it. */
  gateway?: string | null;
  /** Source (ingest source) name. */
  source?: string | null;
  /** `host/path-prefix` (host and path) or `/path-prefix` (path on any host). */
  routePrefix?: string | null;
  identity?: IdentitySelector | null;
  /** Only tokens whose audience includes this value. */
  audience?: string | null;
}

/** An enforcement policy to simulate. Structurally a lib/plan PlanPolicy. */
export interface SimulationPolicy {
  require: Requirement;
  /** Tokens living longer than this (iat to exp) would be refused too. */
  maxTtlSeconds?: number | null;
  scope?: PolicyScope | null;
}

/** A simulation request: the policy over requests that occurred in [from, to). */
export interface SimulationInput {
  policy: SimulationPolicy;
  range: { from: Date; to: Date };
  /** Ranked rows kept per dimension (identities, tokens, networks, routes). */
  limit?: number;
}

/**
 * The categories of CONTRACT.md "Simulation", plus requests the policy leaves alone (`unaffected`)
 * and requests Holdfast cannot judge (`unknown`): accepted with no token it knows, so their
 * binding is unknown (Caddy's redacted `"Authorization":[]`, a format that logs no token). Never
 * `unaffected`: nobody can say whether the policy would refuse them.
 */
export type SimulationCategory = 'attacksStopped' | 'legitimateBroken' | 'alreadyRefused' | 'alreadyInvalid' | 'unaffected' | 'unknown' | 'sameAttackOtherHops';
export const SIMULATION_CATEGORIES: readonly SimulationCategory[] = ['attacksStopped', 'legitimateBroken', 'alreadyRefused', 'alreadyInvalid', 'unaffected', 'unknown', 'sameAttackOtherHops'];

/**
 * Why a legitimate request would break: a bearer (unbound) token; a bound token sent without its
 * certificate or proof by the client; a bound token whose binding context a hop dropped; a token
 * bound by the other mechanism than the one required (an mTLS-bound token under `dpop`); a token
 * living longer than `maxTtlSeconds`.
 */
export type BrokenReason = 'bearer' | 'bound_without_proof' | 'context_stripped' | 'wrong_mechanism' | 'ttl_over_limit';
export const BROKEN_REASONS: readonly BrokenReason[] = ['bearer', 'bound_without_proof', 'context_stripped', 'wrong_mechanism', 'ttl_over_limit'];

/** Request counts in the contract's categories. `wouldBeRefused` = attacksStopped + legitimateBroken. */
export interface CategoryCounts {
  total: number;
  wouldBeRefused: number;
  attacksStopped: number;
  legitimateBroken: number;
  alreadyRefused: number;
  alreadyInvalid: number;
  unaffected: number;
  /** Accepted requests with no known token: whether the policy would refuse them cannot be judged. Part of `total`, never of `unaffected`. */
  unknown: number;
  /**
   * Lines of a spoofed path (chain verdict spoofed_client_cert) other than the one its attack is
   * counted on: the attacker's request seen at another hop. Part of `total`, never of
   * `legitimateBroken`, `unaffected` or `wouldBeRefused` (the attack counts once, in `attacksStopped`).
   */
  sameAttackOtherHops: number;
}

export type BrokenCounts = Record<BrokenReason, number>;

/** Requests by the credential the client presented: a certificate (x5t#S256), a DPoP key (jkt), neither. */
export interface PresentedCounts {
  certificate: number;
  dpopKey: number;
  none: number;
}

export type TokenBinding = 'bearer' | 'mtls' | 'dpop' | 'unknown';

/** One ranked row (identity, token, client network or route) with its counts. */
export interface ImpactRow extends CategoryCounts {
  /** Identity name, token fingerprint stub, network or route (`host /prefix`); `(unknown)` without one. */
  name: string;
  brokenBy: BrokenCounts;
  presented: PresentedCounts;
  /** The ledger key (hex) of one request that would be refused, else of one request of the row: for drill-down. */
  exemplarKey: string | null;
}

export interface IdentityImpact extends ImpactRow {
  identityId: string | null;
  kind: string | null;
}

export interface TokenImpact extends ImpactRow {
  tokenId: string | null;
  identityId: string | null;
  identityName: string | null;
  binding: TokenBinding;
  ttlSeconds: number | null;
}

export interface SimulationResult {
  policy: SimulationPolicy;
  range: { from: string; to: string };
  /** CONTRACT fields, plus `unaffected` and `unknown`. */
  requests: CategoryCounts;
  /** What the counts cannot say, one sentence each (UNKNOWN_WORDS when `requests.unknown` > 0); empty when nothing. */
  warnings: string[];
  /** Average per day over the range. */
  perDay: { wouldBeRefused: number; attacksStopped: number; legitimateBroken: number };
  brokenBy: BrokenCounts;
  presented: PresentedCounts;
  /** Ranked by impact: wouldBeRefused, then legitimateBroken, then total, then name. */
  identities: IdentityImpact[];
  tokens: TokenImpact[];
  networks: ImpactRow[];
  routes: ImpactRow[];
  /** Rows in scope per dimension before the limit. */
  counts: { identities: number; tokens: number; networks: number; routes: number };
  /** Milliseconds the evidence query took. */
  tookMs: number;
}

/** Why a policy or range was refused; words in the error's message. */
export type SimulationErrorCode =
  | 'unknown_selector'
  | 'invalid_requirement'
  | 'conflicting_requirements'
  | 'invalid_max_ttl'
  | 'invalid_route_prefix'
  | 'empty_range'
  | 'inverted_range'
  | 'range_too_long';

export class SimulationError extends Error {
  constructor(
    readonly code: SimulationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SimulationError';
  }
}
