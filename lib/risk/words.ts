// Every word the risk engine shows a person: finding titles, explanations, recommendations,
// privilege reasons, binding recommendations and risk-score labels. Rules pass facts (data);
// this file alone turns them into sentences, so wording is reviewed and translated in one place.
import type { FindingRule, Severity } from '../domain/types.ts';
import type { PrivilegeReason } from './privilege.ts';

export const PRIVILEGE_REASON_WORDS: Record<PrivilegeReason, string> = {
  privileged_scope: 'privileged scopes',
  partner_audience: 'a partner audience',
  cross_tenant_audience: 'a cross-tenant audience',
  cicd_audience: 'CI/CD access',
  admin_audience: 'admin API access',
  ai_agent: 'it belongs to an AI agent',
};

export type ReplaySignal = 'other_certificate' | 'other_dpop_key' | 'other_network_origin';

const REPLAY_SIGNAL_WORDS: Record<ReplaySignal, string> = {
  other_certificate: 'a different client certificate',
  other_dpop_key: 'a different DPoP key',
  other_network_origin: 'a different network origin',
};

/** Facts each rule hands to its words. */
export interface RuleFacts {
  unbound_high_risk: { identityName: string; reasons: PrivilegeReason[]; privilegedScopes: string[]; method: 'mtls' | 'dpop'; why: string };
  bound_not_enforced: { identityName: string; binding: 'mtls' | 'dpop'; gateways: string[]; events: number };
  binding_context_stripped: { gateway: string; route: string | null; events: number; tokens: number };
  replay_suspected: { identityName: string; signals: ReplaySignal[]; bound: boolean };
  replay_after_revocation: { identityName: string; events: number; accepted: number; revokedAt: string };
  ttl_over_policy: { identityName: string; lifetimeSeconds: number | null; limitSeconds: number; limitKind: 'agent' | 'service' | 'absolute' };
  exposed_active: { identityName: string; bound: boolean; scanners: string[]; locations: string[] };
  offboarding: { identityName: string; why: 'decommissioned' | 'owner_departed' | 'both'; owner: string | null; liveTokens: number; liveCertificates: number };
  credential_shared: { identityName: string; kind: 'x5t' | 'jkt'; otherIdentityNames: string[] };
  fan_out: { identityName: string; audiences: number; limit: number };
  cert_expiring: { identityName: string | null; subjectDn: string | null; expired: boolean; days: number; boundTokens: number };
  failure_spike: { subjectName: string; subjectKind: 'identity' | 'gateway'; last24h: number; baselineMean: number; baselineDays: number };
  leaking_hop: { hop: string; role: 'edge' | 'proxy' | 'backend'; next: string; routes: string[]; stripped: number; clientSupplied: number; clientSuppliedAccepted: number };
  forwarded_cert_from_untrusted_peer: {
    source: string; networks: string[]; requests: number; accepted: number; claimedIdentities: string[];
    /** Peers outside the trusted proxies now whose headers were believed before, and their lines. */
    believedEarlier: { peers: string[]; lines: number };
  };
}

export interface RuleWords<F> {
  title(f: F): string;
  explanation(f: F): string;
  recommendation(f: F): string;
}

function list(xs: readonly string[], max = 5): string {
  const shown = xs.slice(0, max);
  const more = xs.length > max ? ` and ${xs.length - max} more` : '';
  if (shown.length <= 1) return (shown[0] ?? '') + more;
  if (more) return shown.join(', ') + more;
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1] ?? ''}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "1 token is" / "2 tokens are". */
function pluralIs(n: number, one: string): string {
  return `${plural(n, one)} ${n === 1 ? 'is' : 'are'}`;
}

/** "1 request was" / "2 requests were". */
function pluralWas(n: number, one: string): string {
  return `${plural(n, one)} ${n === 1 ? 'was' : 'were'}`;
}

/** Human duration: "90 days", "26 hours", "45 minutes". */
export function duration(seconds: number): string {
  if (seconds % 86_400 === 0 || seconds >= 7 * 86_400) return plural(Math.round(seconds / 86_400), 'day');
  if (seconds >= 3600) return plural(Math.round(seconds / 3600), 'hour');
  if (seconds >= 60) return plural(Math.round(seconds / 60), 'minute');
  return plural(seconds, 'second');
}

