// Enforcement what-if over the evidence store (issue #17 item 1).
export { DEFAULT_ROW_LIMIT, hourRange, MAX_ROW_LIMIT, preloadUsageColumns, runSimulation, toHoldfastError, UNKNOWN_NETWORK, UNKNOWN_ROUTE } from './run-simulation.ts';
export { resolveScope, routeRegex, scopeIsEmpty, tokenScopeSql, urlRegex, usageScopeSql, type ResolvedScope, type SqlArg } from './scope.ts';
export { simulationBodySchema, type SimulationBody } from './schemas.ts';
export { simulate, type SimulateOptions } from './simulate.ts';
export { listScopeChoices } from './list-scope-choices.ts';
