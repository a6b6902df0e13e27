// Ingest service: the batch pipeline and the read side of batches and sources.
export { identityNameOf } from '../../ingest/entity-facts.ts';
export { ingestStream, MAX_BATCH_ERRORS, type IngestError, type IngestOptions, type IngestProgress, type IngestSummary } from './pipeline.ts';
export { checkTrustedProxies, listBatches, listSources, createSource, setSourceTrustedProxies, type BatchRow, type SourceRow } from './queries.ts';
export { ingestAndEvaluate } from './run.ts';
