// The framework controls each wave advances, read from lib/frameworks' mapping table (one source of
// truth with the compliance exports): a wave's evidence subjects are what its change makes true.
import { MAPPING_TABLE } from '../frameworks/mapping.ts';
import type { BuiltinFrameworkId, EvidenceSubject } from '../frameworks/types.ts';
import type { FrameworkControlRef, PlanPolicy, Wave, WaveNumber } from './types.ts';

/** The frameworks a plan cites (the ones an enforcement rollout is usually reported against). */
export const PLAN_FRAMEWORKS: readonly BuiltinFrameworkId[] = ['owasp-nhi-2025', 'nist-csf-2.0', 'nist-sp-800-207'];

export function waveSubjects(n: WaveNumber, policy: PlanPolicy, wave: Pick<Wave, 'identities'>): EvidenceSubject[] {
  const ttl = policy.maxTtlSeconds ? (['ttl_within_policy'] as const) : [];
  if (n === 0) return ['sender_constrained_enforced', ...ttl];
  if (n === 3) return ['ttl_within_policy'];
  const stripped = wave.identities.some((i) => i.brokenBy.contextStripped > 0) ? (['binding_context_stripped'] as const) : [];
  return ['sender_constrained_enforced', 'unbound_high_risk', ...stripped, ...ttl];
}

export function waveControls(subjects: readonly EvidenceSubject[]): FrameworkControlRef[] {
  const out: FrameworkControlRef[] = [];
  const seen = new Set<string>();
  for (const s of subjects) {
    for (const f of PLAN_FRAMEWORKS) {
      for (const [control, rationale] of MAPPING_TABLE[s][f]) {
        const key = `${f} ${control}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ framework: f, control, rationale });
      }
    }
  }
  return out;
}
