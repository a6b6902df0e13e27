// Limits and accepted media types of POST /api/v1/ingest.
import { readSetting, type Env } from '@/lib/config.ts';

export const DEFAULT_INGEST_MAX_BYTES = 1024 ** 3; // 1 GiB on the wire

/**
 * How far a gzip body may inflate, as a multiple of the wire limit when not set. Access logs
 * gzip 8–20:1 (the generated NGINX JSON log: 9.7:1 at gzip -6), so 16× takes a full-size gzip
 * of ordinary logs; a gzip bomb (deflate reaches about 1000:1) costs the server at most 16×
 * the work of the largest plain body instead of a thousand times it. An operator who lowers
 * the wire limit lowers this with it.
 */
export const DEFAULT_INFLATED_FACTOR = 16;

/** HOLDFAST_INGEST_MAX_BYTES, else 1 GiB. */
export function ingestMaxBytes(env?: Env): number {
  return readSetting('HOLDFAST_INGEST_MAX_BYTES', env) ?? DEFAULT_INGEST_MAX_BYTES;
}

/**
 * HOLDFAST_INGEST_MAX_INFLATED_BYTES (validated at start by lib/config.ts), else 16× the wire
 * limit (16 GiB by default).
 */
export function ingestMaxInflatedBytes(env?: Env): number {
  return readSetting('HOLDFAST_INGEST_MAX_INFLATED_BYTES', env) ?? DEFAULT_INFLATED_FACTOR * ingestMaxBytes(env);
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
