// One group of requests (same verdict, reason, token binding and lifetime) against a policy, in the
// categories of CONTRACT.md "Simulation". The service does not call this per row: it enumerates
// every input this function can see (classificationTable) and joins that table in SQL, so the
// database aggregates and this file stays the one statement of the rules.
import type { Verdict } from '../domain/types.ts';
import type { BrokenReason, Requirement, SimulationCategory, TokenBinding } from './types.ts';

/** Verdicts Holdfast gives only to requests the gateway refused (accepted ones are bound_not_enforced). */
export const REFUSED_VERDICTS: readonly Verdict[] = ['binding_mismatch', 'proof_invalid', 'no_proof_for_bound_token'];
/** Requests that were wrong anyway: an expired token, a certificate that failed. */
export const INVALID_VERDICTS: readonly Verdict[] = ['cert_untrusted', 'cert_revoked', 'cert_expired', 'token_expired', 'cert_revoked_unchecked'];
/** bound_not_enforced reasons that are the client's own proof missing; any other reason is someone else's key. */
export const MISSING_PROOF_REASONS: readonly string[] = ['no_proof', 'no_certificate'];

export interface UsageFacts {
  verdict: Verdict;
  /** Whether the verdict's reason says the client's own proof was missing (MISSING_PROOF_REASONS). */
  missingProof: boolean;
  /** The token's binding as the inventory knows it; `unknown` without a known token (then `unknown` unless the verdict says more). */
  binding: TokenBinding;
  /** The token lives longer than the policy's maximum TTL. */
  ttlOverLimit: boolean;
  /** The gateway answered with a status outside 2xx. */
  refusedByGateway: boolean;
}

export interface Classification {
  category: SimulationCategory;
  brokenBy: BrokenReason | null;
}

/**
 * Category of requests under a policy requiring `require`. Attacks first (a credential other than
 * the bound one is refused whatever the policy), then what legitimate clients lose, most
 * fundamental reason first (an unbound token before its lifetime).
 */
export function classifyUsage(f: UsageFacts, require: Requirement): Classification {
  const is = (category: SimulationCategory, brokenBy: BrokenReason | null = null): Classification => ({ category, brokenBy });
  if (f.refusedByGateway || REFUSED_VERDICTS.includes(f.verdict)) return is('alreadyRefused');
  if (INVALID_VERDICTS.includes(f.verdict)) return is('alreadyInvalid');
  if (f.verdict === 'spoofed_client_cert') return is('attacksStopped');
  if (f.verdict === 'bound_not_enforced') return f.missingProof ? is('legitimateBroken', 'bound_without_proof') : is('attacksStopped');
  if (f.verdict === 'binding_context_stripped') return is('legitimateBroken', 'context_stripped');
  if (f.verdict === 'bearer_unbound' || f.binding === 'bearer') return is('legitimateBroken', 'bearer');
  if ((require === 'mtls' && f.binding === 'dpop') || (require === 'dpop' && f.binding === 'mtls')) return is('legitimateBroken', 'wrong_mechanism');
  // No token Holdfast knows (the log shows none, or one the inventory cannot bind): whether the
  // policy would refuse the request cannot be told, so it is not counted as unaffected.
  if (f.binding === 'unknown') return is('unknown');
  if (f.ttlOverLimit) return is('legitimateBroken', 'ttl_over_limit');
  return is('unaffected');
}

/**
 * Where one hop's line of a spoofed path (chain verdict spoofed_client_cert: a forged certificate
 * header reached a backend) counts, given the category its own verdict puts it in. The path is one
 * attacker's request: its attack counts once, on the line `countsTheAttack` (lib/services/simulation
 * spoofed-paths.ts picks it); every other line of it is the same attack seen at another hop, never a
 * legitimate client breaking, unaffected or a second attack. A line the gateway refused, or whose
 * token or certificate was invalid anyway, stays what it was.
 */
export function spoofedPathCategory(own: SimulationCategory, countsTheAttack: boolean): SimulationCategory {
  if (own === 'alreadyRefused' || own === 'alreadyInvalid') return own;
  return countsTheAttack ? 'attacksStopped' : 'sameAttackOtherHops';
}

/** Why `unknown` requests are not counted unaffected: said once per answer (API warnings, CLI stderr, the page). */
export function unknownWords(unknown: number, total: number): string {
  return (
    `${unknown} of ${total} requests cannot be judged: the log shows no token Holdfast knows on them (Caddy redacts the Authorization header unless log_credentials is on; ` +
    'some formats log no token at all), so whether the policy would refuse them is unknown — they are counted in requests.unknown, not unaffected. ' +
    "Log the token's SHA-256 (or the token, hashed on read) at a hop that sees it."
  );
}

export interface ClassificationRow {
  verdict: Verdict;
  missingProof: boolean;
  binding: TokenBinding;
  ttlOverLimit: boolean;
  category: SimulationCategory;
  brokenBy: BrokenReason | null;
}

/** classifyUsage over every accepted input (refused requests are always alreadyRefused). */
export function classificationTable(require: Requirement, verdicts: readonly Verdict[]): ClassificationRow[] {
  const rows: ClassificationRow[] = [];
  for (const verdict of verdicts) {
    for (const missingProof of [false, true]) {
      for (const binding of ['bearer', 'mtls', 'dpop', 'unknown'] as const) {
        for (const ttlOverLimit of [false, true]) {
          rows.push({ verdict, missingProof, binding, ttlOverLimit, ...classifyUsage({ verdict, missingProof, binding, ttlOverLimit, refusedByGateway: false }, require) });
        }
      }
    }
  }
  return rows;
}
