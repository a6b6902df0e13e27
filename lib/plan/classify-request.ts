// One group of requests (same verdict, reason, acceptance, token binding, key material) against the
// plan's policy, in the simulation's categories (CONTRACT.md "Simulation") and, for the legitimate
// requests that would break, why. This is what a saved plan re-runs over new evidence.
import type { Verdict } from '../domain/types.ts';
import { classifyUsage, MISSING_PROOF_REASONS, type BrokenReason, type SimulationCategory } from '../simulate/index.ts';
import type { BrokenBy, PlanPolicy } from './types.ts';

/** `unknown`: accepted with no known token (the log shows none): whether the policy would refuse it cannot be judged. */
export type RequestCategory = 'compliant' | 'attack' | 'broken' | 'alreadyRefused' | 'alreadyInvalid' | 'unknown';

export interface RequestFacts {
  verdict: string;
  reason: string | null;
  /** 2xx from the gateway; null when it logged no status. */
  accepted: boolean | null;
  binding: 'bearer' | 'mtls' | 'dpop' | null;
  hasCert: boolean;
  hasJkt: boolean;
  ttlSeconds: number | null;
}

const CATEGORY: Record<SimulationCategory, RequestCategory> = {
  attacksStopped: 'attack',
  legitimateBroken: 'broken',
  alreadyRefused: 'alreadyRefused',
  alreadyInvalid: 'alreadyInvalid',
  unaffected: 'compliant',
  unknown: 'unknown',
  // Only spoofedPathCategory gives this (the plan reader applies it to a path's lines itself).
  sameAttackOtherHops: 'attack',
};

/**
 * Category and, for `broken`, the BrokenBy key: the simulation's rule (lib/simulate classifyUsage,
 * the one statement of it) in the plan's words, with the key material the request presented
 * deciding which bearer bucket it falls in. A bound token of the other mechanism than the policy
 * names counts as a client holding that other key (`bearerWithDpopKey` under mtls): the
 * authorization server alone cannot fix it, the client needs the required key material.
 */
export function classifyRequest(f: RequestFacts, policy: Pick<PlanPolicy, 'require' | 'maxTtlSeconds'>): { category: RequestCategory; brokenBy: keyof BrokenBy | null } {
  const c = classifyUsage(
    {
      verdict: f.verdict as Verdict,
      missingProof: MISSING_PROOF_REASONS.includes(f.reason ?? ''),
      binding: f.binding ?? 'unknown',
      ttlOverLimit: !!policy.maxTtlSeconds && f.ttlSeconds !== null && f.ttlSeconds > policy.maxTtlSeconds,
      refusedByGateway: f.accepted === false,
    },
    policy.require,
  );
  return { category: CATEGORY[c.category], brokenBy: c.brokenBy === null ? null : brokenByKey(c.brokenBy, f, policy.require) };
}

function brokenByKey(reason: BrokenReason, f: RequestFacts, require: PlanPolicy['require']): keyof BrokenBy {
  switch (reason) {
    case 'bound_without_proof':
      return 'boundWithoutProof';
    case 'context_stripped':
      return 'contextStripped';
    case 'ttl_over_limit':
      return 'ttlOverLimit';
    case 'wrong_mechanism':
      return require === 'mtls' ? 'bearerWithDpopKey' : 'bearerWithCertificate';
    case 'bearer':
      // The key the policy asks for first (brokenByOf does the same over a simulation's counts).
      if (f.hasCert && require !== 'dpop') return 'bearerWithCertificate';
      if (f.hasJkt && require !== 'mtls') return 'bearerWithDpopKey';
      return f.hasCert ? 'bearerWithCertificate' : f.hasJkt ? 'bearerWithDpopKey' : 'bearerNoKey';
  }
}
