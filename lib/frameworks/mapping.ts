// Which controls each piece of our evidence bears on, per built-in framework, with the reason in
// one line. Data, checked at load by validate-mapping.ts (every subject mapped, every control
// exists). Controls nothing maps to stay `not_assessed` — we do not claim what we cannot see.
import type { PositiveControl } from '../domain/types.ts';
import type { BuiltinFrameworkId, EvidenceSubject, MappingEntry } from './types.ts';

type Row = readonly [controlId: string, rationale: string];
type SubjectMap = Record<BuiltinFrameworkId, readonly Row[]>;

export const POSITIVE_CONTROLS: readonly PositiveControl[] = [
  'sender_constrained_enforced',
  'ttl_within_policy',
  'certificate_unique_per_workload',
  'revocation_confirmed',
  'revocation_effective',
];

export const MAPPING_TABLE: Record<EvidenceSubject, SubjectMap> = {
  unbound_high_risk: {
    'owasp-nhi-2025': [['NHI4:2025', 'A high-risk token accepted as a plain bearer token can be replayed by anyone who copies it.']],
    'nist-csf-2.0': [
      ['PR.AA-02', 'The credential is not bound to the workload that holds it (no mTLS or DPoP binding).'],
      ['PR.AA-03', 'Callers authenticate with possession of a string, not proof of a key.'],
    ],
    'nist-sp-800-207': [
      ['tenet-2', 'Without proof of possession the request is only as secure as the network path.'],
      ['tenet-6', 'Authentication is not strictly enforced: a copied token passes.'],
    ],
    'nist-ai-rmf': [
      ['MEASURE', 'Counts high-risk credentials that are replayable.'],
      ['MANAGE', 'An open risk awaiting binding or replacement.'],
    ],
    'owasp-agentic-2026': [
      ['ASI03', 'A stolen unbound agent token lets an attacker act as the agent.'],
      ['ASI07', 'Calls between agents and services carry no sender constraint.'],
    ],
    'csa-maestro': [
      ['L6', 'Identity control gap: high-risk credentials without binding.'],
      ['L4', 'The deployment accepts bearer tokens for high-risk paths.'],
    ],
  },
  bound_not_enforced: {
    'owasp-nhi-2025': [['NHI4:2025', 'The token is bound but a gateway accepted it without checking the proof.']],
    'nist-csf-2.0': [
      ['PR.AA-03', 'A gateway let the service in without verifying its proof of possession.'],
      ['PR.AA-04', 'The identity assertion (cnf binding) was conveyed but not verified.'],
      ['PR.PS-01', 'Gateway configuration does not apply the binding policy everywhere.'],
    ],
    'nist-sp-800-207': [['tenet-6', 'Authentication is not strictly enforced at every trust boundary.']],
    'nist-ai-rmf': [['MEASURE', 'Measures where binding is enforced versus merely issued.']],
    'owasp-agentic-2026': [
      ['ASI07', 'An inter-service hop skips the sender-constraint check.'],
      ['ASI03', 'A copied bound token is usable at the non-enforcing gateway.'],
    ],
    'csa-maestro': [
      ['L4', 'A gateway in the deployment does not enforce the binding.'],
      ['L6', 'Security control issued but not enforced.'],
    ],
  },
  binding_context_stripped: {
    'owasp-nhi-2025': [
      ['NHI4:2025', 'The binding cannot be verified because its context never reaches the verifier.'],
      ['NHI6:2025', 'A proxy or load balancer configuration drops the client certificate or DPoP header.'],
    ],
    'nist-csf-2.0': [
      ['PR.AA-04', 'The assertion is not conveyed intact to where it is verified.'],
      ['PR.DS-02', 'Data in transit loses the integrity context (certificate, proof) the token depends on.'],
      ['PR.PS-01', 'Proxy configuration strips binding context.'],
    ],
    'nist-sp-800-207': [
      ['tenet-2', 'Communication between hops is not secured end to end.'],
      ['tenet-6', 'The policy enforcement point cannot enforce what it never receives.'],
    ],
    'nist-ai-rmf': [['MEASURE', 'Measures paths where binding evidence is lost.']],
    'owasp-agentic-2026': [['ASI07', 'The channel between agents drops the authentication context.']],
    'csa-maestro': [['L4', 'Infrastructure (proxy, mesh) removes binding context.']],
  },
  replay_suspected: {
    'owasp-nhi-2025': [
      ['NHI2:2025', 'A replay means a copy of the secret exists outside its holder.'],
      ['NHI4:2025', 'The authentication scheme allowed a replayed token.'],
    ],
    'nist-csf-2.0': [
      ['DE.CM-09', 'Monitoring found unauthorized credential reuse.'],
      ['RS.MA-02', 'A replay signal is a report to triage and validate.'],
      ['RS.AN-03', 'Reconstructs which requests the replayed token made and from where.'],
    ],
    'nist-sp-800-207': [['tenet-4', 'Use from an unexpected client is an observable state policy should weigh.']],
    'nist-ai-rmf': [
      ['MEASURE', 'Tracks suspected misuse of agent credentials.'],
      ['MANAGE', 'A live risk requiring response.'],
    ],
    'owasp-agentic-2026': [
      ['ASI03', 'Someone else is using the agent identity.'],
      ['ASI10', 'A copy acting with the agent credential behaves as a rogue agent.'],
    ],
    'csa-maestro': [
      ['L5', 'Observability detected credential replay.'],
      ['L6', 'Identity misuse to respond to.'],
    ],
  },
  replay_after_revocation: {
    'owasp-nhi-2025': [
      ['NHI1:2025', 'The credential still works after it was meant to be cut off.'],
      ['NHI4:2025', 'Resource servers accept a revoked token (no introspection or CRL check).'],
    ],
    'nist-csf-2.0': [
      ['RS.MI-01', 'Containment failed: the revoked token is still accepted.'],
      ['DE.CM-09', 'Monitoring caught use of a revoked credential.'],
    ],
    'nist-sp-800-207': [['tenet-6', 'Authorization is not re-evaluated: revocation does not take effect.']],
    'nist-ai-rmf': [['MANAGE', 'The response action did not hold.']],
    'owasp-agentic-2026': [
      ['ASI10', 'An agent (or its copy) keeps acting after being cut off.'],
      ['ASI03', 'Identity abuse continues past revocation.'],
    ],
    'csa-maestro': [['L6', 'Revocation control is ineffective.']],
  },
  ttl_over_policy: {
    'owasp-nhi-2025': [['NHI7:2025', 'Token lifetime exceeds policy, so a stolen token stays useful longer.']],
    'nist-csf-2.0': [
      ['PR.AA-05', 'Authorizations last longer than the policy allows.'],
      ['PR.AA-01', 'Credential issuance does not follow the organization’s lifetime policy.'],
    ],
    'nist-sp-800-207': [['tenet-3', 'Long-lived tokens act as standing access, not per-session grants.']],
    'nist-ai-rmf': [
      ['GOVERN', 'A lifetime policy exists but is not followed.'],
      ['MANAGE', 'Exposure window to shorten.'],
    ],
    'owasp-agentic-2026': [['ASI03', 'Long-lived agent credentials widen the window for abuse.']],
    'csa-maestro': [['L6', 'Credential lifetime control violated.']],
  },
  exposed_active: {
    'owasp-nhi-2025': [['NHI2:2025', 'A scanner found the secret in code or history and it is still active.']],
    'nist-csf-2.0': [
      ['PR.AA-01', 'A leaked credential was not revoked.'],
      ['RS.MA-03', 'Exposed active secrets are the highest-priority category.'],
      ['RS.MI-02', 'Eradication requires rotating the leaked secret.'],
    ],
    'nist-sp-800-207': [['tenet-5', 'The posture of an owned asset (its credential) is compromised.']],
    'nist-ai-rmf': [['MANAGE', 'A leaked credential to rotate now.']],
    'owasp-agentic-2026': [['ASI03', 'A leaked agent credential lets anyone act as the agent.']],
    'csa-maestro': [['L6', 'Secret management failure.']],
  },
  offboarding: {
    'owasp-nhi-2025': [['NHI1:2025', 'Credentials of a retired identity are still valid.']],
    'nist-csf-2.0': [
      ['PR.AA-01', 'Credential lifecycle does not end with the identity.'],
      ['PR.AA-05', 'Privileges no longer needed were not rescinded.'],
    ],
    'nist-sp-800-207': [['tenet-3', 'Access outlives the reason it was granted.']],
    'nist-ai-rmf': [['GOVERN', 'Ownership and decommissioning of agents are not governed.']],
    'owasp-agentic-2026': [
      ['ASI03', 'Orphaned agent identities keep their privileges.'],
      ['ASI10', 'A decommissioned agent identity can still act.'],
    ],
    'csa-maestro': [
      ['L6', 'Identity lifecycle control gap.'],
      ['L7', 'Retired ecosystem participants keep access.'],
    ],
  },
  credential_shared: {
    'owasp-nhi-2025': [['NHI9:2025', 'One credential serves several workloads.']],
    'nist-csf-2.0': [
      ['PR.AA-02', 'The credential is not bound to one identity.'],
      ['PR.AA-01', 'Identities are not managed one credential per workload.'],
    ],
    'nist-sp-800-207': [['tenet-4', 'Policy cannot tell which client is calling when they share a credential.']],
    'nist-ai-rmf': [['MAP', 'Which agent did what cannot be mapped.']],
    'owasp-agentic-2026': [['ASI03', 'Shared identity defeats attribution and least privilege.']],
    'csa-maestro': [['L6', 'Identity uniqueness control violated.']],
  },
  fan_out: {
    'owasp-nhi-2025': [['NHI5:2025', 'One token reaches more audiences or gateways than its job needs.']],
    'nist-csf-2.0': [
      ['PR.AA-05', 'Least privilege: the token’s reach exceeds its purpose.'],
      ['DE.CM-01', 'Monitoring across network services shows the spread.'],
      ['RS.AN-08', 'The reach measures the magnitude of a compromise.'],
    ],
    'nist-sp-800-207': [['tenet-3', 'One grant is used across many resources instead of per resource.']],
    'nist-ai-rmf': [['MAP', 'Maps how far one agent credential reaches.']],
    'owasp-agentic-2026': [['ASI08', 'One compromised credential would cascade across many services.']],
    'csa-maestro': [
      ['L7', 'The credential spans many ecosystem participants.'],
      ['L5', 'Observed through cross-gateway telemetry.'],
    ],
  },
  cert_expiring: {
    'owasp-nhi-2025': [['NHI7:2025', 'Near-expiry certificates without renewal show manual rotation, the root of long-lived secrets.']],
    'nist-csf-2.0': [['PR.AA-01', 'Certificate lifecycle (renewal) is not managed ahead of expiry.']],
    'nist-sp-800-207': [['tenet-5', 'Asset posture includes the validity of its credentials.']],
    'nist-ai-rmf': [['MANAGE', 'A foreseeable outage or fallback to weaker auth to act on.']],
    'owasp-agentic-2026': [['ASI07', 'An expired certificate breaks authenticated inter-agent channels.']],
    'csa-maestro': [['L4', 'Infrastructure certificate lifecycle.']],
  },
  failure_spike: {
    'owasp-nhi-2025': [['NHI4:2025', 'Bursts of failed proofs or rejected tokens show attempts against machine authentication.']],
    'nist-csf-2.0': [
      ['DE.CM-01', 'Network services monitoring detected the burst.'],
      ['DE.CM-09', 'Authentication attempts are monitored for attacks on credentials.'],
      ['RS.MA-02', 'The spike is a report to triage.'],
    ],
    'nist-sp-800-207': [['tenet-7', 'Telemetry about communications feeds posture improvement.']],
    'nist-ai-rmf': [['MEASURE', 'Tracks authentication failure rates.']],
    'owasp-agentic-2026': [['ASI03', 'Repeated failures suggest attempts to abuse an identity.']],
    'csa-maestro': [['L5', 'Observability detected an anomaly.']],
  },
  leaking_hop: {
    'owasp-nhi-2025': [
      ['NHI4:2025', 'A hop in front of the backend drops the client certificate or passes a client-supplied one, so certificate-bound tokens are not really bound there.'],
      ['NHI6:2025', 'The proxy configuration (certificate header not set from TLS, client copy not removed) is the flaw.'],
    ],
    'nist-csf-2.0': [
      ['PR.AA-04', 'The identity assertion (the client certificate) is not conveyed intact from the edge to where it is verified.'],
      ['PR.AA-02', 'The token is not bound to the credential the client really presented: any certificate can be claimed past this hop.'],
      ['PR.PS-01', 'Proxy configuration does not protect the forwarded certificate header.'],
    ],
    'nist-sp-800-207': [
      ['tenet-2', 'Communication between hops does not carry the client identity securely.'],
      ['tenet-6', 'The enforcement point behind the hop decides on a certificate it cannot trust or never receives.'],
    ],
    'nist-ai-rmf': [
      ['MEASURE', 'Measures which hop on a request path loses or falsifies the client identity.'],
      ['MANAGE', 'A configuration risk at a named hop, to fix there.'],
    ],
    'owasp-agentic-2026': [
      ['ASI07', 'A hop between agent and service lets the sender identity be forged or lost.'],
      ['ASI03', 'A stolen certificate-bound agent token works past a hop that accepts client-supplied certificates.'],
    ],
    'csa-maestro': [
      ['L4', 'Infrastructure (edge proxy) forwards a forgeable or no client certificate.'],
      ['L6', 'Sender-constraint control bypassed at one hop.'],
    ],
  },
  forwarded_cert_from_untrusted_peer: {
    'owasp-nhi-2025': [
      ['NHI4:2025', 'The backend authenticates machine clients by a certificate header anyone who reaches it can write: certificate-bound tokens are replayable bearer tokens there.'],
      ['NHI6:2025', 'The deployment leaves the backend reachable around its proxy and believes the header from any peer.'],
    ],
    'nist-csf-2.0': [
      ['PR.AA-03', 'Callers are authenticated by a claim (a header) instead of proof of the certificate\'s key.'],
      ['PR.AA-04', 'The identity assertion forwarded by the proxy is not protected: other peers can forge it.'],
      ['PR.PS-01', 'The backend\'s configuration accepts the forwarded certificate header from untrusted peers.'],
      ['DE.CM-01', 'Monitoring of the backend\'s connections found peers that bypass the proxy.'],
    ],
    'nist-sp-800-207': [
      ['tenet-2', 'Trust is granted by network position (any peer\'s header is believed) instead of securing the communication.'],
      ['tenet-6', 'The enforcement point decides on a certificate it cannot attribute to the client.'],
    ],
    'nist-ai-rmf': [
      ['MEASURE', 'Measures requests that claimed another client\'s certificate around the proxy.'],
      ['MANAGE', 'A configuration risk at a named backend, to fix there.'],
    ],
    'owasp-agentic-2026': [
      ['ASI03', 'Anyone reaching the backend can impersonate a certificate-bound agent.'],
      ['ASI07', 'The sender identity between agent and service can be forged at the backend.'],
    ],
    'csa-maestro': [
      ['L4', 'Infrastructure: the backend is reachable around its proxy and believes its header from anyone.'],
      ['L6', 'Sender-constraint control bypassed at the backend.'],
    ],
  },
  sender_constrained_enforced: {
    'owasp-nhi-2025': [['NHI4:2025', 'Token is sender-constrained and every gateway that saw it enforced the binding.']],
    'nist-csf-2.0': [
      ['PR.AA-02', 'The credential is bound to the workload’s key or certificate.'],
      ['PR.AA-03', 'Each call is authenticated with proof of possession.'],
      ['PR.AA-04', 'The binding is verified where the token is used.'],
    ],
    'nist-sp-800-207': [
      ['tenet-2', 'Requests are secured by proof of possession regardless of network location.'],
      ['tenet-6', 'Binding enforced at every gateway that saw the token.'],
    ],
    'nist-ai-rmf': [['MEASURE', 'Measured evidence that binding is enforced.']],
    'owasp-agentic-2026': [
      ['ASI03', 'A stolen bound token is useless without the key.'],
      ['ASI07', 'Inter-service calls carry a verified sender constraint.'],
    ],
    'csa-maestro': [
      ['L4', 'Deployment enforces the binding at each gateway.'],
      ['L6', 'Identity control working as designed.'],
    ],
  },
  ttl_within_policy: {
    'owasp-nhi-2025': [['NHI7:2025', 'Token lifetime within policy.']],
    'nist-csf-2.0': [['PR.AA-05', 'Authorizations are time-bounded as the policy defines.']],
    'nist-sp-800-207': [['tenet-3', 'Short-lived tokens approximate per-session access.']],
    'nist-ai-rmf': [['GOVERN', 'The lifetime policy is followed.']],
    'owasp-agentic-2026': [['ASI03', 'Short-lived agent credentials limit abuse.']],
    'csa-maestro': [['L6', 'Credential lifetime control working.']],
  },
  certificate_unique_per_workload: {
    'owasp-nhi-2025': [['NHI9:2025', 'Each workload has its own certificate.']],
    'nist-csf-2.0': [
      ['PR.AA-02', 'Each identity is bound to its own credential.'],
      ['PR.AA-01', 'Certificates are issued per workload.'],
    ],
    'nist-sp-800-207': [['tenet-4', 'Policy can identify each client individually.']],
    'nist-ai-rmf': [['MAP', 'Each agent’s actions can be attributed.']],
    'owasp-agentic-2026': [
      ['ASI03', 'One identity per agent keeps privileges separable.'],
      ['ASI07', 'Inter-agent channels authenticate distinct parties.'],
    ],
    'csa-maestro': [['L4', 'Per-workload certificates in the deployment.']],
  },
  revocation_confirmed: {
    'owasp-nhi-2025': [['NHI1:2025', 'Revocation was confirmed by introspection (active: false).']],
    'nist-csf-2.0': [
      ['RS.MI-01', 'The compromised credential is contained, and the containment confirmed.'],
      ['PR.AA-01', 'Credentials are revoked by the organization when needed.'],
    ],
    'nist-sp-800-207': [['tenet-6', 'Authorization withdrawn and enforced before the next request.']],
    'nist-ai-rmf': [['MANAGE', 'The response action held.']],
    'owasp-agentic-2026': [
      ['ASI10', 'A rogue agent can be cut off, verifiably.'],
      ['ASI03', 'Abused identities are revoked.'],
    ],
    'csa-maestro': [['L6', 'Revocation control working.']],
  },
  revocation_effective: {
    'owasp-nhi-2025': [
      ['NHI1:2025', 'The offboarded credential is no longer accepted at any gateway that used to accept it.'],
      ['NHI2:2025', 'A leaked credential, once revoked, stops working everywhere it was used.'],
    ],
    'nist-csf-2.0': [
      ['RS.MI-01', 'Containment is shown at every enforcement point, not only at the issuer.'],
      ['PR.AA-05', 'Access withdrawn by the organization is enforced where access is decided.'],
    ],
    'nist-sp-800-207': [['tenet-6', 'Each enforcement point refused the withdrawn credential on its next request.']],
    'nist-ai-rmf': [['MANAGE', 'The response action was verified where it has to take effect.']],
    'owasp-agentic-2026': [
      ['ASI03', 'An abused agent identity stops being accepted at every gateway.'],
      ['ASI10', 'A rogue agent is shown to be cut off, gateway by gateway.'],
    ],
    'csa-maestro': [['L6', 'Revocation takes effect at the deployment\'s enforcement points.']],
  },
};

/** The mapping of one built-in framework as a flat list of entries. */
export function builtinMapping(frameworkId: BuiltinFrameworkId): MappingEntry[] {
  const out: MappingEntry[] = [];
  for (const [subject, perFramework] of Object.entries(MAPPING_TABLE) as [EvidenceSubject, SubjectMap][]) {
    for (const [controlId, rationale] of perFramework[frameworkId]) out.push({ subject, controlId, rationale });
  }
  return out;
}

export function isPositiveControl(subject: string): subject is PositiveControl {
  return (POSITIVE_CONTROLS as readonly string[]).includes(subject);
}
