// mTLS or DPoP for an unbound token. mTLS (RFC 8705) fits where you control both TLS ends
// (service mesh, private partner link): certificates exist or are cheap to issue and nothing
// in between terminates TLS. DPoP (RFC 9449) fits diverse, ephemeral or externally
// distributed clients (agents, CI runners, partners on the internet, browser/mobile/CLI):
// only a key pair in the client, and the proof survives proxies that terminate TLS.
// AI agents get DPoP even inside a mesh: they are short-lived and per-instance keys matter.
import type { IdentityFacts, TokenFacts } from './snapshot.ts';
import { BINDING_METHOD_WORDS, RECOMMENDATION_WORDS, type RecommendationReason } from './words.ts';

export type { RecommendationReason } from './words.ts';

export interface BindingAdvice {
  method: 'mtls' | 'dpop';
  reason: RecommendationReason;
  /** e.g. "DPoP (RFC 9449)". */
  methodLabel: string;
  /** The reason in words. */
  why: string;
}

export interface BindingRecommendation extends BindingAdvice {
  tokenId: string;
  identityId: string;
}

function advice(method: 'mtls' | 'dpop', reason: RecommendationReason): BindingAdvice {
  return { method, reason, methodLabel: BINDING_METHOD_WORDS[method], why: RECOMMENDATION_WORDS[reason] };
}

/** Which binding suits an identity, from its kind and transport path. */
export function recommendBinding(identity: Pick<IdentityFacts, 'kind' | 'transport' | 'spiffeId'> | undefined): BindingAdvice {
  if (!identity) return advice('dpop', 'unknown_transport');
  if (identity.kind === 'agent') return advice('dpop', 'ai_agent');
  switch (identity.transport) {
    case 'mesh':
      return advice('mtls', 'service_mesh');
    case 'private_link':
      return advice('mtls', 'private_link');
    case 'public':
      if (identity.kind === 'partner') return advice('dpop', 'public_partner');
      if (identity.kind === 'pipeline') return advice('dpop', 'ephemeral_pipeline');
      return advice('dpop', 'public_client');
    case 'unknown':
      if (identity.spiffeId) return advice('mtls', 'spiffe_identity');
      if (identity.kind === 'pipeline') return advice('dpop', 'ephemeral_pipeline');
      return advice('dpop', 'unknown_transport');
  }
}

/** Recommendation for one token; null when it is already sender-constrained. */
export function recommend(token: Pick<TokenFacts, 'id' | 'identityId' | 'binding'>, identity: IdentityFacts | undefined): BindingRecommendation | null {
  if (token.binding !== 'bearer') return null;
  return { tokenId: token.id, identityId: token.identityId, ...recommendBinding(identity) };
}
