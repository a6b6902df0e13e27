// Why: when a proxy terminates TLS (or drops the DPoP header) in front of a gateway, bound
// tokens arrive with no certificate or proof, and nothing behind the proxy can check the
// binding — or worse, it trusts a spoofable header (Keycloak CVE-2024-10039). The finding is
// about the route, not one token: fixing the proxy fixes every token that passes there.
import { dedupeKey, type Rule } from '../context.ts';
import { makeDraft } from './draft.ts';

export const bindingContextStripped: Rule = (ctx) =>
  ctx.snapshot.routes.flatMap((r) => {
    const events = r.verdictCounts.binding_context_stripped ?? 0;
    if (events < ctx.policy.contextStripped.minEvents) return [];
    return [
      makeDraft(
        'binding_context_stripped',
        // The tokens in those requests, not every bound token the gateway saw.
        { gateway: r.gateway, route: r.route, events, tokens: r.strippedTokens },
        {
          dedupeKey: dedupeKey('binding_context_stripped', 'route', r.gateway, r.route ?? '*'),
          severity: 'high',
          identityId: null,
          tokenId: null,
          certificateId: null,
          evidence: {
            gateway: r.gateway,
            route: r.route,
            strippedEvents: events,
            boundTokenEvents: r.boundTokenEvents,
            distinctBoundTokens: r.distinctBoundTokens,
            strippedTokens: r.strippedTokens,
            sampleTokenIds: r.sampleTokenIds,
            firstAt: r.firstAt.toISOString(),
            lastAt: r.lastAt.toISOString(),
          },
          blastRadius: r.distinctBoundTokens,
          observedAt: r.lastAt,
        },
      ),
    ];
  });
