// The one place where errors become HTTP: RFC 9457 problem bodies with a stable `code`.
// Unknown errors become a generic 500 without details; nothing internal reaches the client.
import { ZodError } from 'zod';
import { errorLine, type HoldfastErrorCode, isHoldfastError } from '../errors.ts';

const STATUS: Record<HoldfastErrorCode, number> = {
  config_invalid: 500,
  db_unreachable: 503,
  data_dir_locked: 503,
  data_dir_unwritable: 500,
  bad_request: 400,
  validation_failed: 422,
  unauthorized: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  invalid_credentials: 401,
  conflict_retry: 503,
  upstream_failed: 502,
  internal: 500,
};

export function problem(status: number, code: HoldfastErrorCode, title: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ type: `about:blank`, title, status, code, ...extra }), {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
  });
}

export function errorToProblem(e: unknown, log: (msg: string) => void = (m) => console.error(m)): Response {
  if (e instanceof ZodError) {
    const errors = e.issues.slice(0, 50).map((i) => ({ path: i.path.join('.'), message: i.message }));
    // The first problem as one line, as every other 4xx carries it (browsers and the CLI show `detail`).
    const first = errors[0];
    const detail = first ? `${first.path ? `${first.path}: ` : ''}${first.message}`.replace(/\s+/g, ' ') : 'The request is not valid';
    return problem(422, 'validation_failed', 'The request is not valid', { detail, errors });
  }
  if (isHoldfastError(e)) {
    const status = STATUS[e.code] ?? 500;
    const headers: Record<string, string> = {};
    const d = e.details as { retryAfterSeconds?: number } | undefined;
    if (status === 429 && d?.retryAfterSeconds) headers['retry-after'] = String(Math.ceil(d.retryAfterSeconds));
    const auth = e.details as { wwwAuthenticate?: string; error?: string; dpopNonce?: string } | undefined;
    if (status === 401) headers['www-authenticate'] = auth?.wwwAuthenticate ?? 'Bearer realm="holdfast"';
    if (status === 401 && auth?.dpopNonce) headers['dpop-nonce'] = auth.dpopNonce;
    const extra: Record<string, unknown> = { detail: e.message };
    if (status === 401 && auth?.error) extra.error = auth.error;
    if (e.details && typeof e.details === 'object' && 'errors' in e.details) extra.errors = (e.details as { errors: unknown }).errors;
    return problem(status, e.code, titleFor(e.code), extra, headers);
  }
  if (isDatabaseUnavailable(e)) {
    // A restart or failover of PostgreSQL: retriable. The transaction did not commit (or the
    // client cannot know), so gateways re-send the batch; ingest dedupes by request id.
    log(`holdfast: database unavailable: ${errorLine(e)}`);
    return problem(503, 'db_unreachable', 'Service problem', { detail: 'The database is unavailable; retry shortly.' }, { 'retry-after': '2' });
  }
  if (isTransientConflict(e)) {
    // PostgreSQL chose this transaction as a deadlock victim or could not serialise it: nothing
    // committed and the same request can succeed now. Logged: a deadlock is a lock-order bug.
    log(`holdfast: transaction conflict, client told to retry: ${errorLine(e)}`);
    return problem(503, 'conflict_retry', 'Service busy', { detail: 'The request collided with concurrent work and was rolled back; retry it.' }, { 'retry-after': '1' });
  }
  log(`holdfast: unhandled error in request: ${(e as Error)?.stack ?? String(e)}`);
  return problem(500, 'internal', 'Internal error', { detail: 'The server could not complete the request. It has been logged.' });
}

function titleFor(code: HoldfastErrorCode): string {
  switch (code) {
    case 'unauthorized':
      return 'Authentication required';
    case 'forbidden':
      return 'Not allowed';
    case 'csrf_failed':
      return 'Cross-site request refused';
    case 'not_found':
      return 'Not found';
    case 'validation_failed':
      return 'The request is not valid';
    case 'bad_request':
      return 'Bad request';
    case 'payload_too_large':
      return 'Request body too large';
    case 'unsupported_media_type':
      return 'Unsupported media type';
    case 'rate_limited':
      return 'Too many requests';
    case 'conflict':
      return 'Conflict';
    default:
      return 'Service problem';
  }
}

// PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention: admin
// shutdown, crash shutdown, cannot connect now), socket errors, Prisma's connection codes.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', 'P1001', 'P1002', 'P1017', 'P2024']);
const UNAVAILABLE_TEXT = /Connection terminated|terminating connection due to administrator command|the database system is (shutting down|starting up)|connect ECONNREFUSED|Client has encountered a connection error|timeout exceeded when trying to connect|Connection ended unexpectedly|DatabaseNotReachable|ConnectionClosed|Can't reach database server/i;

/** Deadlock victim (40P01) or serialization failure (40001): rolled back, safe to retry. */
export function isTransientConflict(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 5) return false;
  const o = e as { code?: unknown; originalCode?: unknown; cause?: unknown; meta?: unknown };
  for (const c of [o.code, o.originalCode]) if (c === '40P01' || c === '40001') return true;
  return isTransientConflict(o.cause, depth + 1) || isTransientConflict(o.meta, depth + 1);
}

/** Whether an error (or one it wraps) says the database cannot be reached right now. */
export function isDatabaseUnavailable(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 5) return false;
  const o = e as { code?: unknown; message?: unknown; cause?: unknown; kind?: unknown; originalCode?: unknown; meta?: unknown };
  for (const c of [o.code, o.originalCode]) {
    if (typeof c === 'string' && (UNAVAILABLE_CODES.has(c) || c.startsWith('08'))) return true;
  }
  if (typeof o.kind === 'string' && /DatabaseNotReachable|ConnectionClosed|SocketTimeout|TooManyConnections/.test(o.kind)) return true;
  if (typeof o.message === 'string' && UNAVAILABLE_TEXT.test(o.message)) return true;
  return isDatabaseUnavailable(o.cause, depth + 1) || isDatabaseUnavailable(o.meta, depth + 1);
}

