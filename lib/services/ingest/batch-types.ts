// Shapes of an ingest batch shared by the orchestrator (pipeline.ts) and the batch writer.

export const MAX_BATCH_ERRORS = 100;

export interface IngestError {
  line: number;
  reason: string;
  message?: string;
}

export interface IngestProgress {
  linesRead: number;
  accepted: number;
  rejected: number;
  duplicates: number;
}
