// Word lists and fixed infrastructure of the demo estate. Every domain is under
// `.example` (RFC 2606) and every address in a documentation range (RFC 5737), so nothing in
// the demo can point at a real system.
import type { DpopFailureReason, IdentityKind, Verdict } from '../domain/types.ts';

export const DEMO_DOMAIN = 'demo.example';

export const SYSTEMS = [
  'payments', 'orders', 'billing', 'ledger', 'inventory', 'search', 'catalog', 'checkout',
  'fraud', 'risk', 'kyc', 'notifications', 'email', 'sms', 'profile', 'accounts', 'reporting',
  'analytics', 'etl', 'feature-store', 'recommendations', 'pricing', 'shipping', 'returns',
  'warehouse', 'crm', 'support', 'audit', 'backup', 'metrics', 'tracing', 'config', 'scheduler',
  'media', 'thumbnails', 'invoicing', 'payouts', 'loyalty', 'coupons', 'geo',
] as const;

export const SERVICE_SUFFIXES = ['-api', '-svc', '-worker', '-sync', '-consumer'] as const;
export const PIPELINE_TOOLS = ['gha-deploy', 'gitlab-ci', 'jenkins', 'argo-sync', 'tf-apply', 'release-bot'] as const;
export const AGENT_ROLES = [
  'support-copilot', 'invoice-triage', 'sre-runbook', 'code-review', 'refund-assistant',
  'sales-research', 'incident-summarizer', 'data-quality', 'contract-reader', 'onboarding-helper',
  'log-analyst', 'pricing-advisor', 'kyc-reviewer', 'ticket-router', 'release-notes',
] as const;
export const PARTNERS = [
  'acme-logistics', 'globex-pay', 'initech-hr', 'umbrella-insure', 'stark-supply', 'wayne-fin',
  'hooli-ads', 'vandelay-import', 'soylent-foods', 'tyrell-robotics', 'cyberdyne-iot',
  'wonka-retail', 'oscorp-labs', 'massive-dynamic', 'aperture-cloud',
] as const;

export const PEOPLE = [
  'alice.nguyen', 'bruno.costa', 'chen.wei', 'dara.okafor', 'elena.petrova', 'farah.haddad',
  'gabriel.silva', 'hana.sato', 'ivan.horvat', 'jamal.carter', 'kai.müller', 'lena.fischer',
  'mateo.rossi', 'nadia.ibrahim', 'oliver.smith', 'priya.raman', 'quinn.obrien', 'rosa.martinez',
  'samir.khan', 'tara.lindqvist', 'umar.farouk', 'vera.novak', 'wen.li', 'ximena.lopez',
  'yusuf.demir', 'zoe.dubois', 'team-platform', 'team-payments', 'team-data', 'team-ml',
] as const;
/** Owners who have left: their NHIs are offboarding candidates. */
export const DEPARTED = new Set<string>(['bruno.costa', 'ivan.horvat', 'quinn.obrien', 'umar.farouk', 'zoe.dubois']);

export const ISSUERS = {
  prod: `https://auth.${DEMO_DOMAIN}/realms/prod`,
  staging: `https://auth.${DEMO_DOMAIN}/realms/staging`,
  ci: `https://ci.${DEMO_DOMAIN}/oidc`,
  agents: `https://agents-as.${DEMO_DOMAIN}`,
  partner: 'https://idp.partner-hub.example',
} as const;

export const AUDIENCES = {
  internal: SYSTEMS.slice(0, 24).map((s) => `https://api.internal.${DEMO_DOMAIN}/${s}`),
  partner: [`https://partner-api.${DEMO_DOMAIN}`, `https://edi.${DEMO_DOMAIN}`],
  cicd: [`https://deploy.${DEMO_DOMAIN}`, `https://registry.${DEMO_DOMAIN}`, `https://git.${DEMO_DOMAIN}`],
  agent: [`https://tools.${DEMO_DOMAIN}/mcp`, `https://api.internal.${DEMO_DOMAIN}/tickets`, `https://api.internal.${DEMO_DOMAIN}/search`],
} as const;

