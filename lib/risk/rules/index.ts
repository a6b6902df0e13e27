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
import { forwardedCertFromUntrustedPeer } from './forwarded-cert-from-untrusted-peer.ts';
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
  forwarded_cert_from_untrusted_peer: forwardedCertFromUntrustedPeer,
};

/**
 * Rules whose every finding is about one token and reads only that token, its usage and
 * exposures, its identity, and the credentials its identity holds. Evaluated over a snapshot of
 * some tokens (those a batch touched) they give the same drafts for those tokens as over the whole
 * estate (risk.test.ts holds that); the other rules look across tokens, identities, certificates,
 * gateways or hops and run only over the whole estate.
 */
export const TOKEN_RULES: readonly FindingRule[] = [
  'unbound_high_risk',
  'bound_not_enforced',
  'replay_suspected',
  'replay_after_revocation',
  'ttl_over_policy',
  'exposed_active',
  'fan_out',
];
