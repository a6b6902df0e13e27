// Progress of a saved plan: its policy re-run over the evidence since it was saved, read per wave.
// A request meets the plan when the policy would not refuse it; a refused one counts for the plan
// too when the gateway refused it (enforcement is on), and against it when it got through.
import { compliantRequests, onlyUnknown } from './assign-wave.ts';
import type { PlanIdentityInput, PlanProgress, RolloutPlan, WaveProgress } from './types.ts';

/** Per identity, the simulation of the evidence since the plan (identities not seen are absent). */
export function planProgress(plan: RolloutPlan, since: PlanIdentityInput[], range: { from: Date; to: Date }): PlanProgress {
  const byName = new Map(since.map((i) => [i.name, i]));
  const waves: WaveProgress[] = plan.waves.map((w) => {
    let compliant = 0;
    let notSeen = 0;
    const requests = { total: 0, compliant: 0, wouldBeRefused: 0, refusedByGateway: 0 };
    for (const id of w.identities) {
      const now = byName.get(id.name);
      if (!now || now.requests.total === 0) {
        notSeen++;
        continue;
      }
      const r = now.requests;
      requests.total += r.total;
      requests.wouldBeRefused += r.wouldBeRefused;
      requests.refusedByGateway += r.alreadyRefused;
      // Requests with no known token (unknown) meet nothing: whether the policy would refuse them cannot
      // be told; nor does another hop's line of an attack (compliantRequests).
      requests.compliant += compliantRequests(r);
      if (r.legitimateBroken === 0 && r.attacksStopped === 0 && !onlyUnknown(r)) compliant++;
    }
    const good = requests.compliant + requests.refusedByGateway;
    const counted = good + requests.wouldBeRefused;
    return {
      wave: w.wave,
      identities: w.identities.length,
      compliant,
      notSeen,
      requests,
      ratio: counted ? good / counted : null,
      enforced: requests.total > 0 && requests.wouldBeRefused === 0,
    };
  });
  return { from: range.from.toISOString(), to: range.to.toISOString(), waves };
}
