// The vocabulary of staged rollout plans (pure: no Next.js, Prisma or environment). A plan turns
// one simulation ("what breaks if we require binding here?") into waves an operator can run one
// after the other, each with the identities it moves, what it would refuse, and the configuration
// to paste into the authorization server and the gateway.

import type { Requirement, SimulationPolicy } from '../simulate/types.ts';

/** What the plan's gateway will require (the same words as lib/enforcement and the simulation). */
export type PlanRequirement = Requirement;
export const PLAN_REQUIREMENTS: readonly PlanRequirement[] = ['mtls', 'dpop', 'bound'];

/**
 * The simulation policy a plan was built from (kept with the plan, re-run for progress): every
 * selector a simulation has (lib/simulate policySchema is the one schema of both).
 */
export type PlanPolicy = SimulationPolicy;

export type Transport = 'mesh' | 'private_link' | 'public' | 'unknown';

/** Requests of one identity over the simulated range, as the simulation counts them (CONTRACT.md). */
export interface IdentityRequests {
  total: number;
  wouldBeRefused: number;
  attacksStopped: number;
  legitimateBroken: number;
  alreadyRefused: number;
  alreadyInvalid: number;
  /**
   * Accepted requests with no known token (the log shows none): whether the policy would refuse
   * them cannot be judged (the simulation's `requests.unknown`). Absent in plans saved before it.
   */
  unknown?: number;
  /**
   * Lines of a spoofed path other than the one its attack counts on (the simulation's
   * `requests.sameAttackOtherHops`): the attacker's request at another hop, never compliant nor
   * broken. Absent in plans saved before it.
   */
  sameAttackOtherHops?: number;
}

/**
 * Why the legitimate requests that would break break, in requests. `bearerWith*` are bearer tokens
 * sent by a client that already presented that key material in the same request (a certificate on
 * the TLS connection, a DPoP proof): only the authorization server has to start binding its tokens.
 */
export interface BrokenBy {
  bearerWithCertificate: number;
  bearerWithDpopKey: number;
  bearerNoKey: number;
  /** Bound tokens sent without their certificate or proof by the client itself. */
  boundWithoutProof: number;
  /** Bound tokens whose binding context a hop on the path dropped (binding_context_stripped). */
  contextStripped: number;
  /** Tokens whose lifetime is over the policy's maximum. */
  ttlOverLimit: number;
}

/** One identity as a plan sees it: the simulation's numbers plus what the inventory knows. */
export interface PlanIdentityInput {
  name: string;
  identityId: string | null;
  kind: string | null;
  /** Who controls the transport: a mesh or private link issues certificates itself. */
  transport: Transport;
  owner: string | null;
  /** `departed`: nobody is left to change the client. */
  ownerStatus: 'active' | 'departed' | null;
  requests: IdentityRequests;
  brokenBy: BrokenBy;
  /** Distinct client networks the identity called from (client diversity). */
  clientNetworks: string[];
  gateways: string[];
  /** Longest token lifetime seen, seconds (null when unknown). */
  maxTokenTtlSeconds: number | null;
}

/** An operator's statement that a client cannot be changed, with its compensating controls. */
export interface ExceptionRequest {
  identity: string;
  reason: string;
  owner?: string | null;
  /** ISO date; default 90 days after the plan. */
  expiresAt?: string | null;
}

export interface PlanInput {
  policy: PlanPolicy;
  range: { from: Date; to: Date };
  identities: PlanIdentityInput[];
  exceptions?: ExceptionRequest[];
  now: Date;
}

export type WaveNumber = 0 | 1 | 2 | 3;
export const WAVES: readonly WaveNumber[] = [0, 1, 2, 3];

export type WaveKind = 'compliant' | 'authorization_server_only' | 'new_key_material' | 'exception';
export const WAVE_KIND: Record<WaveNumber, WaveKind> = { 0: 'compliant', 1: 'authorization_server_only', 2: 'new_key_material', 3: 'exception' };
export const WAVE_TITLE: Record<WaveNumber, string> = {
  0: 'Already compliant',
  1: 'Authorization server change only',
  2: 'New key material',
  3: 'Exceptions with compensating controls',
};

/** Why an identity is in its wave, as data (words in describeWaveReason). */
export type WaveReason =
  | 'no_legitimate_request_refused'
  | 'already_presents_key'
  | 'ttl_only'
  | 'needs_key_material'
  | 'traffic_unknown'
  | 'declared_exception'
  | 'owner_departed';

export type KeyMechanism = 'mtls' | 'dpop';

/** Why mTLS or DPoP is recommended for a client, as data. */
export type MechanismReason =
  | 'required_by_policy'
  | 'already_presents_certificate'
  | 'already_presents_dpop_key'
  | 'hop_strips_certificate'
  | 'platform_controls_transport'
  | 'public_diverse_clients'
  | 'client_not_under_our_control'
  | 'ephemeral_runner'
  | 'default_no_pki';

export interface MechanismRecommendation {
  mechanism: KeyMechanism;
  reasons: MechanismReason[];
}

export interface CompensatingControls {
  /** Recommended maximum token lifetime, seconds. */
  maxTtlSeconds: number;
  /** The client networks it may call from (what was observed). */
  allowNetworks: string[];
  owner: string;
  expiresAt: string;
  reason: string;
}

export interface PlanIdentity {
  name: string;
  identityId: string | null;
  kind: string | null;
  wave: WaveNumber;
  reason: WaveReason;
  requests: IdentityRequests;
  brokenBy: BrokenBy;
  clientNetworks: string[];
  /** Waves 1 and 2: what the client (and the authorization server) should bind to. */
  mechanism: MechanismRecommendation | null;
  /** Wave 3 only. */
  exception: CompensatingControls | null;
}

export interface FrameworkControlRef {
  framework: string;
  control: string;
  rationale: string;
}

export interface Wave {
  wave: WaveNumber;
  kind: WaveKind;
  title: string;
  identities: PlanIdentity[];
  /** Requests in the range that enforcing now would refuse for these identities (legitimate + attacks). */
  expectedRefused: { total: number; legitimateBroken: number; attacksStopped: number; perDay: number };
  /** What the wave asks of people, in order. */
  steps: string[];
  controls: FrameworkControlRef[];
}

export interface RolloutPlan {
  policy: PlanPolicy;
  range: { from: string; to: string };
  createdAt: string;
  waves: Wave[];
  totals: { identities: number; requests: number; wouldBeRefused: number; attacksStopped: number; legitimateBroken: number };
}

/** Compliance of one wave over evidence since the plan was saved. */
export interface WaveProgress {
  wave: WaveNumber;
  identities: number;
  /** Identities with traffic since the plan whose accepted requests all meet the policy. */
  compliant: number;
  /** Identities not seen since the plan. */
  notSeen: number;
  requests: { total: number; compliant: number; wouldBeRefused: number; refusedByGateway: number };
  /** Share of requests since the plan that meet the policy or were refused by an enforcing gateway, 0..1 (null: no traffic). */
  ratio: number | null;
  /** The wave's traffic was seen and none of what the policy refuses got through (refusedByGateway shows the gateway at work). */
  enforced: boolean;
}

export interface PlanProgress {
  from: string;
  to: string;
  waves: WaveProgress[];
}
