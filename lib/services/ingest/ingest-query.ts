// Query strings of the ingest routes: POST /api/v1/ingest (what the body is and where it came from)
// and GET /api/v1/ingest/batches. The routes parse with these and the OpenAPI document shows them.
import { z } from 'zod';
import { enumParam, intParam } from '../../domain/query-params.ts';
import { FORMAT_NAMES } from '../../ingest/types.ts';
import { parseTimeZone, TIME_ZONE_MESSAGE } from '../../ingest/time-zone.ts';
import { SOURCE_NAME } from './log-formats.ts';

// A bad query parameter is a 400 naming it, before the body is read (as on every route).
export const IngestQuerySchema = z.object({
  format: enumParam([...FORMAT_NAMES, 'auto']).describe("the body's format (default: detected); nginx, apache and haproxy read the source's saved gateway configuration"),
  source: z.string().regex(SOURCE_NAME, '1 to 100 letters, digits, dot, dash, underscore, colon or @').optional().describe('the named source the lines come from (a source key ingests as its own source)'),
  logFormat: z.string().trim().min(1, 'a format name of 1 to 200 characters').max(200, 'a format name of 1 to 200 characters').optional().describe("which log format of the source's saved configuration: NGINX log_format name, Apache nickname or HAProxy frontend"),
  timeZone: z
    .string()
    .trim()
    .max(64, TIME_ZONE_MESSAGE)
    .refine((v) => parseTimeZone(v) !== null, TIME_ZONE_MESSAGE)
    .optional()
    .describe('the zone of zone-less times in the body (HAProxy %tr, Apache strftime without %z, RFC 3164 syslog, the Apache error log): an IANA name (Europe/Berlin) or a fixed offset (+02:00); default UTC. Times that carry an offset are never shifted'),
  findings: z
    .enum(['wait', 'background'], { error: '"wait" (answer once findings include the batch) or "background" (default)' })
    .default('background')
    .describe('background (default): answer right after the commit; wait: answer once an evaluation covering the batch has finished'),
});

export const BatchListQuerySchema = z.object({ limit: intParam(1, 500, 50).describe('at most this many batches, newest first (default 50)') });
