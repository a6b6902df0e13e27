// Builders for tests: a minimal valid row of each kind, overridable field by field.
// (Used by *.test.ts only; kept pure so other pure modules' tests can reuse it.)
import { buildContext, type Rule } from '../context.ts';
import { DEFAULT_POLICY, type Policy } from '../policy.ts';
import type { CertificateFacts, EstateSnapshot, FindingDraft, IdentityFacts, TokenFacts, TokenUsage } from '../snapshot.ts';

export const NOW = new Date('2026-11-22T10:00:00.000Z');
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export function at(offsetMs: number): Date {
  return new Date(NOW.getTime() + offsetMs);
}

export function identity(over: Partial<IdentityFacts> = {}): IdentityFacts {
  return {
    id: 'id-svc',
    name: 'orders-svc',
    kind: 'service',
    owner: 'team-orders',
    ownerStatus: 'active',
    status: 'active',
    transport: 'mesh',
    spiffeId: null,
    decommissionedAt: null,
    ...over,
  };
}

export function token(over: Partial<TokenFacts> = {}): TokenFacts {
  return {
    id: 'tok-1',
    fingerprint: 'fp-1',
    identityId: 'id-svc',
    tokenType: 'access',
    jti: 'jti-1',
    issuer: 'https://as.example',
    audience: ['https://orders.internal'],
    scopes: ['orders:read'],
    issuedAt: at(-HOUR),
    expiresAt: at(HOUR),
    ttlSeconds: 7200,
    binding: 'bearer',
    cnfX5tS256: null,
    cnfJkt: null,
    bindingAnomaly: false,
    status: 'active',
    exposure: 'none',
    certificateId: null,
    firstSeenAt: at(-HOUR),
    lastSeenAt: at(-60_000),
    revokedAt: null,
    ...over,
  };
}

export function certificate(over: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    id: 'cert-1',
    x5tS256: 'x5t-A',
    sha1Hex: null,
    subjectDn: 'CN=orders-svc',
    notBefore: at(-30 * DAY),
    notAfter: at(60 * DAY),
    status: 'active',
    identityId: 'id-svc',
    revokedAt: null,
    ...over,
  };
}

export function usage(over: Partial<TokenUsage> = {}): TokenUsage {
  return {
    tokenId: 'tok-1',
    events: 10,
    firstSeenAt: at(-HOUR),
    lastSeenAt: at(-60_000),
    first: { x5tS256: null, jkt: null, clientIp: '10.0.0.5' },
    x5tS256Seen: [],
    jktSeen: [],
    clientIpsSeen: ['10.0.0.5'],
    audiencesSeen: ['orders.internal'],
    gatewaysSeen: ['edge-1'],
    verdictCounts: { ok: 10 },
    notEnforcedAt: [],
    notEnforcedRequests: over.verdictCounts?.bound_not_enforced ?? 0,
    eventsAfterRevocation: 0,
    firstSeenAfterRevocationAt: null,
    acceptedAfterRevocation: 0,
    ...over,
  };
}

export function snapshot(over: Partial<EstateSnapshot> = {}): EstateSnapshot {
  return {
    identities: [identity()],
    tokens: [],
    certificates: [],
    exposures: [],
    tokenUsage: [],
    routes: [],
    failureSeries: [],
    credentialUse: [],
    ...over,
  };
}

/** Runs one rule on a snapshot at NOW under the default (or given) policy. */
export function runRule(rule: Rule, snap: EstateSnapshot, policy: Policy = DEFAULT_POLICY, now: Date = NOW): FindingDraft[] {
  return rule(buildContext(snap, policy, now));
}

/** The fields a table test asserts on. */
export function brief(d: FindingDraft): { dedupeKey: string; severity: string } {
  return { dedupeKey: d.dedupeKey, severity: d.severity };
}
