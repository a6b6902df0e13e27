// What makes a token privileged, as data: the reasons are shown to the analyst and feed the
// blast radius. Token.privileged in the database is a cache of `classifyPrivilege(...).privileged`
// under the current policy, refreshed when the policy changes.
import type { Policy } from './policy.ts';
import { compileGlobs } from './glob.ts';
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

export type PrivilegeClassifier = (
  token: Pick<TokenFacts, 'scopes' | 'audience'>,
  identity: Pick<IdentityFacts, 'kind'> | undefined,
  audiencesSeen?: readonly string[],
) => PrivilegeClass;

/** Compiles the policy's patterns once; the returned classifier is cheap per token. */
export function createPrivilegeClassifier(policy: Policy): PrivilegeClassifier {
  const p = policy.privileged;
  const scope = compileGlobs(p.scopePatterns);
  const byReason: [PrivilegeReason, (v: string) => boolean][] = [
    ['partner_audience', compileGlobs(p.audiences.partner)],
    ['cross_tenant_audience', compileGlobs(p.audiences.crossTenant)],
    ['cicd_audience', compileGlobs(p.audiences.cicd)],
    ['admin_audience', compileGlobs(p.audiences.admin)],
  ];
  const none: PrivilegeClass = { privileged: false, reasons: [], privilegedScopes: [], matchedAudiences: [] };
  return (token, identity, audiencesSeen = []) => {
    // Bit i set = PRIVILEGE_REASONS[i]; avoids a Set per token (this runs for every token).
    let bits = 0;
    const privilegedScopes = token.scopes.filter(scope);
    if (privilegedScopes.length > 0) bits |= 1;
    let matchedAudiences: PrivilegeClass['matchedAudiences'] | null = null;
    const audiences = audiencesSeen.length === 0 ? token.audience : [...new Set([...token.audience, ...audiencesSeen])];
    for (const aud of audiences) {
      for (let r = 0; r < byReason.length; r++) {
        const entry = byReason[r];
        if (entry && entry[1](aud)) {
          bits |= 1 << (r + 1);
          (matchedAudiences ??= []).push({ audience: aud, reason: entry[0] });
        }
      }
    }
    if (p.agentsAlwaysHighRisk && identity?.kind === 'agent') bits |= 1 << 5;
    if (bits === 0) return none;
    const reasons = PRIVILEGE_REASONS.filter((_, i) => (bits & (1 << i)) !== 0);
    return { privileged: true, reasons, privilegedScopes, matchedAudiences: matchedAudiences ?? [] };
  };
}

const classifiers = new WeakMap<Policy, PrivilegeClassifier>();

/** Classifies one token under the policy; `audiencesSeen` adds audiences observed in events. */
export function classifyPrivilege(
  token: Pick<TokenFacts, 'scopes' | 'audience'>,
  identity: Pick<IdentityFacts, 'kind'> | undefined,
  policy: Policy,
  audiencesSeen: readonly string[] = [],
): PrivilegeClass {
  let classify = classifiers.get(policy);
  if (!classify) {
    classify = createPrivilegeClassifier(policy);
    classifiers.set(policy, classify);
  }
  return classify(token, identity, audiencesSeen);
}
