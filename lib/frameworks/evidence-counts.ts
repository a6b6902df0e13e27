// Builds EvidenceCounts from rows, for callers without a GROUP BY at hand (small estates, tests,
// the CLI on a file). Production queries should aggregate in SQL: the shape is the same.
import type { Severity } from '../domain/types.ts';
import type { EvidenceCounts } from './types.ts';

export interface CountEvidenceInput {
  findings: AsyncIterable<{ rule: string; severity: Severity; status: string }> | Iterable<{ rule: string; severity: Severity; status: string }>;
  checks?: AsyncIterable<{ control: string; passed: boolean }> | Iterable<{ control: string; passed: boolean }>;
  /** Rules whose detector ran over the period (zero findings from them is evidence). */
  rulesEvaluated: readonly string[];
}

/** Counts open findings by rule and severity and positive checks by control. Only `open` findings count. */
export async function countEvidence(input: CountEvidenceInput): Promise<EvidenceCounts> {
  const openFindings: EvidenceCounts['openFindings'] = {};
  for await (const f of input.findings) {
    if (f.status !== 'open') continue;
    const bucket = (openFindings[f.rule] ??= {});
    bucket[f.severity] = (bucket[f.severity] ?? 0) + 1;
  }
  const positive: EvidenceCounts['positive'] = {};
  for await (const c of input.checks ?? []) {
    const p = (positive[c.control] ??= { pass: 0, fail: 0 });
    if (c.passed) p.pass += 1;
    else p.fail += 1;
  }
  return { openFindings, positive, rulesEvaluated: [...input.rulesEvaluated] };
}
