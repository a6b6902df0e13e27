// Builds a FindingDraft from a rule's facts; words come from words.ts only.
import type { FindingRule, Severity } from '../../domain/types.ts';
import type { FindingDraft } from '../snapshot.ts';
import { findingWords, type RuleFacts } from '../words.ts';

export type DraftFields = Omit<FindingDraft, 'rule' | 'title' | 'explanation' | 'recommendation'>;

export function makeDraft<R extends FindingRule>(rule: R, facts: RuleFacts[R], fields: DraftFields): FindingDraft {
  return { ...fields, rule, ...findingWords(rule, facts) };
}

const LADDER: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** One step more severe (critical stays critical). */
export function raise(s: Severity): Severity {
  return LADDER[Math.min(LADDER.length - 1, LADDER.indexOf(s) + 1)] ?? s;
}
