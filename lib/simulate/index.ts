// Enforcement what-if (pure core): policy validation and the classifier of CONTRACT.md "Simulation".
export { classificationTable, classifyUsage, INVALID_VERDICTS, MISSING_PROOF_REASONS, REFUSED_VERDICTS, spoofedPathCategory, unknownWords, type Classification, type ClassificationRow, type UsageFacts } from './classify-usage.ts';
export { rankRows, emptyCounts, emptyBroken, emptyPresented } from './rank.ts';
export { globToLike, MAX_RANGE_DAYS, normalizePolicy, parsePolicy, validateRange } from './validate-policy.ts';
export { MAX_TTL_SECONDS, policySchema, type CheckedPolicy, type PolicyInput } from './policy-schema.ts';
export { describeScope, scopeWords } from './describe-scope.ts';
export * from './types.ts';
