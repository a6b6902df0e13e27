// Public API of the risk engine (pure: no Next.js, React, Prisma or process.env; clock injected).
export type {
  CertificateFacts,
  CredentialUse,
  EstateSnapshot,
  ExposureFacts,
  FailureSeries,
  FailureSubject,
  FindingDraft,
  HeldCredential,
  IdentityFacts,
  Json,
  RouteUsage,
  TokenFacts,
  TokenUsage,
} from './snapshot.ts';
export { BINDING_FAILURE_VERDICTS, DEFAULT_POLICY, PolicySchema, parsePolicy, validatePolicy } from './policy.ts';
export type { Policy, PolicyError, PolicyInput, PolicyValidation } from './policy.ts';
export { classifyPrivilege, PRIVILEGE_REASONS } from './privilege.ts';
export type { PrivilegeClass, PrivilegeReason } from './privilege.ts';
export { BLAST_RADIUS_CAP, tokenBlastRadius } from './blast-radius.ts';
export { evaluate } from './evaluate.ts';
export type { EvaluateOptions } from './evaluate.ts';
export { canonicalJson, reconcile } from './reconcile.ts';
export type { ExistingFinding, FindingReopen, FindingResolve, FindingStatus, FindingUpdate, ReconcileOptions, ReconcileResult } from './reconcile.ts';
export { recommend, recommendBinding } from './recommend.ts';
export type { BindingAdvice, BindingRecommendation, RecommendationReason } from './recommend.ts';
export { riskScore, SEVERITY_WEIGHT } from './risk-score.ts';
export type { RiskBand, RiskContribution, RiskScore, ScoredFinding } from './risk-score.ts';
export { compareFindings } from './rank.ts';
export type { RankableFinding } from './rank.ts';
export { spikeStats } from './rules/failure-spike.ts';
export type { SpikeStats } from './rules/failure-spike.ts';
export { tokenLifetimeSeconds } from './rules/ttl-over-policy.ts';
export { isLive, isCertLive } from './context.ts';
export { networkOrigin } from './network-origin.ts';
export { RULES, TOKEN_RULES } from './rules/index.ts';
export { FINDING_WORDS, PRIVILEGE_REASON_WORDS, RECOMMENDATION_WORDS, RULE_LABELS } from './words.ts';
export { ACCEPTED_VERDICTS, audienceOf, buildSnapshot, routeOf } from './build-snapshot.ts';
export { countRepeatedHopLines, HOP_REPEAT_WINDOW_MS, type HopLine } from './repeated-hop-lines.ts';
export type { BuildSnapshotOptions, RawEstate, RawEvent } from './build-snapshot.ts';
export { scopeSnapshotToTokens, sortHeldCredentials } from './scope.ts';