export const API_PATHS = ['/v1/items', '/v1/items/{id}', '/v2/search', '/v1/batch', '/v1/status', '/v1/events', '/v1/export', '/v1/records/{id}'] as const;

/** Gateways (and the sources they report as). `role` decides which verdicts they produce. */
export interface GatewaySpec {
  name: string;
  format: string;
  role: 'edge' | 'mesh' | 'partner' | 'stripped' | 'misconfigured';
  description: string;
}
export const GATEWAYS: readonly GatewaySpec[] = [
  { name: 'nginx-edge-1', format: 'nginx-json', role: 'edge', description: 'Public edge, mTLS optional + DPoP enforced' },
  { name: 'nginx-edge-2', format: 'nginx-json', role: 'edge', description: 'Public edge (second AZ)' },
  { name: 'envoy-mesh', format: 'envoy-json', role: 'mesh', description: 'Service mesh sidecars, SPIFFE mTLS' },
  { name: 'kong-partner', format: 'kong', role: 'partner', description: 'Partner API gateway, mTLS for partners' },
  {
    name: 'envoy-ingress-dmz',
    format: 'envoy-json',
    role: 'stripped',
    description: 'Behind an L7 load balancer that terminates TLS and does not forward the client certificate',
  },
  { name: 'nginx-legacy-billing', format: 'nginx-json', role: 'misconfigured', description: 'Legacy billing gateway: ssl_verify_client optional, cnf never checked' },
  { name: 'nginx-ci', format: 'nginx-json', role: 'misconfigured', description: 'CI/CD API gateway: accepts DPoP-bound tokens as Bearer' },
];

/** Where the token inventory came from (Token.sourceId). */
export const INVENTORY_SOURCE = { name: 'keycloak-prod', format: 'keycloak', description: 'Keycloak introspection export (token inventory)' } as const;

export const KIND_COUNTS: Readonly<Record<IdentityKind, number>> = {
  service: 120,
  workload: 70,
  pipeline: 50,
  agent: 50,
  partner: 30,
};

/** Verdict mix of ordinary traffic (outside the spike), in per-mille. */
export const VERDICT_WEIGHTS: ReadonlyArray<readonly [Verdict, number]> = [
  ['ok', 610],
  ['bearer_unbound', 250],
  ['token_expired', 30],
  ['proof_invalid', 28],
  ['bound_not_enforced', 20],
  ['binding_context_stripped', 15],
  ['no_proof_for_bound_token', 12],
  ['binding_mismatch', 10],
  ['cert_expired', 10],
  ['cert_revoked', 8],
  ['cert_untrusted', 7],
];

export const DPOP_REASON_WEIGHTS: ReadonlyArray<readonly [DpopFailureReason, number]> = [
  ['htu', 25],
  ['iat', 25],
  ['jti_replay', 14],
  ['nonce', 10],
  ['signature', 6],
  ['ath', 6],
  ['htm', 5],
  ['jkt_mismatch', 4],
  ['bearer_scheme_for_dpop_token', 3],
  ['malformed', 2],
  ['typ', 1],
  ['alg', 1],
  ['private_key_in_jwk', 1],
];

/** Reasons refining the certificate verdicts (the gateway's verify outcome, normalised). */
export const CERT_REASONS = {
  cert_revoked: [['crl', 3], ['ocsp', 1]],
  cert_expired: [['not_after', 1]],
  cert_untrusted: [['unknown_ca', 3], ['self_signed', 2], ['chain_incomplete', 1]],
} as const satisfies Record<string, ReadonlyArray<readonly [string, number]>>;

export const CAS = {
  mesh: { name: 'spire-mesh-ca', dn: 'CN=SPIRE Mesh CA,O=Holdfast Demo' },
  internal: { name: 'demo-issuing-ca-1', dn: 'CN=Holdfast Demo Issuing CA 1,O=Holdfast Demo' },
  partner: { name: 'partner-hub-ca', dn: 'CN=Partner Hub CA G2,O=Partner Hub Example' },
} as const;
