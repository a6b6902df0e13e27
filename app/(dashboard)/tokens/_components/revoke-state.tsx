// A token's state as Holdfast may claim it: "revoked" only once its issuer confirmed; until
// then "revocation pending", "revocation in progress" or "revocation failed", linked to the revocation and its legs.
// Server-renderable (no hooks): the token page, the identity page and the tokens list use it.
import Link from 'next/link';
import type { TokenRevocationState } from '@/lib/revocation/token-revocation-state.ts';

const CLASS: Record<string, string> = { revoked: 'low', 'revocation pending': 'medium', 'revocation in progress': 'medium', 'revocation failed': 'high' };

/** The state badge; with a revocation, a link to it (its legs, attempts and last error). */
export function TokenStateBadge({ state, revocationId, revocationState }: { state: string; revocationId?: string | null; revocationState?: TokenRevocationState | null }) {
  const badge = (
    <span className={`badge ${CLASS[state] ?? 'info'}`} data-testid="token-state" data-state={state} data-revocation-state={revocationState ?? ''}>
      {state}
    </span>
  );
  if (!revocationId) return badge;
  return (
    <Link href={`/revocations/${revocationId}`} data-testid="token-revocation-link" title="The revocation and its legs">
      {badge}
    </Link>
  );
}
