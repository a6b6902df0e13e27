// Reference implementation of the event aggregates in EstateSnapshot, over raw rows in memory.
// It is the executable specification of the SQL the DB layer runs at scale (README.md gives
// the queries): for small estates (ingest tests, the demo estate) it can be used directly,
// and the DB layer's aggregates can be tested for equality against it.
import type { Verdict } from '../domain/types.ts';
import { BINDING_FAILURE_VERDICTS, DEFAULT_POLICY, type Policy } from './policy.ts';
import { countRepeatedHopLines, type HopLine } from './repeated-hop-lines.ts';
import type {
  CertificateFacts,
  CredentialUse,
  EstateSnapshot,
  ExposureFacts,
  FailureSeries,
  IdentityFacts,
  RouteUsage,
  TokenFacts,
  TokenUsage,
} from './snapshot.ts';

/** The BindingEvent columns the aggregates read. */
export interface RawEvent {
  occurredAt: Date;
  gateway: string | null;
  url: string | null;
  clientIp: string | null;
  identityId: string | null;
  tokenId: string | null;
  x5tS256: string | null;
  jkt: string | null;
  verdict: Verdict;
  /** The request id the hops of one request share (correlation id, else its own request id), when logged. */
  hopId?: string | null;
  /** The log (source) the line came from. */
  source?: string | null;
}

export interface RawEstate {
  identities: readonly IdentityFacts[];
  tokens: readonly TokenFacts[];
  certificates: readonly CertificateFacts[];
  exposures: readonly ExposureFacts[];
  events: Iterable<RawEvent>;
}

export interface BuildSnapshotOptions {
  policy?: Policy;
  /** Window for route summaries and credential use (older misconfigurations age out). Default 7. */
  routeWindowDays?: number;
  credentialWindowDays?: number;
  /** Cap on every distinct-value list in TokenUsage. Default 64. */
  seenCap?: number;
  /** Path segments kept in RouteUsage.route; 0 (default) groups per gateway (route null),
   *  since the proxy that strips the context sits in front of the whole gateway. */
  routeDepth?: number;
}

/** Verdicts under which the gateway let the request through. */
export const ACCEPTED_VERDICTS: readonly Verdict[] = ['ok', 'bearer_unbound', 'bound_not_enforced', 'spoofed_client_cert', 'cert_revoked_unchecked'];

const DAY_MS = 86_400_000;

/** Service a request went to: lower-cased host of an absolute URL, else the gateway name. */
export function audienceOf(url: string | null, gateway: string | null): string | null {
  const m = url ? /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(url) : null;
  return m?.[1]?.toLowerCase() ?? gateway;
}

/** Route key: the first `depth` path segments, without query or fragment; null when no URL or depth 0. */
export function routeOf(url: string | null, depth: number): string | null {
  if (!url || depth <= 0) return null;
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0] ?? '';
  const segs = path.split('/').filter((s) => s.length > 0).slice(0, depth);
  return `/${segs.join('/')}`;
}

function addCapped(set: Set<string>, v: string | null, cap: number): void {
  if (v !== null && set.size < cap) set.add(v);
}

interface UsageAcc {
  u: TokenUsage;
  firstAt: number;
  x5t: Set<string>;
  jkt: Set<string>;
  ips: Set<string>;
  auds: Set<string>;
  gws: Set<string>;
  ne: Set<string>;
  /** Its bound_not_enforced lines, to count requests seen at several hops once. */
  notEnforced: HopLine[];
}

