// One call for every surface (CLI, API): ingest a stream as a batch, then re-evaluate findings
// over the estate (a revoked token seen again in the logs → replay_after_revocation, …).
import type { Database } from '../../db/open.ts';
import type { ByteSource } from '../../ingest/index.ts';
import { evaluateFindings } from '../findings/index.ts';
import { evaluateAfterCommit, scheduleAfterCommit, type EvaluationScope } from '../findings/coalesce.ts';
import { ingestStream, type BatchTouched, type IngestOptions, type IngestSummary } from './pipeline.ts';

/**
 * How findings follow a committed batch:
 *  - `now` (default): evaluate before returning (the CLI on the embedded database);
 *  - `wait`: wait for the instance's coalesced evaluation that covers this batch (one evaluation
 *    serves every batch committed while the previous one ran; on a large estate it may cover only
 *    the tokens the batches touched — lib/services/findings/coalesce.ts);
 *  - `background`: schedule that coalesced evaluation and return at once (gateways);
 *  - `false`: not at all.
 */
export type FindingsMode = 'now' | 'wait' | 'background' | false;

export async function ingestAndEvaluate(
  db: Database,
  source: ByteSource,
  opts: IngestOptions & { evaluate?: FindingsMode },
): Promise<IngestSummary & { findings?: 'evaluated' | 'scheduled'; findingsError?: string }> {
  const touched: BatchTouched = { tokenIds: new Set(), beyondTokens: false };
  const summary = await ingestStream(db, source, { ...opts, touched });
  const mode = opts.evaluate ?? 'now';
  if (mode === false || summary.accepted === 0) return summary;
  const scope: EvaluationScope = touched.beyondTokens ? 'estate' : touched.tokenIds;
  if (mode === 'background') {
    scheduleAfterCommit(db, opts.actor, scope);
    return { ...summary, findings: 'scheduled' };
  }
  try {
    // Runs after the batch committed: a failure here never undoes the batch.
    if (mode === 'wait') await evaluateAfterCommit(db, opts.actor, scope);
    else await evaluateFindings(db, { now: opts.now?.(), actor: opts.actor });
    return { ...summary, findings: 'evaluated' };
  } catch (e) {
    return { ...summary, findingsError: (e as Error).message.split('\n')[0]!.slice(0, 300) };
  }
}
