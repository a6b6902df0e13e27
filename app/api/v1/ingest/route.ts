// POST /api/v1/ingest?format=…&source=…: a newline-delimited body of any size (gzip too, by
// Content-Encoding or magic bytes), read as a stream — never buffered whole — and ingested as
// one batch. 413 over HOLDFAST_INGEST_MAX_BYTES (or a gzip body inflating past
// HOLDFAST_INGEST_MAX_INFLATED_BYTES), 400 for a body that does not match its Content-Length,
// 415 for other media types or encodings, 400 for a bad query parameter (an unknown format, a
// source name, findings), 422 for a body whose format cannot be detected; per-line problems are
// in the summary, never a 5xx. Each of these refusals commits nothing.
// Formats nginx, apache and haproxy read the source's saved gateway configuration
// (PUT /api/v1/sources/{name}/log-format), `logFormat=NAME` picking one of its formats; without one
// the request is a 422. The body is the log stream only: a configuration never comes with it.
// `timeZone=Europe/Berlin` (or `+02:00`) is the zone of the body's zone-less times (default UTC).
// Findings follow the batch through the instance's coalesced evaluation: `findings=background`
// (default, for gateways) answers right after the commit; `findings=wait` (the upload page, the
// CLI) answers once an evaluation covering the batch has finished.
import { HoldfastError, isHoldfastError } from '@/lib/errors.ts';
import { ingestGate } from '@/lib/http/ingest-gate.ts';
import { errorToProblem } from '@/lib/http/problem.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { isConfiguredFormat } from '@/lib/ingest/index.ts';
import type { BoundedByteSource } from '@/lib/ingest/line-reader.ts';
import { IngestQuerySchema } from '@/lib/services/ingest/ingest-query.ts';
import { ingestAndEvaluate } from '@/lib/services/ingest/index.ts';
import { resolveIngestLogFormat, type IngestLogFormat } from '@/lib/services/ingest/log-formats.ts';
import { INGEST_CONTENT_TYPES, ingestMaxBytes, ingestMaxInflatedBytes } from './limits.ts';

/** The Content-Length the client declared, or null (chunked, or absent). */
function declaredLength(headers: Headers): number | null {
  const v = headers.get('content-length')?.trim();
  return v && /^\d{1,16}$/.test(v) ? Number(v) : null;
}

/**
 * The request body as it arrives, refused as soon as it passes HOLDFAST_INGEST_MAX_BYTES. When
 * the client declared a Content-Length, a body that ends short of it or runs past it fails the
 * batch before it commits: a layer between the socket and this handler that cut the body (as
 * Next.js does for requests its proxy sees, at 10 MB) must never commit as a whole batch.
 */
async function* receivedBody(body: ReadableStream<Uint8Array>, max: number, declared: number | null, seen: { ended: boolean }): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        seen.ended = true;
        break;
      }
      size += value.byteLength;
      if (size > max) throw new HoldfastError('payload_too_large', `body over ${max} bytes (HOLDFAST_INGEST_MAX_BYTES)`);
      if (declared !== null && size > declared) {
        throw new HoldfastError('bad_request', `body runs past the ${declared} bytes its Content-Length declared; nothing was committed`);
      }
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (declared !== null && size < declared) {
    throw new HoldfastError('bad_request', `body ended after ${size} of the ${declared} bytes its Content-Length declared; nothing was committed`);
  }
}

/**
 * A refusal sent before the body ended (413 mid-stream, a gzip bomb) closes the connection: the
 * rest of the body was never read, so the connection cannot carry another request, and a client
 * that put it back in its pool would fail its next request on it.
 */
function closingConnection(res: Response): Response {
  res.headers.set('connection', 'close');
  return res;
}

/**
 * The source's saved log format for nginx/apache/haproxy (or detection), refused before the body
 * is read when a gateway format has no configuration to be read with.
 */
