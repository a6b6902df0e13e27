// Which HTTP statuses are the gateway refusing the credential, whatever Holdfast's verdict.

/**
 * Statuses with which a gateway refuses a credential whatever the verdict: 401 and 403, and
 * NGINX's 495–497 certificate errors. Anything else means the request got past the gateway — a
 * 404 or a 502 from the upstream is still an accepted credential, which is the conservative
 * reading for a revocation receipt.
 */
export const REFUSAL_STATUSES = [401, 403, 495, 496, 497] as const;

/** The gateway refused the request's credential (one of REFUSAL_STATUSES); false when no status was logged. */
export function isRefusalStatus(httpStatus: number | null | undefined): boolean {
  return httpStatus != null && (REFUSAL_STATUSES as readonly number[]).includes(httpStatus);
}
