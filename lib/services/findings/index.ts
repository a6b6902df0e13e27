// DB layer of the findings engine. Public API:
//   evaluateFindings(db, { now?, policy?, actor? })  — evaluate + reconcile + apply in one transaction
//                                                    (call after every ingest batch / seed / policy change)
//   buildEstateSnapshot(read, now, policy?)          — set-based aggregates → EstateSnapshot
//   loadPolicy(db) / savePolicy(db, { policy, actor }) — Setting `risk.policy`
//   acknowledgeFindings(db, { ids, reason, until, actor })
export { evaluateFindings, loadPolicy, savePolicy, POLICY_SETTING_KEY } from './evaluate.ts';
export type { EvaluateFindingsOptions, EvaluateFindingsResult } from './evaluate.ts';
export { buildEstateSnapshot } from './snapshot.ts';
export type { SqlReader } from './snapshot.ts';
export { acknowledgeFindings, MAX_ACK_DAYS } from './acknowledge.ts';
export type { AcknowledgeInput, AcknowledgeResult } from './acknowledge.ts';
