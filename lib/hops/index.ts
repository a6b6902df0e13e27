// Hop chains: one request seen at several hops, joined by its propagated request id. Pure, like
// lib/binding (which it uses for each hop's own verdict): no Next.js, Prisma or environment.
export { correlateHops, DEFAULT_CORRELATION_WINDOW_MS, propagatedId } from './correlate-hops.ts';
export { decideChain } from './decide-chain.ts';
export { backendView, hopVerdict } from './hop-verdict.ts';
export { DEFAULT_ORDER_TOLERANCE_MS, inferRole, orderHops } from './order-hops.ts';
export { commonName, dnKey, namesCertificate, normalizeSerial, sameCertificate, type CertMatch } from './same-certificate.ts';
export {
  ANY_PEER_WORDS, BROAD_TRUSTED_ADDRESSES, broadTrustedProxyWarnings, canonicalAddress, forwardedPeer, MAX_TRUSTED_PROXIES, parseAddress, parseCidr, parseTrustedProxies, peerTrusted, storedTrustedProxies, UNTRUSTED_PEER_REASON, UNTRUSTED_PEER_WORDS,
  type Cidr, type ForwardedPeer,
} from './trusted-proxies.ts';
export { CHAIN_REASON_WORDS, CHAIN_VERDICT_WORDS, explainChain } from './words.ts';
export type { CertComparison, ChainDecision, ChainReason, HopObservation, HopRef, HopRole, PlacedHop } from './types.ts';
export { HOP_ROLES } from './types.ts';
