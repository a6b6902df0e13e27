// POST /api/v1/ingest?format=…&source=…: a newline-delimited body of any size (gzip too, by
// Content-Encoding or magic bytes), read as a stream — never buffered whole — and ingested as
// one batch. 413 over HOLDFAST_INGEST_MAX_BYTES, 415 for other media types or encodings, 422
// for an unknown or undetectable format; per-line problems are in the summary, never a 5xx.
// Findings follow the batch through the instance's coalesced evaluation: `findings=background`
// (default, for gateways) answers right after the commit; `findings=wait` (the upload page, the
// CLI) answers once an evaluation covering the batch has finished.
import { HoldfastError } from '@/lib/errors.ts';
import { ingestGate } from '@/lib/http/ingest-gate.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { FORMAT_NAMES, isFormatName } from '@/lib/ingest/index.ts';
import { ingestAndEvaluate } from '@/lib/services/ingest/index.ts';
import { INGEST_CONTENT_TYPES, ingestMaxBytes } from './limits.ts';

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/;

async function* limitedBody(body: ReadableStream<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
      if (size > max) throw new HoldfastError('payload_too_large', `body over ${max} bytes (HOLDFAST_INGEST_MAX_BYTES)`);
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
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
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) throw new HoldfastError('payload_too_large', `body over ${max} bytes (HOLDFAST_INGEST_MAX_BYTES)`);
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
    return await ingestAndEvaluate(db, limitedBody(req.body, max), {
      format: format && format !== 'auto' ? format : null,
      sourceName: sourceId ? null : sourceName,
      sourceId,
      actor: principal.label,
      evaluate: findings,
    });
  } finally {
    release();
  }
});