/** Builds the snapshot's aggregates from raw events; events after `now` are ignored. */
export function buildSnapshot(raw: RawEstate, now: Date, options: BuildSnapshotOptions = {}): EstateSnapshot {
  const policy = options.policy ?? DEFAULT_POLICY;
  const cap = options.seenCap ?? 64;
  const depth = options.routeDepth ?? 0;
  const nowMs = now.getTime();
  const routeFrom = nowMs - (options.routeWindowDays ?? 7) * DAY_MS;
  const credFrom = nowMs - (options.credentialWindowDays ?? 30) * DAY_MS;
  const buckets = policy.failureSpike.baselineDays + 1;
  const failing = new Set<Verdict>(BINDING_FAILURE_VERDICTS);
  const accepted = new Set<Verdict>(ACCEPTED_VERDICTS);
  const tokens = new Map(raw.tokens.map((t) => [t.id, t]));

  const usage = new Map<string, UsageAcc>();
  const routes = new Map<string, { r: RouteUsage; toks: Set<string>; stripped: Set<string> }>();
  const failures = new Map<string, FailureSeries>();
  const creds = new Map<string, { c: CredentialUse; ids: Set<string> }>();

  for (const e of raw.events) {
    const at = e.occurredAt.getTime();
    if (at > nowMs) continue;
    const tok = e.tokenId ? tokens.get(e.tokenId) : undefined;

    if (e.tokenId) {
      let a = usage.get(e.tokenId);
      if (!a) {
        a = {
          u: {
            tokenId: e.tokenId,
            events: 0,
            firstSeenAt: e.occurredAt,
            lastSeenAt: e.occurredAt,
            first: { x5tS256: e.x5tS256, jkt: e.jkt, clientIp: e.clientIp },
            x5tS256Seen: [],
            jktSeen: [],
            clientIpsSeen: [],
            audiencesSeen: [],
            gatewaysSeen: [],
            verdictCounts: {},
            notEnforcedAt: [],
            notEnforcedRequests: 0,
            eventsAfterRevocation: 0,
            firstSeenAfterRevocationAt: null,
            acceptedAfterRevocation: 0,
          },
          firstAt: at,
          x5t: new Set(),
          jkt: new Set(),
          ips: new Set(),
          auds: new Set(),
          gws: new Set(),
          ne: new Set(),
          notEnforced: [],
        };
        usage.set(e.tokenId, a);
      }
      const u = a.u;
      u.events += 1;
      if (at < a.firstAt) {
        a.firstAt = at;
        u.firstSeenAt = e.occurredAt;
        u.first = { x5tS256: e.x5tS256, jkt: e.jkt, clientIp: e.clientIp };
      }
      if (at > u.lastSeenAt.getTime()) u.lastSeenAt = e.occurredAt;
      addCapped(a.x5t, e.x5tS256, cap);
      addCapped(a.jkt, e.jkt, cap);
      addCapped(a.ips, e.clientIp, cap);
      addCapped(a.auds, audienceOf(e.url, e.gateway), cap);
      addCapped(a.gws, e.gateway, cap);
      if (e.verdict === 'bound_not_enforced') {
        addCapped(a.ne, e.gateway, cap);
        a.notEnforced.push({ hopId: e.hopId ?? null, source: e.source ?? null, at });
      }
      u.verdictCounts[e.verdict] = (u.verdictCounts[e.verdict] ?? 0) + 1;
      if (tok?.revokedAt && at > tok.revokedAt.getTime()) {
        u.eventsAfterRevocation += 1;
        if (accepted.has(e.verdict)) u.acceptedAfterRevocation += 1;
        if (!u.firstSeenAfterRevocationAt || at < u.firstSeenAfterRevocationAt.getTime()) u.firstSeenAfterRevocationAt = e.occurredAt;
      }
    }

    if (e.gateway && at > routeFrom && ((tok && tok.binding !== 'bearer') || e.verdict === 'binding_context_stripped')) {
      const route = routeOf(e.url, depth);
      const k = `${e.gateway}\u0000${route ?? ''}`;
      let g = routes.get(k);
      if (!g) {
        g = { r: { gateway: e.gateway, route, boundTokenEvents: 0, verdictCounts: {}, distinctBoundTokens: 0, strippedTokens: 0, sampleTokenIds: [], firstAt: e.occurredAt, lastAt: e.occurredAt }, toks: new Set(), stripped: new Set() };
        routes.set(k, g);
      }
      g.r.boundTokenEvents += 1;
      g.r.verdictCounts[e.verdict] = (g.r.verdictCounts[e.verdict] ?? 0) + 1;
      if (e.tokenId) g.toks.add(e.tokenId);
      if (e.tokenId && e.verdict === 'binding_context_stripped') g.stripped.add(e.tokenId);
      if (at < g.r.firstAt.getTime()) g.r.firstAt = e.occurredAt;
      if (at > g.r.lastAt.getTime()) g.r.lastAt = e.occurredAt;
    }

    if (failing.has(e.verdict)) {
      const b = Math.floor((nowMs - at) / DAY_MS);
      if (b < buckets) {
        const subjects: FailureSeries['subject'][] = [];
        if (e.identityId) subjects.push({ kind: 'identity', identityId: e.identityId });
        if (e.gateway) subjects.push({ kind: 'gateway', gateway: e.gateway });
        for (const s of subjects) {
          const k = s.kind === 'identity' ? `i:${s.identityId}` : `g:${s.gateway}`;
          let f = failures.get(k);
          if (!f) {
            f = { subject: s, buckets: Array<number>(buckets).fill(0) };
            failures.set(k, f);
          }
          f.buckets[b] = (f.buckets[b] ?? 0) + 1;
        }
      }
    }

    // Only verified presentations (verdict ok): a token shown with someone else's certificate
    // (binding_mismatch) is replay evidence, not proof that its identity uses that certificate.
    if (e.identityId && e.verdict === 'ok' && at > credFrom) {
      for (const [kind, thumb] of [['x5t', e.x5tS256], ['jkt', e.jkt]] as const) {
        if (!thumb) continue;
        const k = `${kind}:${thumb}`;
        let c = creds.get(k);
        if (!c) {
          c = { c: { kind, thumbprint: thumb, identityIds: [], events: 0, lastAt: e.occurredAt }, ids: new Set() };
          creds.set(k, c);
        }
        c.ids.add(e.identityId);
        c.c.events += 1;
        if (at > c.c.lastAt.getTime()) c.c.lastAt = e.occurredAt;
      }
    }
  }

  const sorted = (s: Set<string>) => [...s].sort();
  return {
    identities: [...raw.identities],
    tokens: [...raw.tokens],
    certificates: [...raw.certificates],
    exposures: [...raw.exposures],
    tokenUsage: [...usage.values()].map((a) => ({
      ...a.u,
      x5tS256Seen: sorted(a.x5t),
      jktSeen: sorted(a.jkt),
      clientIpsSeen: sorted(a.ips),
      audiencesSeen: sorted(a.auds),
      gatewaysSeen: sorted(a.gws),
      notEnforcedAt: sorted(a.ne),
      notEnforcedRequests: a.notEnforced.length - countRepeatedHopLines(a.notEnforced),
    })),
    routes: [...routes.values()].map((g) => ({ ...g.r, distinctBoundTokens: g.toks.size, strippedTokens: g.stripped.size, sampleTokenIds: sorted(g.toks).slice(0, 10) })),
    // Only subjects with failures in the last 24 h can spike (the SQL filters the same way).
    failureSeries: [...failures.values()].filter((f) => (f.buckets[0] ?? 0) > 0),
    credentialUse: [...creds.values()].filter((c) => c.ids.size > 1).map((c) => ({ ...c.c, identityIds: sorted(c.ids) })),
  };
}