async function logFormatFor(db: Parameters<typeof resolveIngestLogFormat>[0], q: { format: string | null; logFormat: string | null; sourceId: string | null; sourceName: string | null }): Promise<IngestLogFormat> {
  const chosen = await resolveIngestLogFormat(db, { format: q.format, logFormat: q.logFormat, sourceId: q.sourceId, sourceName: q.sourceId ? null : q.sourceName });
  const source = q.sourceId ? 'this key\'s source' : q.sourceName ? `source ${q.sourceName}` : null;
  if (chosen.format && isConfiguredFormat(chosen.format) && chosen.gatewayConfig === undefined) {
    throw new HoldfastError(
      'validation_failed',
      source
        ? `format ${chosen.format} is read with the gateway's configuration, and ${source} keeps none: save it first (PUT /api/v1/sources/{name}/log-format, or the Sources page)`
        : `format ${chosen.format} is read with the gateway's configuration saved on a source: name it with source=NAME (PUT /api/v1/sources/NAME/log-format first)`,
      { reason: 'no_log_format' },
    );
  }
  if (chosen.logFormat && chosen.gatewayConfig === undefined) {
    throw new HoldfastError('validation_failed', `logFormat picks a format of the gateway configuration saved on a source, and ${source ? `${source} keeps none` : 'no source was named'}`, { reason: 'no_log_format' });
  }
  return chosen;
}

export const POST = apiRoute({ permission: 'ingest', keepViewCache: true, query: IngestQuerySchema }, async ({ req, db, principal, q, ip }) => {
  const type = (req.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
  if (!(INGEST_CONTENT_TYPES as readonly string[]).includes(type)) {
    throw new HoldfastError('unsupported_media_type', `content type ${type.slice(0, 60)} is not accepted; send one of ${INGEST_CONTENT_TYPES.join(', ')}`);
  }
  const encoding = (req.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (!['identity', 'gzip', 'x-gzip'].includes(encoding)) {
    throw new HoldfastError('unsupported_media_type', `content encoding ${encoding.slice(0, 30)} is not accepted; send gzip or none`);
  }
  const max = ingestMaxBytes();
  const declared = declaredLength(req.headers);
  if (declared !== null && declared > max) throw new HoldfastError('payload_too_large', `body over ${max} bytes (HOLDFAST_INGEST_MAX_BYTES)`);
  const { format = null, source: sourceName = null, logFormat: logFormatName = null, timeZone = null, findings } = q;
  if (!req.body) throw new HoldfastError('bad_request', 'send the log in the request body');
  // An API key bound to a source ingests as that source.
  const sourceId =
    principal.kind === 'apikey'
      ? ((await db.prisma.apiKey.findUnique({ where: { id: principal.id }, select: { sourceId: true } }))?.sourceId ?? null)
      : null;
  const chosen = await logFormatFor(db, { format: format && format !== 'auto' ? format : null, logFormat: logFormatName, sourceId, sourceName });
  // Per key / per address budgets and the in-flight cap (429 + Retry-After before any write).
  const release = await ingestGate().admit({ principalId: `${principal.kind}:${principal.id}`, ip }, db);
  try {
    const seen = { ended: false };
    // The inflated-size bound travels with the bytes to the line reader, where the gunzip is.
    const body: BoundedByteSource = { bytes: receivedBody(req.body, max, declared, seen), maxInflatedBytes: ingestMaxInflatedBytes() };
    try {
      return await ingestAndEvaluate(db, body, {
        format: chosen.format,
        gatewayConfig: chosen.gatewayConfig,
        logFormat: chosen.logFormat,
        // The request's zone wins over the one saved with the source's configuration.
        timeZone: timeZone ?? chosen.timeZone ?? null,
        sourceName: sourceId ? null : sourceName,
        sourceId,
        actor: principal.label,
        evaluate: findings,
      });
    } catch (e) {
      if (seen.ended || !isHoldfastError(e)) throw e;
      return closingConnection(errorToProblem(e));
    }
  } finally {
    release();
  }
});