export const BINDING_METHOD_WORDS = { mtls: 'mTLS (RFC 8705)', dpop: 'DPoP (RFC 9449)' } as const;

const BINDING_NAME = { mtls: 'mTLS certificate', dpop: 'DPoP key' } as const;

/**
 * The configuration the forwarded_cert_from_untrusted_peer recommendation gives, `<proxy>` the
 * proxy's address: the Client-Cert header believed only from it (tested on the real gateways,
 * lib/services/findings/untrusted-peer-fix-real.test.ts).
 */
export const UNTRUSTED_PEER_FIXES = {
  nginx: ['geo $realip_remote_addr $from_proxy { default 0; <proxy>/32 1; }', 'map $from_proxy $client_cert { 1 $http_client_cert; default ""; }'],
  apache: `RequestHeader unset Client-Cert "expr=%{CONN_REMOTE_ADDR} != '<proxy>'"`,
  haproxy: 'http-request del-header Client-Cert unless { src <proxy> }',
} as const;

export const FINDING_WORDS: { [R in FindingRule]: RuleWords<RuleFacts[R]> } = {
  unbound_high_risk: {
    title: (f) => `Unbound high-risk token of ${f.identityName}`,
    explanation: (f) =>
      `This is a bearer token: anyone who copies it can use it, from anywhere, until it expires. ` +
      `It is high risk because of ${list(f.reasons.map((r) => PRIVILEGE_REASON_WORDS[r]))}` +
      (f.privilegedScopes.length > 0 ? ` (scopes ${list(f.privilegedScopes)}).` : '.'),
    recommendation: (f) =>
      `Issue this identity's tokens sender-constrained with ${BINDING_METHOD_WORDS[f.method]}: ${f.why} Then revoke this bearer token.`,
  },
  bound_not_enforced: {
    title: (f) => `Gateway accepted ${f.identityName}'s bound token without proof`,
    explanation: (f) =>
      `The token is bound to a ${BINDING_NAME[f.binding]}, but ${list(f.gateways)} let it through ${plural(f.events, 'time')} ` +
      `without checking that key. There the token works like a bearer token: a thief can replay it.`,
    recommendation: (f) =>
      f.binding === 'mtls'
        ? `Make ${list(f.gateways)} compare the client certificate's x5t#S256 with the token's cnf (RFC 8705) and reject a mismatch with 401.`
        : `Make ${list(f.gateways)} verify the DPoP proof and its key thumbprint against cnf.jkt (RFC 9449) and reject bearer-scheme use of DPoP tokens.`,
  },
  binding_context_stripped: {
    title: (f) => `Binding context stripped at ${f.gateway}${f.route ?? ''}`,
    explanation: (f) =>
      `${plural(f.events, 'request')} carrying bound tokens (${plural(f.tokens, 'token')}) reached ${f.gateway}${f.route ?? ''} ` +
      `without the client certificate or DPoP proof. Usually a proxy terminates TLS or drops the DPoP header, ` +
      `so nothing behind it can check the binding.`,
    recommendation: () =>
      'Forward the client certificate from the TLS-terminating proxy in a header only it can set (and strip it from client requests), ' +
      'and pass the DPoP header through; then enforce binding at this route.',
  },
  replay_suspected: {
    title: (f) => `Possible replay of ${f.identityName}'s token`,
    explanation: (f) =>
      `The same token was presented with ${list(f.signals.map((s) => REPLAY_SIGNAL_WORDS[s]))} than it ` +
      `${f.bound ? 'is bound to' : 'was first seen with'}. Someone other than its owner may hold it.`,
    recommendation: () =>
      'Check the events listed as evidence; if the other client is not a known replica, revoke the token and rotate the client credentials.',
  },
  replay_after_revocation: {
    title: (f) => `Revoked token of ${f.identityName} used again`,
    explanation: (f) =>
      `The token was revoked at ${f.revokedAt}, yet it was presented ${plural(f.events, 'time')} since` +
      (f.accepted > 0
        ? `, and ${pluralWas(f.accepted, 'request')} accepted. Whoever still holds it is not its owner, or a gateway is not honouring the revocation.`
        : ' (all refused: the revocation held). Whoever still holds it is not its owner.'),
    recommendation: (f) =>
      (f.accepted > 0 ? 'Make the accepting gateways introspect or check revocation now; ' : '') +
      'treat the token as stolen: find where the requests came from, revoke the bound certificate too, and rotate the identity\'s credentials.',
  },
  ttl_over_policy: {
    title: (f) => (f.lifetimeSeconds === null ? `Token of ${f.identityName} never expires` : `Token of ${f.identityName} lives too long`),
    explanation: (f) =>
      (f.lifetimeSeconds === null ? 'The token has no expiry' : `The token lives ${duration(f.lifetimeSeconds)}`) +
      `; policy allows ${duration(f.limitSeconds)} for ${f.limitKind === 'absolute' ? 'any token' : `${f.limitKind} tokens`}. ` +
      'A long-lived token stays useful to a thief long after it leaks.',
    recommendation: (f) => `Issue tokens for this identity with a lifetime of at most ${duration(f.limitSeconds)} and refresh them instead.`,
  },
  exposed_active: {
    title: (f) => `Leaked token of ${f.identityName} is still active`,
    explanation: (f) =>
      `${list(f.scanners)} found this token${f.locations.length > 0 ? ` in ${list(f.locations, 3)}` : ''} and it has not expired or been revoked. ` +
      (f.bound
        ? 'It is sender-constrained, so the thief also needs the private key, but the same leak may have exposed it.'
        : 'It is a bearer token: anyone who read that location can use it now.'),
    recommendation: () => 'Revoke the token now (and its bound certificate if the key may have leaked too), then remove the secret from the source and its history.',
  },
  offboarding: {
    title: (f) =>
      f.why === 'owner_departed' ? `${f.identityName}'s owner has left; credentials still active` : `Decommissioned ${f.identityName} still holds active credentials`,
    explanation: (f) =>
      (f.why === 'owner_departed'
        ? `The owner${f.owner ? ` (${f.owner})` : ''} has left, so nobody answers for this identity`
        : `The identity is decommissioned${f.why === 'both' ? ' and its owner has left' : ''}`) +
      `, yet ${plural(f.liveTokens, 'token')} and ${plural(f.liveCertificates, 'certificate')} still work.`,
    recommendation: (f) =>
      f.why === 'owner_departed'
        ? 'Assign a new owner, or revoke the credentials and decommission the identity.'
        : 'Revoke every remaining token and certificate of this identity.',
  },
  credential_shared: {
    title: (f) => `${f.identityName} shares a ${f.kind === 'x5t' ? 'certificate' : 'DPoP key'} with other identities`,
    explanation: (f) =>
      `The same ${f.kind === 'x5t' ? 'client certificate' : 'DPoP key'} is also used by ${list(f.otherIdentityNames)}. ` +
      'Actions cannot be told apart, one leak compromises all of them, and revoking it breaks all of them.',
    recommendation: (f) => `Give each identity its own ${f.kind === 'x5t' ? 'certificate' : 'key pair'} and re-bind its tokens.`,
  },
  fan_out: {
    title: (f) => `Token of ${f.identityName} used across ${f.audiences} services`,
    explanation: (f) =>
      `One token was presented to ${f.audiences} distinct services (policy: at most ${f.limit}). ` +
      'A token that opens many doors turns one theft into access everywhere; delegation should be scoped to the task.',
    recommendation: () => 'Issue audience-restricted tokens per service (token exchange, RFC 8693) instead of one broad token.',
  },
  cert_expiring: {
    title: (f) =>
      f.expired
        ? `Expired certificate still has bound tokens${f.identityName ? ` (${f.identityName})` : ''}`
        : `Certificate expires in ${plural(f.days, 'day')}${f.identityName ? ` (${f.identityName})` : ''}`,
    explanation: (f) =>
      (f.expired
        ? `The certificate${f.subjectDn ? ` ${f.subjectDn}` : ''} expired ${f.days === 0 ? 'today' : `${plural(f.days, 'day')} ago`} but ${pluralIs(f.boundTokens, 'active token')} still bound to it. `
        : `The certificate${f.subjectDn ? ` ${f.subjectDn}` : ''} expires in ${plural(f.days, 'day')} and ${pluralIs(f.boundTokens, 'active token')} bound to it. `) +
      'A new certificate invalidates tokens bound to the old one (RFC 8705 §6.3), so renewal must be planned with the tokens.',
    recommendation: (f) =>
      f.expired
        ? 'Revoke the tokens bound to this certificate and issue new ones bound to a valid certificate; check gateways reject expired certificates.'
        : 'Renew the certificate and re-issue the bound tokens against the new one before it expires.',
  },
  failure_spike: {
    title: (f) => `Binding failures spiked for ${f.subjectKind === 'gateway' ? 'gateway ' : ''}${f.subjectName}`,
    explanation: (f) =>
      `${plural(f.last24h, 'binding failure')} in the last 24 hours, against an average of ${f.baselineMean.toFixed(1)} a day over the ${f.baselineDays} days before. ` +
      'A sudden rise means a misconfiguration (clock skew, proxy rewriting URLs, rotated certificates) or someone trying stolen tokens.',
    recommendation: () => 'Open the binding failures view grouped by reason for this subject; fix the configuration or revoke the tokens being tried.',
  },
  leaking_hop: {
    title: (f) =>
      f.clientSupplied > 0
        ? `${f.hop} passes client-supplied certificates on to ${f.next}`
        : `${f.hop} does not forward the client certificate to ${f.next}`,
    explanation: (f) =>
      (f.clientSupplied > 0
        ? `${f.hop} (${f.role}) sent ${f.next} a certificate header the client wrote itself on ${plural(f.clientSupplied, 'request')}` +
          (f.clientSuppliedAccepted > 0 ? `, and ${pluralWas(f.clientSuppliedAccepted, 'request')} accepted` : '') +
          ': anyone can claim any certificate there, so certificate-bound tokens are as good as bearer tokens (Envoy #6038, Keycloak CVE-2024-10039). '
        : '') +
      (f.stripped > 0
        ? `On ${plural(f.stripped, 'request')} the client presented a certificate to ${f.hop}, but ${f.next} received none: the binding cannot be checked where the token is used. `
        : '') +
      `Routes: ${list(f.routes)}.`,
    recommendation: (f) =>
      `At ${f.hop}, set the certificate header (RFC 9440 Client-Cert) from the TLS session on every route it proxies, and remove any copy the client sent ` +
      `(NGINX proxy_set_header, HAProxy del-header then set-header, Caddy request_header); send X-Request-ID on, so the next hop's line joins this one. ` +
      `Then make ${f.next} trust that header only from ${f.hop}.`,
  },
  forwarded_cert_from_untrusted_peer: {
    title: (f) => `${f.source} accepts client-certificate headers from peers that are not its proxy`,
    explanation: (f) =>
      (f.requests > 0
        ? `${f.source} read a forwarded client certificate (Client-Cert or similar header) on ${plural(f.requests, 'request')} whose TCP peer is not one of its trusted proxies` +
          (f.networks.length ? ` (from ${list(f.networks)})` : '') +
          (f.accepted > 0 ? `, and answered ${plural(f.accepted, 'of them', 'of them')} with success` : '') +
          '. Those clients reached the backend around its proxy and wrote the header themselves: certificates are public, so anyone who can reach it can claim any client\'s certificate, ' +
          'and that client\'s certificate-bound tokens work for them as bearer tokens (Keycloak CVE-2024-10039).' +
          (f.claimedIdentities.length ? ` Certificates claimed: ${list(f.claimedIdentities)}.` : '')
        : `${f.source} believed forwarded client certificates (Client-Cert or similar header) from peers that are not among its trusted proxies now. ` +
          'Certificates are public: a client that reaches the backend around its proxy can claim any client\'s certificate, and that client\'s certificate-bound tokens work for it as bearer tokens (Keycloak CVE-2024-10039).') +
      (f.believedEarlier.lines > 0
        ? ` Before the trusted proxies excluded ${list(f.believedEarlier.peers)}, ${plural(f.believedEarlier.lines, 'line')} from ${f.believedEarlier.peers.length === 1 ? 'it' : 'them'} ${f.believedEarlier.lines === 1 ? 'was' : 'were'} believed as a proxy's word: ` +
          'those requests were judged as the header said and are not judged again.'
        : ''),
    recommendation: (f) =>
      'Make the backend believe the certificate header only from its proxy, and remove it otherwise. ' +
      `NGINX: \`allow <proxy>; deny all;\` on the backend's server (or a listener only the proxy can reach), or read the header only from the proxy: ` +
      `\`${UNTRUSTED_PEER_FIXES.nginx.join(' ')}\`, then use \`$client_cert\` instead of \`$http_client_cert\`. ` +
      `Apache: \`${UNTRUSTED_PEER_FIXES.apache}\` (mod_headers), or \`Require ip <proxy>\`. ` +
      `HAProxy in front of another hop: \`${UNTRUSTED_PEER_FIXES.haproxy}\`. ` +
      'Network: a policy or firewall rule so only the proxy can open connections to the backend. ' +
      'Then set the source\'s trusted proxies to the proxy addresses (the Sources page, or `holdfast ingest --source S --trusted-proxies <proxy>`), revoke the tokens bound to the claimed certificates if the requests were not yours, and check the backend\'s other routes.' +
      (f.believedEarlier.lines > 0
        ? ` Review what ${list(f.believedEarlier.peers)} sent while ${f.believedEarlier.peers.length === 1 ? 'it was' : 'they were'} believed (the backend's own logs; the finding's evidence gives when): if ${f.believedEarlier.peers.length === 1 ? 'it is' : 'they are'} not a proxy of yours, treat the certificates it named as used by someone else.`
        : ''),
  },
};

