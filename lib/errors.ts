// One error class with stable codes. Callers switch on `code`; the HTTP edge maps codes to
// statuses and problem bodies in one place (lib/http/problem.ts), the CLI to exit codes.

export type HoldfastErrorCode =
  | 'config_invalid'
  | 'db_unreachable'
  | 'data_dir_locked'
  | 'data_dir_unwritable'
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'csrf_failed'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'invalid_credentials'
  | 'conflict_retry'
  | 'upstream_failed'
  | 'internal';

export class HoldfastError extends Error {
  readonly code: HoldfastErrorCode;
  readonly details?: unknown;

  constructor(code: HoldfastErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'HoldfastError';
    this.code = code;
    this.details = details;
  }
}

export function isHoldfastError(e: unknown): e is HoldfastError {
  return e instanceof HoldfastError || (e instanceof Error && e.name === 'HoldfastError' && 'code' in e);
}

/**
 * One line for a log about an error: its message, else its code or name (driver errors for a
 * dropped connection can carry an empty message), never a stack.
 */
export function errorLine(e: unknown, max = 200): string {
  const o = (e ?? {}) as { message?: unknown; code?: unknown; name?: unknown; cause?: unknown };
  const first = (v: unknown) => (typeof v === 'string' ? v.split('\n')[0]!.trim() : '');
  const line = first(o.message) || (o.cause && o.cause !== e ? errorLine(o.cause, max) : '') || first(o.code) || first(o.name) || String(e);
  return line.slice(0, max);
}
