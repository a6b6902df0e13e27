// Hops of one request seen by several sources (issue #16 item 5), as the ingest pipeline feeds
// them: every decided request of a chunk is offered to the recorder, which keeps what correlating
// hops needs (the request's correlation id, what it saw and forwarded) and decides chain verdicts
// when a request's hops meet (lib/hops). (Placeholder wiring: records nothing yet.)
import type { SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import type { DecidedRequest } from './writer.ts';

export interface HopRecorderOptions {
  db: Database;
  /** The batch transaction. */
  exec: SqlExecutor;
  batchId: string;
  /** The batch's source id (null: none) and dedupe namespace. */
  sourceId: string | null;
  namespace: string;
  now: () => Date;
}

export class HopRecorder {
  constructor(protected readonly o: HopRecorderOptions) {}

  /** The requests of a chunk the ledger accepted as new. */
  async observe(_requests: readonly DecidedRequest[]): Promise<void> {}

  /** End of the batch, before it commits. */
  async finish(): Promise<void> {}
}
