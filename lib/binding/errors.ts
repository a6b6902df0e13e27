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
    super(message);
    this.name = 'BindingError';
    this.code = code;
  }
}

export function isBindingError(e: unknown): e is BindingError {
  return e instanceof BindingError;
}
