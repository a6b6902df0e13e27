// The rule registry: one entry per FindingRule, so a new rule cannot be forgotten (the type
// requires every key).
import type { FindingRule } from '../../domain/types.ts';
import type { Rule } from '../context.ts';
import { bindingContextStripped } from './binding-context-stripped.ts';
import { boundNotEnforced } from './bound-not-enforced.ts';
import { certExpiring } from './cert-expiring.ts';
import { credentialShared } from './credential-shared.ts';
import { exposedActive } from './exposed-active.ts';
import { failureSpike } from './failure-spike.ts';
import { fanOut } from './fan-out.ts';
import { leakingHop } from './leaking-hop.ts';
import { offboarding } from './offboarding.ts';
import { replayAfterRevocation } from './replay-after-revocation.ts';
import { replaySuspected } from './replay-suspected.ts';
import { ttlOverPolicy } from './ttl-over-policy.ts';
import { unboundHighRisk } from './unbound-high-risk.ts';

export const RULES: Record<FindingRule, Rule> = {
  unbound_high_risk: unboundHighRisk,
  bound_not_enforced: boundNotEnforced,
  binding_context_stripped: bindingContextStripped,
  replay_suspected: replaySuspected,
  replay_after_revocation: replayAfterRevocation,
  ttl_over_policy: ttlOverPolicy,
  exposed_active: exposedActive,
  offboarding,
  credential_shared: credentialShared,
  fan_out: fanOut,
  cert_expiring: certExpiring,
  failure_spike: failureSpike,
  leaking_hop: leakingHop,
};
