// POST /api/v1/ingest?format=…&source=…: a newline-delimited body of any size (gzip too, by
// Content-Encoding or magic bytes), read as a stream — never buffered whole — and ingested as
// one batch. 413 over HOLDFAST_INGEST_MAX_BYTES (or a gzip body inflating past
// HOLDFAST_INGEST_MAX_INFLATED_BYTES), 400 for a body that does not match its Content-Length,
// 415 for other media types or encodings, 422 for an unknown or undetectable format; per-line
// problems are in the summary, never a 5xx. Each of these refusals commits nothing.
// Findings follow the batch through the instance's coalesced evaluation: `findings=background`
// (default, for gateways) answers right after the commit; `findings=wait` (the upload page, the
// CLI) answers once an evaluation covering the batch has finished.
import { HoldfastError, isHoldfastError } from '@/lib/errors.ts';
import { ingestGate } from '@/lib/http/ingest-gate.ts';
import { errorToProblem } from '@/lib/http/problem.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { FORMAT_NAMES, isFormatName } from '@/lib/ingest/index.ts';
import type { BoundedByteSource } from '@/lib/ingest/line-reader.ts';
import { ingestAndEvaluate } from '@/lib/services/ingest/index.ts';
import { INGEST_CONTENT_TYPES, ingestMaxBytes, ingestMaxInflatedBytes } from './limits.ts';

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/;

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

export const POST = apiRoute({ permission: 'ingest', keepViewCache: true }, async ({ req, db, principal, query, ip }) => {
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
  const format = query.get('format');
  if (format && format !== 'auto' && !isFormatName(format)) {
    throw new HoldfastError('validation_failed', `unknown format "${format.slice(0, 40)}"; one of ${FORMAT_NAMES.join(', ')} (or auto)`);
  }
  const sourceName = query.get('source');
  if (sourceName !== null && !SOURCE_NAME.test(sourceName)) {
    throw new HoldfastError('validation_failed', 'source: 1 to 100 letters, digits, dot, dash, underscore, colon or @');
  }
  const findings = query.get('findings') ?? 'background';
  if (findings !== 'wait' && findings !== 'background') {
    throw new HoldfastError('validation_failed', 'findings: "wait" (answer once findings include the batch) or "background" (default)');
  }
  if (!req.body) throw new HoldfastError('bad_request', 'send the log in the request body');
  // An API key bound to a source ingests as that source.
  const sourceId =
    principal.kind === 'apikey'
      ? ((await db.prisma.apiKey.findUnique({ where: { id: principal.id }, select: { sourceId: true } }))?.sourceId ?? null)
      : null;
  // Per key / per address budgets and the in-flight cap (429 + Retry-After before any write).
  const release = await ingestGate().admit({ principalId: `${principal.kind}:${principal.id}`, ip }, db);
  try {
    const seen = { ended: false };
    // The inflated-size bound travels with the bytes to the line reader, where the gunzip is.
    const body: BoundedByteSource = { bytes: receivedBody(req.body, max, declared, seen), maxInflatedBytes: ingestMaxInflatedBytes() };
    try {
      return await ingestAndEvaluate(db, body, {
        format: format && format !== 'auto' ? format : null,
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
