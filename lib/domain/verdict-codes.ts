// Verdicts as the small integers the evidence store keeps (lib/services/evidence). The numbers are
// stored in every request, usage and notable row: they are forever. Add new verdicts at the end,
// never renumber or reuse one.
import { VERDICTS, type Verdict } from './types.ts';

export const VERDICT_CODES: Readonly<Record<string, number>> = Object.freeze({
  ok: 0,
  binding_mismatch: 1,
  proof_invalid: 2,
  no_proof_for_bound_token: 3,
  bearer_unbound: 4,
  bound_not_enforced: 5,
  binding_context_stripped: 6,
  cert_untrusted: 7,
  cert_revoked: 8,
  cert_expired: 9,
  token_expired: 10,
  spoofed_client_cert: 11,
  cert_revoked_unchecked: 12,
});

const BY_CODE = new Map(Object.entries(VERDICT_CODES).map(([v, c]) => [c, v]));

/** The stored code of a verdict; throws for a verdict without one (a programming error, caught by tests). */
export function verdictCode(v: Verdict | string): number {
  const c = VERDICT_CODES[v];
  if (c === undefined) throw new Error(`verdict ${v} has no stored code (lib/domain/verdict-codes.ts)`);
  return c;
}

/** The verdict a stored code stands for. */
export function verdictOfCode(code: number): Verdict {
  const v = BY_CODE.get(code);
  if (v === undefined) throw new Error(`no verdict has the stored code ${code}`);
  return v as Verdict;
}

/** `CASE "col" WHEN 0 THEN 'ok' … END`: a stored code as its verdict name, inside SQL. */
export function verdictNameSql(col: string): string {
  return `(CASE ${col} ${Object.entries(VERDICT_CODES).map(([v, c]) => `WHEN ${c} THEN '${v}'`).join(' ')} END)`;
}

/** `(c1, c2, …)` for an IN list of verdicts, inside SQL. */
export function verdictCodeListSql(verdicts: readonly string[]): string {
  return `(${verdicts.map((v) => verdictCode(v)).join(', ')})`;
}

/** Every verdict of the vocabulary has a code (checked by the tests; new verdicts must add one). */
export function verdictsWithoutCode(): string[] {
  return VERDICTS.filter((v) => VERDICT_CODES[v] === undefined);
}
