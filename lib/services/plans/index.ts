// Saved rollout plans (issue #17 item 2).
export { checkPlanRange, createPlan, defaultPlanName, MAX_PLAN_RANGE_DAYS, type CreatePlanOptions } from './create-plan.ts';
export { exportPlan, getPlan, listPlans, parseWave, planWaveAuthorizationServerConfig, planWaveGatewayConfig, PROGRESS_DAYS } from './get-plan.ts';
export { readPlanIdentities } from './read-evidence.ts';
export { createPlanSchema, planExportQuerySchema, planListQuerySchema, waveConfigQuerySchema, type CreatePlanBody } from './schemas.ts';
export type { ProgressPoint, SavedPlan, SavedPlanSummary } from './types.ts';
