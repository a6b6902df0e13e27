// The binding engine's one error class. Parsers throw only this; callers switch on `code`
// (the CLI maps every code to exit 2 "bad input", the HTTP edge to 422).

export type BindingErrorCode =
  | 'base64url_invalid'
  | 'base64url_noncanonical'
  | 'json_invalid'
  | 'jwk_invalid'
  | 'jwk_unsupported_kty'
  | 'certificate_invalid'
  | 'fingerprint_invalid'
  | 'fingerprint_not_comparable'
  | 'jwt_malformed'
  | 'introspection_invalid'
  | 'inventory_invalid'
  | 'input_invalid';

export class BindingError extends Error {
  readonly code: BindingErrorCode;

  constructor(code: BindingErrorCode, message: string) {
    // Thrown for every bad input line on the ingest hot path and always caught by a caller that
    // reports `code` and `message`; a stack trace is never shown, and capturing one cost about a
    // tenth of parse + classify time on a log full of malformed proofs.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'BindingError';
    this.code = code;
  }
}

export function isBindingError(e: unknown): e is BindingError {
  return e instanceof BindingError;
}
