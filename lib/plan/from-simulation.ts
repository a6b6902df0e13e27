// A simulation result (lib/simulate) as the per-identity input of a plan. The simulation does not
// split broken bearer requests by the key material the client presented in the same request, only
// the identity's requests by credential presented; bearer requests are attributed to a presented
// credential as far as the identity presented one (certificate first under mtls or bound, DPoP key
// first under dpop), the rest to no key. An identity that presents nothing lands in wave 2, one
// that always presents the required key in wave 1: the cases the waves must get right.
import type { IdentityImpact, SimulationResult } from '../simulate/types.ts';
import type { BrokenBy, PlanIdentityInput, Transport } from './types.ts';

/** What the inventory knows of an identity, by name (the simulation does not carry it). */
export interface IdentityFacts {
  transport: Transport;
  owner: string | null;
  ownerStatus: 'active' | 'departed' | null;
}

export function brokenByOf(row: Pick<IdentityImpact, 'brokenBy' | 'presented'>, require: SimulationResult['policy']['require']): BrokenBy {
  let bearer = row.brokenBy.bearer;
  const take = (available: number) => {
    const n = Math.min(bearer, available);
    bearer -= n;
    return n;
  };
  const firstDpop = require === 'dpop';
  const withDpop = firstDpop ? take(row.presented.dpopKey) : 0;
  const withCert = take(row.presented.certificate);
  const withDpop2 = firstDpop ? 0 : take(row.presented.dpopKey);
  // A token bound by the other mechanism: the client holds that other key, not the required one.
  const wrong = row.brokenBy.wrong_mechanism;
  return {
    bearerWithCertificate: withCert + (require === 'dpop' ? wrong : 0),
    bearerWithDpopKey: withDpop + withDpop2 + (require === 'mtls' ? wrong : 0),
    bearerNoKey: bearer,
    boundWithoutProof: row.brokenBy.bound_without_proof,
    contextStripped: row.brokenBy.context_stripped,
    ttlOverLimit: row.brokenBy.ttl_over_limit,
  };
}

export function planIdentitiesFromSimulation(result: SimulationResult, facts: ReadonlyMap<string, IdentityFacts> = new Map()): PlanIdentityInput[] {
  return result.identities.map((r) => {
    const f = facts.get(r.name);
    return {
      name: r.name,
      identityId: r.identityId,
      kind: r.kind,
      transport: f?.transport ?? 'unknown',
      owner: f?.owner ?? null,
      ownerStatus: f?.ownerStatus ?? null,
      requests: { total: r.total, wouldBeRefused: r.wouldBeRefused, attacksStopped: r.attacksStopped, legitimateBroken: r.legitimateBroken, alreadyRefused: r.alreadyRefused, alreadyInvalid: r.alreadyInvalid, unknown: r.unknown, sameAttackOtherHops: r.sameAttackOtherHops },
      brokenBy: brokenByOf(r, result.policy.require),
      clientNetworks: [],
      gateways: result.policy.scope?.gateway ? [result.policy.scope.gateway] : [],
      maxTokenTtlSeconds: null,
    };
  });
}
