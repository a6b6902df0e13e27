// Why a CA certificate or CRL was refused, as data (callers and tests switch on `why`), carried by
// the one error class the HTTP edge and the CLI already map: 422 validation_failed / exit 2.
import { HoldfastError } from '../errors.ts';

export type TrustInputProblem =
  | 'empty'
  | 'not_der_or_pem'
  | 'wrong_pem_label'
  | 'several_objects'
  | 'private_key'
  | 'not_a_certificate'
  | 'not_a_ca'
  | 'not_a_crl'
  | 'delta_crl'
  | 'indirect_crl'
  | 'unknown_critical_extension'
  | 'crl_issuer_mismatch'
  | 'ca_cannot_sign_crls'
  | 'crl_signature'
  | 'unsupported_signature';

export class TrustInputError extends HoldfastError {
  readonly why: TrustInputProblem;

  /** `field`: the request body member at fault (`ca`, `crl`), named in the 422 problem's errors. */
  constructor(why: TrustInputProblem, message: string, field?: string) {
    super('validation_failed', message, field ? { why, errors: [{ path: field, message }] } : { why });
    this.why = why;
  }

  /** The same refusal, attributed to a request body member. */
  forField(field: string): TrustInputError {
    return new TrustInputError(this.why, this.message, field);
  }
}
