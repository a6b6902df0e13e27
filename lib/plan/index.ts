// Staged rollout plans (pure core): waves from a simulation, per-wave configuration, progress, exports.
export { assignWave, declaredException, fixableAtAuthorizationServer, globMatch, isCompliant, needsAuthorizationServerOnly, WAVE_REASON_WORDS } from './assign-wave.ts';
export { keycloakSnippet, oidcProviderSnippet, shellQuote } from './authorization-server-config.ts';
export { buildRolloutPlan, EXCEPTION_DAYS, EXCEPTION_MAX_TTL_SECONDS } from './build-plan.ts';
export { PLAN_EXPORT_FORMATS, PLAN_CSV_COLUMNS, planCsv, planJson, planPdf, planPolicyWords, type PlanExportFormat, type PlanExportMeta } from './export-plan.ts';
export { CONFIG_SELECTORS, PLAN_GATEWAYS, selectorsNotInConfig, splitRoutePrefix, waveGatewayConfig, type PlanGateway, type WaveGatewayOptions } from './gateway-config.ts';
export { classifyRequest, type RequestCategory, type RequestFacts } from './classify-request.ts';
export { brokenByOf, planIdentitiesFromSimulation, type IdentityFacts } from './from-simulation.ts';
export { planProgress } from './progress.ts';
export { DIVERSE_NETWORKS, MECHANISM_REASON_WORDS, recommendMechanism } from './recommend-mechanism.ts';
export * from './types.ts';
export { PLAN_FRAMEWORKS, waveControls, waveSubjects } from './wave-controls.ts';