/** Title, explanation and recommendation for one rule's facts. */
export function findingWords<R extends FindingRule>(rule: R, facts: RuleFacts[R]): { title: string; explanation: string; recommendation: string } {
  const w = FINDING_WORDS[rule] as RuleWords<RuleFacts[R]>;
  return { title: w.title(facts), explanation: w.explanation(facts), recommendation: w.recommendation(facts) };
}

// ── binding recommendation (recommend.ts) ──

export type RecommendationReason =
  | 'ai_agent'
  | 'service_mesh'
  | 'private_link'
  | 'public_partner'
  | 'public_client'
  | 'ephemeral_pipeline'
  | 'spiffe_identity'
  | 'unknown_transport';

export const RECOMMENDATION_WORDS: Record<RecommendationReason, string> = {
  ai_agent:
    'AI agents are ephemeral and spread across runtimes and tool hosts; DPoP gives each agent instance its own key without a PKI and survives the proxies and TLS terminations between them.',
  service_mesh:
    'The identity talks over a service mesh, which already issues workload certificates and terminates mutual TLS on a path you control; binding tokens to those certificates (RFC 8705) costs no client changes.',
  private_link:
    'The identity uses a private link whose TLS end points you control; exchanging client certificates with the partner and binding tokens to them (RFC 8705) is the sturdier choice.',
  public_partner:
    'A partner calling over the internet passes through CDNs and proxies that terminate TLS and lose the client certificate; a DPoP proof travels in a header and works end to end.',
  public_client:
    'The client reaches you over the public internet (or is a browser, mobile app or CLI); DPoP needs only a key pair in the client and no certificate distribution.',
  ephemeral_pipeline:
    'Pipeline runners are short-lived and run on shared infrastructure; a fresh DPoP key per job binds its tokens without provisioning certificates.',
  spiffe_identity:
    'The identity has a SPIFFE ID, so it already holds X.509 SVIDs; bind its tokens to that certificate (RFC 8705).',
  unknown_transport:
    'The transport path is unknown; DPoP works whether or not TLS is terminated on the way. Record the transport on the identity to refine this advice.',
};

// ── risk score (risk-score.ts) ──

export const SEVERITY_WORDS: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info',
};

export const RULE_LABELS: Record<FindingRule, string> = {
  unbound_high_risk: 'Unbound high-risk token',
  bound_not_enforced: 'Binding not enforced',
  binding_context_stripped: 'Binding context stripped',
  replay_suspected: 'Replay suspected',
  replay_after_revocation: 'Replay after revocation',
  ttl_over_policy: 'Lifetime over policy',
  exposed_active: 'Leaked and active',
  offboarding: 'Offboarding incomplete',
  credential_shared: 'Shared credential',
  fan_out: 'Token fan-out',
  cert_expiring: 'Certificate expiring',
  failure_spike: 'Binding failure spike',
  leaking_hop: 'Leaking hop',
  forwarded_cert_from_untrusted_peer: 'Forged certificate header accepted',
};
