// One call for every surface (CLI, API): ingest a stream as a batch, then re-evaluate findings
// over the estate (a revoked token seen again in the logs → replay_after_revocation, …).
import type { Database } from '../../db/open.ts';
import type { ByteSource } from '../../ingest/index.ts';
import { evaluateFindings } from '../findings/index.ts';
import { ingestStream, type IngestOptions, type IngestSummary } from './pipeline.ts';

export async function ingestAndEvaluate(
  db: Database,
  source: ByteSource,
  opts: IngestOptions & { evaluate?: boolean },
): Promise<IngestSummary & { findingsError?: string }> {
  const summary = await ingestStream(db, source, opts);
  if (opts.evaluate === false || summary.accepted === 0) return summary;
  try {
    // Runs after the batch committed: a failure here never undoes the batch.
    await evaluateFindings(db, { now: opts.now?.(), actor: opts.actor });
    return summary;
  } catch (e) {
    return { ...summary, findingsError: (e as Error).message.split('\n')[0]!.slice(0, 300) };
  }
}
