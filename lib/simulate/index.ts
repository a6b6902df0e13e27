// Enforcement what-if (pure core): policy validation and the classifier of CONTRACT.md "Simulation".
export { classificationTable, classifyUsage, INVALID_VERDICTS, MISSING_PROOF_REASONS, REFUSED_VERDICTS, type Classification, type ClassificationRow, type UsageFacts } from './classify-usage.ts';
export { rankRows, emptyCounts, emptyBroken, emptyPresented } from './rank.ts';
export { globToLike, MAX_RANGE_DAYS, MAX_TTL_SECONDS, parsePolicy, parseRequirement, validateRange } from './validate-policy.ts';
export * from './types.ts';
