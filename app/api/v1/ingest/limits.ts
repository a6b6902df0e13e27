// Limits and accepted media types of POST /api/v1/ingest.
export const DEFAULT_INGEST_MAX_BYTES = 1024 ** 3; // 1 GiB on the wire

/** HOLDFAST_INGEST_MAX_BYTES, else 1 GiB. */
export function ingestMaxBytes(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.HOLDFAST_INGEST_MAX_BYTES);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : DEFAULT_INGEST_MAX_BYTES;
}

export const INGEST_CONTENT_TYPES = [
  'text/plain',
  'application/x-ndjson',
  'application/jsonl',
  'application/json',
  'text/csv',
  'application/gzip',
  'application/x-gzip',
  'application/octet-stream',
] as const;
