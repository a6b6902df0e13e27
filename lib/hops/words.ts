// Plain-language words for chain verdicts and reasons. VERDICT_WORDS (lib/binding/words.ts)
// must carry the two verdicts below too; until it does, CHAIN_VERDICT_WORDS is their source.
import type { Verdict } from '../domain/types.ts';
import type { ChainDecision, ChainReason } from './types.ts';

export const CHAIN_VERDICT_WORDS: Record<Extract<Verdict, 'spoofed_client_cert' | 'cert_revoked_unchecked'>, string> = {
  spoofed_client_cert:
    'The certificate the backend received from its proxy is not the one the client presented at the edge (or the client presented none): a hop passed a client-supplied certificate header through, so anyone can claim any certificate, and certificate-bound tokens are as good as bearer tokens there.',
  cert_revoked_unchecked:
    "The gateway accepted a client certificate that its CA's revocation list names: the gateway checks no revocation list, so revoking the certificate did not stop it.",
};

export const CHAIN_REASON_WORDS: Record<ChainReason, string> = {
  forwarded_intact: 'Every later hop received the certificate the client presented at the edge; the backend\'s own verdict stands for the request, unless a hop judged the certificate itself worse (untrusted, expired or revoked).',
  no_client_certificate: 'The client presented no certificate at the edge and no hop forwarded one; the backend\'s own verdict stands for the request.',
  certificate_stripped: 'The edge saw the client\'s certificate, but a later hop received none: a hop in between did not forward it, so the binding cannot be checked where the token is used.',
  certificate_replaced: 'A later hop received a different certificate from the one the client presented at the edge: the forwarded certificate header was supplied by the client and passed through.',
  certificate_injected: 'The client presented no certificate at the edge, yet a later hop received one: the client sent the certificate header itself and a hop passed it through.',
  not_comparable: 'The hops logged no certificate fact in common (thumbprint, SHA-1 or serial with subject), so whether the certificate arrived intact is unknown; the backend\'s own verdict stands, unless a hop judged the certificate itself worse. Log the certificate at the edge and the forwarded header at the backend.',
  ambiguous_hops: 'The same log shows this request id twice in the same moment, so its lines cannot be placed on one path.',
  single_hop: 'Only one hop logged this request.',
};

/** One sentence for a chain decision, naming the hops involved. */
export function explainChain(d: ChainDecision): string {
  const words = CHAIN_REASON_WORDS[d.reason];
  if (!d.leakingHop || !d.observedAt) return words;
  return `${words} Lost or replaced between ${d.leakingHop.source} (${d.leakingHop.role}) and ${d.observedAt.source} (${d.observedAt.role}).`;
}
