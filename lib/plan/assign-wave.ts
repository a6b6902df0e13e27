// Which wave an identity belongs to. Each rule is a small named function with its why; the order
// of assignWave is the order an operator would ask the questions in.
import type { BrokenBy, ExceptionRequest, PlanIdentityInput, PlanRequirement, WaveNumber, WaveReason } from './types.ts';

/**
 * Requests that meet the policy: not refused by it, not refused or invalid anyway, not unknown (no
 * token seen) and not another hop's line of an attack (a spoofed path's edge line is the attacker's).
 */
export function compliantRequests(r: PlanIdentityInput['requests']): number {
  return Math.max(r.total - r.wouldBeRefused - r.alreadyRefused - r.alreadyInvalid - (r.unknown ?? 0) - (r.sameAttackOtherHops ?? 0), 0);
}

/**
 * Every accepted request of the identity that is not an attack, already refused or already invalid
 * showed no known token: nothing says it would pass the policy (the simulation's `unknown`).
 */
export function onlyUnknown(r: PlanIdentityInput['requests']): boolean {
  return (r.unknown ?? 0) > 0 && compliantRequests(r) <= 0;
}

/**
 * Nothing legitimate would be refused: enforcing today only stops attacks for this identity. Not an
 * identity whose traffic cannot be judged (onlyUnknown): that nothing was seen breaking is no proof.
 */
export function isCompliant(i: PlanIdentityInput): boolean {
  return i.requests.legitimateBroken === 0 && !onlyUnknown(i.requests);
}

/**
 * Requests the authorization server alone can fix: bearer tokens from a client that already
 * presented the key material the policy accepts (the AS only has to bind the tokens it issues to
 * it), and tokens over the TTL limit (an AS setting). Everything else needs the client changed.
 */
export function fixableAtAuthorizationServer(b: BrokenBy, require: PlanRequirement): number {
  const withKey = require === 'mtls' ? b.bearerWithCertificate : require === 'dpop' ? b.bearerWithDpopKey : b.bearerWithCertificate + b.bearerWithDpopKey;
  return withKey + b.ttlOverLimit;
}

/** Only the authorization server has to change: every broken request is one it can fix. */
export function needsAuthorizationServerOnly(i: PlanIdentityInput, require: PlanRequirement): boolean {
  return i.requests.legitimateBroken > 0 && fixableAtAuthorizationServer(i.brokenBy, require) >= i.requests.legitimateBroken;
}

/** An exception the operator declared for this identity (exact name or `*` glob). */
export function declaredException(name: string, exceptions: readonly ExceptionRequest[]): ExceptionRequest | null {
  return exceptions.find((e) => globMatch(e.identity, name)) ?? null;
}

/** `*` matches any run of characters; everything else literally. */
export function globMatch(glob: string, name: string): boolean {
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

/**
 * The wave and why. A declared exception wins (the operator knows the client cannot change);
 * a client whose owner has departed and that needs a change is an exception too, because nobody
 * is there to make the change: it needs an owner first, and compensating controls until then.
 */
export function assignWave(i: PlanIdentityInput, require: PlanRequirement, exceptions: readonly ExceptionRequest[] = []): { wave: WaveNumber; reason: WaveReason } {
  if (declaredException(i.name, exceptions)) return { wave: 3, reason: 'declared_exception' };
  if (isCompliant(i)) return { wave: 0, reason: 'no_legitimate_request_refused' };
  // Nothing known about its tokens: planned with the clients that need key material until its logs say more.
  if (i.requests.legitimateBroken === 0) return { wave: 2, reason: 'traffic_unknown' };
  if (i.ownerStatus === 'departed') return { wave: 3, reason: 'owner_departed' };
  if (needsAuthorizationServerOnly(i, require)) {
    const onlyTtl = i.brokenBy.ttlOverLimit >= i.requests.legitimateBroken;
    return { wave: 1, reason: onlyTtl ? 'ttl_only' : 'already_presents_key' };
  }
  return { wave: 2, reason: 'needs_key_material' };
}

export const WAVE_REASON_WORDS: Record<WaveReason, string> = {
  no_legitimate_request_refused: 'no legitimate request would be refused',
  already_presents_key: 'already presents a certificate or DPoP key but holds unbound tokens: the authorization server binds them',
  ttl_only: 'only its token lifetime is over the limit: an authorization server setting',
  needs_key_material: 'needs new key material (certificate or DPoP key) on the client',
  traffic_unknown: "cannot be judged: its requests show no token Holdfast knows (the log shows none, e.g. Caddy's redacted Authorization); log the token's SHA-256 to tell whether it is compliant",
  declared_exception: 'declared an exception: the client cannot be changed',
  owner_departed: 'its owner has departed: nobody can change the client until a new owner is named',
};
