// What makes a token privileged, as data: the reasons are shown to the analyst and feed the
// blast radius. Token.privileged in the database is a cache of `classifyPrivilege(...).privileged`
// under the current policy, refreshed when the policy changes.
import type { Policy } from './policy.ts';
import { firstMatch } from './glob.ts';
import type { IdentityFacts, TokenFacts } from './snapshot.ts';

export type PrivilegeReason = 'privileged_scope' | 'partner_audience' | 'cross_tenant_audience' | 'cicd_audience' | 'admin_audience' | 'ai_agent';

export const PRIVILEGE_REASONS: readonly PrivilegeReason[] = [
  'privileged_scope',
  'partner_audience',
  'cross_tenant_audience',
  'cicd_audience',
  'admin_audience',
  'ai_agent',
];

export interface PrivilegeClass {
  privileged: boolean;
  reasons: PrivilegeReason[];
  /** Scopes that matched a privileged pattern. */
  privilegedScopes: string[];
  /** Audiences that matched, with the reason they matched. */
  matchedAudiences: { audience: string; reason: PrivilegeReason }[];
}

/** Classifies one token under the policy; `audiencesSeen` adds audiences observed in events. */
export function classifyPrivilege(
  token: Pick<TokenFacts, 'scopes' | 'audience'>,
  identity: Pick<IdentityFacts, 'kind'> | undefined,
  policy: Policy,
  audiencesSeen: readonly string[] = [],
): PrivilegeClass {
  const p = policy.privileged;
  const reasons = new Set<PrivilegeReason>();
  const privilegedScopes = token.scopes.filter((s) => firstMatch(p.scopePatterns, s) !== null);
  if (privilegedScopes.length > 0) reasons.add('privileged_scope');
  const matchedAudiences: PrivilegeClass['matchedAudiences'] = [];
  const audiences = [...new Set([...token.audience, ...audiencesSeen])];
  const byReason: [PrivilegeReason, readonly string[]][] = [
    ['partner_audience', p.audiences.partner],
    ['cross_tenant_audience', p.audiences.crossTenant],
    ['cicd_audience', p.audiences.cicd],
    ['admin_audience', p.audiences.admin],
  ];
  for (const aud of audiences) {
    for (const [reason, pats] of byReason) {
      if (firstMatch(pats, aud) !== null) {
        reasons.add(reason);
        matchedAudiences.push({ audience: aud, reason });
      }
    }
  }
  if (p.agentsAlwaysHighRisk && identity?.kind === 'agent') reasons.add('ai_agent');
  const ordered = PRIVILEGE_REASONS.filter((r) => reasons.has(r));
  return { privileged: ordered.length > 0, reasons: ordered, privilegedScopes, matchedAudiences };
}
