// A policy's scope in words, one phrase per selector, for the Simulate page, rollout plans (page,
// default name, exports, gateway configuration header) and anything else that states a scope.
import type { PolicyScope } from './types.ts';

export type ScopeSelector = 'source' | 'gateway' | 'routePrefix' | 'kind' | 'nameGlob' | 'privileged' | 'audience';

/** The scope's selectors in a fixed order, each with its phrase ("source edge", "privileged tokens"). */
export function describeScope(scope: PolicyScope | null | undefined): { selector: ScopeSelector; words: string }[] {
  const s = scope ?? {};
  const id = s.identity ?? {};
  const out: { selector: ScopeSelector; words: string }[] = [];
  if (s.source) out.push({ selector: 'source', words: `source ${s.source}` });
  if (s.gateway) out.push({ selector: 'gateway', words: `gateway ${s.gateway}` });
  if (s.routePrefix) out.push({ selector: 'routePrefix', words: `route ${s.routePrefix}` });
  if (id.kind) out.push({ selector: 'kind', words: `${id.kind} identities` });
  if (id.nameGlob) out.push({ selector: 'nameGlob', words: `identities ${id.nameGlob}` });
  if (id.privileged != null) out.push({ selector: 'privileged', words: id.privileged ? 'privileged tokens' : 'unprivileged tokens' });
  if (s.audience) out.push({ selector: 'audience', words: `audience ${s.audience}` });
  return out;
}

/** The scope as one phrase: "source edge, route api.test/v1", or "everywhere". */
export function scopeWords(scope: PolicyScope | null | undefined): string {
  return describeScope(scope).map((p) => p.words).join(', ') || 'everywhere';
}
