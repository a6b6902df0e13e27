// The demo estate: a synthetic but believable set of non-human identities, their tokens,
// certificates and 30 days of gateway traffic. Pure: no database, no environment, no clock —
// the same seed and `now` give byte-identical output, so screenshots, tests and bug reports
// can all refer to "seed 42".
//
// Raw tokens exist only inside this module, long enough to fingerprint them (SHA-256,
// base64url); they are never part of the returned estate.
import { createHash } from 'node:crypto';
import type { Binding, IdentityKind, Transport, Verdict } from '../domain/types.ts';
import { Rng } from './prng.ts';
import {
  AGENT_ROLES,
  API_PATHS,
  AUDIENCES,
  CAS,
  CERT_REASONS,
  DEMO_DOMAIN,
  DEPARTED,
  DPOP_REASON_WEIGHTS,
  GATEWAYS,
  INVENTORY_SOURCE,
  ISSUERS,
  KIND_COUNTS,
  PARTNERS,
  PEOPLE,
  PIPELINE_TOOLS,
  SERVICE_SUFFIXES,
  SYSTEMS,
  VERDICT_WEIGHTS,
  type GatewaySpec,
} from './demo-vocabulary.ts';

export interface DemoIdentity {
  id: string;
  name: string;
  displayName: string;
  kind: IdentityKind;
  owner: string | null;
  ownerStatus: 'active' | 'departed';
  status: 'active' | 'decommissioned';
  environment: 'prod' | 'staging' | 'dev';
  transport: Transport;
  spiffeId: string | null;
  clientId: string | null;
  createdAt: Date;
  lastSeenAt: Date | null;
  decommissionedAt: Date | null;
}

export interface DemoCertificate {
  id: string;
  x5tS256: string;
  sha1Hex: string;
  subjectDn: string;
  issuerDn: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  status: 'active' | 'revoked' | 'expired';
  identityId: string;
  caName: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface DemoToken {
  id: string;
  fingerprint: string;
  identityId: string;
  tokenType: 'access' | 'refresh';
  jti: string | null;
  issuer: string;
  subject: string;
  clientId: string;
  audience: string[];
  scopes: string[];
  issuedAt: Date;
  expiresAt: Date | null;
  ttlSeconds: number | null;
  binding: Binding;
  cnfX5tS256: string | null;
  cnfJkt: string | null;
  bindingAnomaly: boolean;
  status: 'active' | 'expired' | 'revoked';
  exposure: 'none' | 'exposed';
  privileged: boolean;
  certificateId: string | null;
  sourceId: string;
  firstSeenAt: Date;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}

export interface DemoSource {
  id: string;
  name: string;
  format: string;
  description: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  eventsTotal: number;
}

export interface DemoEvent {
  dedupeKey: string;
  sourceId: string;
  occurredAt: Date;
  requestId: string;
  gateway: string;
  method: string;
  url: string;
  clientIp: string;
  httpStatus: number;
  authScheme: string | null;
  hasDpop: boolean;
  identityId: string | null;
  tokenId: string | null;
  tokenFingerprint: string | null;
  x5tS256: string | null;
  sha1Hex: string | null;
  jkt: string | null;
  verdict: Verdict;
  reason: string | null;
  redactedRaw: string;
}

export interface DemoExposure {
  id: string;
  dedupeKey: string;
  tokenId: string;
  fingerprint: string;
  scanner: 'gitleaks' | 'trufflehog';
  ruleId: string;
  location: string;
  commit: string;
  foundAt: Date;
}

export interface DemoEstate {
  seed: string;
  now: Date;
  sources: DemoSource[];
  identities: DemoIdentity[];
  certificates: DemoCertificate[];
  tokens: DemoToken[];
  events: DemoEvent[];
  exposures: DemoExposure[];
  /** Certificates deliberately bound by tokens of two identities (credential_shared demo). */
  sharedCertificateIds: string[];
  /** Start and end of the one failure spike (a stolen DPoP token replayed from outside). */
  spike: { from: Date; to: Date; tokenId: string; events: number };
}

export interface DemoEstateOptions {
  seed: number | string;
  /** The clock: events fall in the 30 days before it. Injected, never read from the system. */
  now: Date;
  /** Overrides for tests; defaults are the sizes issue 2 asks for. */
  identities?: number;
  tokens?: number;
  events?: number;
}

export const DEMO_DEFAULTS = { identities: 320, tokens: 5200, events: 50_000, windowDays: 30 } as const;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR_S = 365 * 86_400;

const sha256b64url = (s: string | Buffer): string => createHash('sha256').update(s).digest('base64url');
const b64urlJson = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Whether a scope set grants write/admin power (mirrors what an analyst calls "privileged"). */
export function isPrivilegedScopeSet(scopes: readonly string[]): boolean {
  return scopes.some((s) => s === 'admin' || s === 'deploy' || s === 'repo' || s === '*' || s.endsWith(':write'));
}

interface Internals {
  estate: DemoEstate;
  rawTokens: string[];
}

/** Generates the demo estate for a seed and clock. Deterministic; touches no I/O. */
export function generateDemoEstate(options: DemoEstateOptions): DemoEstate {
  return build(options).estate;
}

/**
 * The raw token strings the fingerprints were computed from, in token order. For tests that
 * prove no raw token reaches the database; production code has no use for them.
 */
export function generateDemoRawTokens(options: DemoEstateOptions): string[] {
  return build(options).rawTokens;
}

/** What every section of the demo estate shares: the seed, the clock and the one generator. */
interface DemoContext {
  seed: string;
  now: Date;
  nowMs: number;
  windowStart: number;
  rng: Rng;
  at: (ms: number) => Date;
  options: DemoEstateOptions;
}

interface IdentityTraits {
  identity: DemoIdentity;
  mtls: boolean;
  dpop: boolean;
  ip: string;
  /** The business system it belongs to: names its read/write scopes. */
  system: string;
  jkts: string[];
  certs: DemoCertificate[];
}

interface Draft {
  occurredAt: number;
  verdict: Verdict;
  reason: string | null;
  tokenIdx: number | null;
  traits: IdentityTraits | null;
  gateway: GatewaySpec;
  x5t: DemoCertificate | { x5tS256: string; sha1Hex: string } | null;
  jkt: string | null;
  authScheme: string | null;
  hasDpop: boolean;
  status: number;
  ip: string | null;
}

/** The demo estate's sources. */
function demoSources(c: DemoContext) {
  const { windowStart, rng, at } = c;
  const sources: DemoSource[] = [...GATEWAYS, INVENTORY_SOURCE].map((g) => ({
    id: rng.uuid(),
    name: g.name,
    format: g.format,
    description: g.description,
    createdAt: at(windowStart - rng.int(5, 200) * DAY),
    lastSeenAt: null,
    eventsTotal: 0,
  }));
  const sourceByName = new Map(sources.map((s) => [s.name, s]));
  const inventorySource = sourceByName.get(INVENTORY_SOURCE.name)!;
  return { sources, sourceByName, inventorySource };
}

type DemoSources = ReturnType<typeof demoSources>;

/** The demo estate's identities. */
function demoIdentities(c: DemoContext) {
  const { nowMs, rng, at, options } = c;
  const identityTarget = options.identities ?? DEMO_DEFAULTS.identities;
  const kindPlan: IdentityKind[] = [];
  const baseTotal = Object.values(KIND_COUNTS).reduce((a, b) => a + b, 0);
  for (const [kind, n] of Object.entries(KIND_COUNTS) as [IdentityKind, number][]) {
    const scaled = Math.max(1, Math.round((n * identityTarget) / baseTotal));
    for (let i = 0; i < scaled; i++) kindPlan.push(kind);
  }
  while (kindPlan.length > identityTarget) kindPlan.pop();
  while (kindPlan.length < identityTarget) kindPlan.push('service');

  const usedNames = new Set<string>();
  const unique = (base: string) => {
    let name = base;
    for (let n = 2; usedNames.has(name); n++) name = `${base}-${n}`;
    usedNames.add(name);
    return name;
  };

  const traits: IdentityTraits[] = [];

  for (const kind of kindPlan) {
    const environment = rng.weighted([['prod', 60], ['staging', 25], ['dev', 15]] as const);
    const system = rng.pick(SYSTEMS);
    let base: string;
    let displayName: string;
    let transport: Transport;
    switch (kind) {
      case 'service':
        base = `${system}${rng.pick(SERVICE_SUFFIXES)}`;
        displayName = `${system} service`;
        transport = rng.weighted([['mesh', 55], ['private_link', 25], ['public', 15], ['unknown', 5]] as const);
        break;
      case 'workload':
        base = `${system}-${rng.pick(['job', 'cron', 'pod', 'daemon'])}`;
        displayName = `${system} workload`;
        transport = rng.weighted([['mesh', 80], ['private_link', 15], ['unknown', 5]] as const);
        break;
      case 'pipeline':
        base = `${rng.pick(PIPELINE_TOOLS)}-${system}`;
        displayName = `CI/CD pipeline for ${system}`;
        transport = rng.weighted([['public', 70], ['private_link', 25], ['unknown', 5]] as const);
        break;
      case 'agent':
        base = `agent-${rng.pick(AGENT_ROLES)}`;
        displayName = `AI agent: ${base.slice(6).replace(/-/g, ' ')}`;
        transport = rng.weighted([['public', 60], ['private_link', 35], ['unknown', 5]] as const);
        break;
      case 'partner':
        base = `partner-${rng.pick(PARTNERS)}`;
        displayName = `Partner integration: ${base.slice(8)}`;
        transport = rng.weighted([['public', 60], ['private_link', 40]] as const);
        break;
    }
    const name = unique(environment === 'prod' ? base : `${base}-${environment}`);
    const owner = rng.chance(0.04) ? null : rng.pick(PEOPLE);
    const decommissioned = rng.chance(0.06);
    const createdAt = at(nowMs - rng.int(35, 900) * DAY - rng.int(0, DAY));
    const identity: DemoIdentity = {
      id: rng.uuid(),
      name,
      displayName,
      kind,
      owner: owner ? `${owner}@${DEMO_DOMAIN}` : null,
      ownerStatus: owner && DEPARTED.has(owner) ? 'departed' : 'active',
      status: decommissioned ? 'decommissioned' : 'active',
      environment,
      transport,
      spiffeId: transport === 'mesh' ? `spiffe://${DEMO_DOMAIN}/ns/${environment}/sa/${name}` : null,
      clientId: transport === 'mesh' ? null : kind === 'partner' ? `${name}-${rng.hex(6)}` : name,
      createdAt,
      lastSeenAt: null,
      decommissionedAt: decommissioned ? at(nowMs - rng.int(2, 60) * DAY - rng.int(0, DAY)) : null,
    };
    const mtls =
      transport === 'mesh' ||
      (transport === 'private_link' && kind !== 'agent' && rng.chance(0.7)) ||
      (kind === 'partner' && rng.chance(0.5));
    const dpop =
      (kind === 'agent' && rng.chance(0.9)) ||
      (kind === 'service' && transport === 'public' && rng.chance(0.5)) ||
      (kind === 'partner' && rng.chance(0.3)) ||
      (kind === 'pipeline' && rng.chance(0.1));
    // Mesh and private traffic from 198.51.100.0/24, partners from 192.0.2.0/24, the rest
    // from 203.0.113.0/24 (all RFC 5737 documentation ranges).
    const ip =
      transport === 'mesh' || transport === 'private_link'
        ? `198.51.100.${rng.int(2, 250)}`
        : kind === 'partner'
          ? `192.0.2.${rng.int(2, 250)}`
          : `203.0.113.${rng.int(2, 180)}`;
    const jkts: string[] = [];
    if (dpop) {
      const keys = kind === 'agent' ? rng.int(1, 3) : 1;
      for (let k = 0; k < keys; k++) {
        // RFC 7638 thumbprint of a synthetic P-256 public JWK (members in lexicographic order).
        const jwk = `{"crv":"P-256","kty":"EC","x":"${rng.base64url(43)}","y":"${rng.base64url(43)}"}`;
        jkts.push(sha256b64url(jwk));
      }
    }
    traits.push({ identity, mtls, dpop, ip, system, jkts, certs: [] });
  }
  const identities = traits.map((t) => t.identity);
  return { traits, identities };
}

type DemoIdentities = ReturnType<typeof demoIdentities>;

/** The demo estate's certificates. */
function demoCertificates(c: DemoContext, s: DemoSources & DemoIdentities) {
  const { nowMs, rng, at } = c;
  const { traits } = s;
  const certificates: DemoCertificate[] = [];
  const makeCert = (t: IdentityTraits, state: 'current' | 'rotated'): DemoCertificate => {
    const id = t.identity;
    const ca = id.transport === 'mesh' ? CAS.mesh : id.kind === 'partner' ? CAS.partner : CAS.internal;
    const lifetimeDays = id.transport === 'mesh' ? 90 : 365;
    let notAfter: number;
    let status: DemoCertificate['status'] = 'active';
    let revokedAt: Date | null = null;
    if (state === 'rotated') {
      notAfter = nowMs - rng.int(31, 200) * DAY;
      status = 'expired';
    } else {
      const fate = rng.weighted([['ok', 80], ['expiring', 10], ['expired', 7], ['revoked', 3]] as const);
      if (fate === 'expiring') notAfter = nowMs + rng.int(1, 13) * DAY + rng.int(0, DAY);
      else if (fate === 'expired') {
        notAfter = nowMs - rng.int(1, 25) * DAY - rng.int(0, DAY);
        status = 'expired';
      } else notAfter = nowMs + rng.int(15, lifetimeDays - 5) * DAY + rng.int(0, DAY);
      if (fate === 'revoked') {
        status = 'revoked';
        revokedAt = at(nowMs - rng.int(1, 20) * DAY - rng.int(0, DAY));
      }
    }
    const notBefore = notAfter - lifetimeDays * DAY;
    // Hash a synthetic DER body so x5t#S256 and the SHA-1 NGINX logs agree with each other.
    const der = rng.bytes(rng.int(600, 1100));
    const subject =
      id.transport === 'mesh'
        ? `O=SPIRE,CN=${id.name}`
        : id.kind === 'partner'
          ? `CN=${id.clientId ?? id.name},O=${id.name.replace(/^partner-/, '')},C=US`
          : `CN=${id.name},OU=${id.environment},O=Holdfast Demo`;
    return {
      id: rng.uuid(),
      x5tS256: sha256b64url(der),
      sha1Hex: createHash('sha1').update(der).digest('hex'),
      subjectDn: subject,
      issuerDn: ca.dn,
      serial: rng.hex(32),
      notBefore: at(notBefore),
      notAfter: at(notAfter),
      status,
      identityId: id.id,
      caName: ca.name,
      createdAt: at(notBefore),
      revokedAt,
    };
  };
  for (const t of traits) {
    if (!t.mtls) continue;
    if (rng.chance(0.3)) certificates.push(makeCert(t, 'rotated'));
    const current = makeCert(t, 'current');
    certificates.push(current);
    t.certs.push(current);
  }
  // Two certificates deliberately reused by a second workload (copied key material).
  const sharedCertificateIds: string[] = [];
  const mtlsTraits = traits.filter((t) => t.mtls);
  for (let k = 0; k < 2 && mtlsTraits.length >= 4; k++) {
    const owner = mtlsTraits[k * 2]!;
    const borrower = mtlsTraits[k * 2 + 1]!;
    const cert = owner.certs.find((c) => c.status === 'active') ?? owner.certs[0];
    if (!cert) continue;
    borrower.certs.push(cert);
    sharedCertificateIds.push(cert.id);
  }
  return { certificates, sharedCertificateIds };
}

type DemoCertificates = ReturnType<typeof demoCertificates>;

/** The demo estate's tokens. */
function demoTokens(c: DemoContext, s: DemoSources & DemoIdentities & DemoCertificates) {
  const { seed, nowMs, windowStart, rng, at, options } = c;
  const { inventorySource, traits } = s;
  const tokenTarget = options.tokens ?? DEMO_DEFAULTS.tokens;
  const pools: Record<Binding, Array<readonly [IdentityTraits, number]>> = { bearer: [], mtls: [], dpop: [] };
  const kindWeight = (b: Binding, k: IdentityKind): number =>
    ({
      bearer: { pipeline: 4, service: 2, partner: 2, agent: 1, workload: 1 },
      mtls: { service: 3, workload: 3, partner: 2, pipeline: 1, agent: 1 },
      dpop: { agent: 4, service: 1, partner: 1, pipeline: 1, workload: 1 },
    })[b][k];
  for (const t of traits) {
    pools.bearer.push([t, kindWeight('bearer', t.identity.kind)]);
    if (t.mtls) pools.mtls.push([t, kindWeight('mtls', t.identity.kind)]);
    if (t.dpop) pools.dpop.push([t, kindWeight('dpop', t.identity.kind)]);
  }
  if (pools.mtls.length === 0 || pools.dpop.length === 0) throw new Error('demo estate too small for every binding');

  const tokens: DemoToken[] = [];
  const rawTokens: string[] = [];
  const traitsOfToken: IdentityTraits[] = [];
  const certOfToken: Array<DemoCertificate | null> = [];

  const scopesFor = (t: IdentityTraits): string[] => {
    const sys = t.system;
    const out = new Set<string>([`${sys}:read`]);
    const pPriv = { pipeline: 0.5, service: 0.15, agent: 0.2, partner: 0.1, workload: 0.1 }[t.identity.kind];
    if (rng.chance(0.4)) out.add(`${rng.pick(SYSTEMS)}:read`);
    if (rng.chance(pPriv)) {
      const priv =
        t.identity.kind === 'pipeline'
          ? rng.pick(['deploy', 'repo', 'packages:write', 'admin'])
          : t.identity.kind === 'agent'
            ? rng.pick(['tickets:write', 'repo', 'refunds:write', 'admin'])
            : rng.pick([`${sys}:write`, 'admin', `${rng.pick(SYSTEMS)}:write`, '*']);
      out.add(priv);
    }
    if (t.identity.kind === 'agent') out.add('tools:invoke');
    if (rng.chance(0.3)) out.add('openid');
    return [...out];
  };
  const audienceFor = (t: IdentityTraits): string[] => {
    const k = t.identity.kind;
    const list =
      k === 'pipeline' ? AUDIENCES.cicd : k === 'partner' ? AUDIENCES.partner : k === 'agent' ? AUDIENCES.agent : AUDIENCES.internal;
    const out = new Set<string>([rng.pick(list)]);
    if (rng.chance(0.2)) out.add(rng.pick(list));
    return [...out];
  };
  const issuerFor = (t: IdentityTraits): string => {
    const id = t.identity;
    if (id.kind === 'pipeline') return rng.chance(0.7) ? ISSUERS.ci : ISSUERS.prod;
    if (id.kind === 'partner') return ISSUERS.partner;
    if (id.kind === 'agent') return ISSUERS.agents;
    return id.environment === 'prod' ? ISSUERS.prod : ISSUERS.staging;
  };
  const ttlFor = (binding: Binding, t: IdentityTraits): number | null => {
    const kind = t.identity.kind;
    if (binding === 'dpop') return kind === 'agent' ? rng.pick([300, 600, 900]) : rng.pick([900, 1800, 3600]);
    if (binding === 'mtls') return rng.weighted([[3600, 60], [8 * 3600, 25], [86_400, 15]] as const);
    if (kind === 'agent') return rng.weighted([[3600, 70], [30 * 86_400, 15], [YEAR_S, 15]] as const);
    return rng.weighted([
      [900, 10], [3600, 30], [86_400, 20], [7 * 86_400, 10], [30 * 86_400, 10], [90 * 86_400, 8],
      [YEAR_S, 6], [2 * YEAR_S, 2], [3 * YEAR_S, 1], [5 * YEAR_S, 1], [0, 2],
    ] as const) || null;
  };

  const pushToken = (binding: Binding, t: IdentityTraits, ttl: number | null, issuedAtMs: number, extra?: Partial<DemoToken>) => {
    const id = t.identity;
    const opaque = binding === 'bearer' && (ttl === null || ttl >= YEAR_S);
    const jti = opaque ? null : rng.base64url(22);
    const expiresAtMs = ttl === null ? null : issuedAtMs + ttl * SECOND;
    const cert = binding === 'mtls' ? (t.certs.length > 1 && rng.chance(0.5) ? t.certs[1]! : t.certs[0]!) : null;
    const cnfJkt = binding === 'dpop' ? rng.pick(t.jkts) : null;
    const issuer = issuerFor(t);
    const subject = id.spiffeId ?? `service-account-${id.name}`;
    const audience = audienceFor(t);
    const scopes = scopesFor(t);
    const tokenType: DemoToken['tokenType'] = binding === 'bearer' && !opaque && rng.chance(0.05) ? 'refresh' : 'access';
    // The raw token: a JWT-shaped access token or an opaque PAT. Fingerprinted, then dropped.
    const raw = opaque
      ? `hfpat_${rng.base62(40)}`
      : [
          b64urlJson({ alg: 'ES256', typ: 'at+jwt', kid: rng.hex(8) }),
          b64urlJson({
            iss: issuer,
            sub: subject,
            aud: audience.length === 1 ? audience[0] : audience,
            client_id: id.clientId ?? id.name,
            scope: scopes.join(' '),
            jti,
            iat: Math.floor(issuedAtMs / 1000),
            ...(expiresAtMs === null ? {} : { exp: Math.floor(expiresAtMs / 1000) }),
            ...(cert ? { cnf: { 'x5t#S256': cert.x5tS256 } } : cnfJkt ? { cnf: { jkt: cnfJkt } } : {}),
          }),
          rng.base64url(86),
        ].join('.');
    let status: DemoToken['status'] = expiresAtMs !== null && expiresAtMs <= nowMs ? 'expired' : 'active';
    let revokedAt: Date | null = null;
    if (rng.chance(0.03)) {
      const end = Math.min(expiresAtMs ?? nowMs, nowMs);
      if (end > issuedAtMs) {
        status = 'revoked';
        revokedAt = at(rng.float(Math.max(issuedAtMs, end - 40 * DAY), end));
      }
    }
    const token: DemoToken = {
      id: rng.uuid(),
      fingerprint: sha256b64url(raw),
      identityId: id.id,
      tokenType,
      jti,
      issuer,
      subject,
      clientId: id.clientId ?? id.name,
      audience,
      scopes,
      issuedAt: at(issuedAtMs),
      expiresAt: expiresAtMs === null ? null : at(expiresAtMs),
      ttlSeconds: ttl,
      binding,
      cnfX5tS256: cert?.x5tS256 ?? null,
      cnfJkt,
      bindingAnomaly: false,
      status,
      exposure: 'none',
      privileged: isPrivilegedScopeSet(scopes),
      certificateId: cert?.id ?? null,
      sourceId: inventorySource.id,
      firstSeenAt: at(Math.max(issuedAtMs, windowStart - 90 * DAY)),
      lastSeenAt: null,
      revokedAt,
      ...extra,
    };
    tokens.push(token);
    rawTokens.push(raw);
    traitsOfToken.push(t);
    certOfToken.push(cert);
    return token;
  };

  const mix = [['bearer', 55], ['mtls', 25], ['dpop', 20]] as const;
  for (let i = 0; i < tokenTarget - 1; i++) {
    const binding: Binding = rng.weighted(mix);
    const t = rng.weighted(pools[binding]);
    const ttl = ttlFor(binding, t);
    let issuedAtMs: number;
    if (ttl === null) issuedAtMs = nowMs - rng.float(60 * DAY, 3 * 365 * DAY);
    else if (ttl <= 2 * 86_400) {
      // Short-lived tokens are minted all through the window; a few are live right now.
      issuedAtMs = rng.chance(0.08) ? nowMs - rng.float(0, ttl * SECOND) : rng.float(windowStart - ttl * SECOND, nowMs);
    } else issuedAtMs = nowMs - rng.float(0.02, 1.1) * Math.min(ttl * SECOND, 3 * 365 * DAY);
    pushToken(binding, t, ttl, Math.floor(issuedAtMs / 1000) * 1000);
  }
  // The spike's victim: an agent's DPoP token minted with an 8-hour TTL (a misconfiguration
  // in itself), stolen and replayed from outside nine days ago.
  const spikeStart = Math.floor((nowMs - 9 * DAY) / DAY) * DAY + 2 * HOUR;
  const victimTraits = traits.find((t) => t.identity.kind === 'agent' && t.dpop && t.identity.status === 'active') ?? pools.dpop[0]![0];
  const victim = pushToken('dpop', victimTraits, 8 * 3600, spikeStart - 30 * MINUTE);
  victim.status = 'expired';
  victim.revokedAt = null;

  // A few mTLS tokens carry both cnf members: an anomaly to report, not to resolve.
  const mtlsTokens = tokens.filter((t) => t.binding === 'mtls');
  for (let k = 0; k < 3 && k < mtlsTokens.length; k++) {
    const tok = mtlsTokens[Math.floor((k * mtlsTokens.length) / 3)]!;
    tok.bindingAnomaly = true;
    tok.cnfJkt = sha256b64url(`anomaly:${seed}:${k}`);
  }
  return { tokens, rawTokens, traitsOfToken, certOfToken, spikeStart, victim };
}

type DemoTokens = ReturnType<typeof demoTokens>;

/** The demo estate's exposures (secret-scanner hits). */
function demoExposures(c: DemoContext, s: DemoSources & DemoIdentities & DemoCertificates & DemoTokens) {
  const { now, nowMs, rng, at } = c;
  const { tokens } = s;
  const exposures: DemoExposure[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const longBearer = tok.binding === 'bearer' && (tok.ttlSeconds === null || tok.ttlSeconds >= 7 * 86_400);
    if (!(longBearer ? rng.chance(0.1) : rng.chance(0.002))) continue;
    tok.exposure = 'exposed';
    const repo = `${rng.pick(SYSTEMS)}-${rng.pick(['infra', 'scripts', 'service', 'notebooks'])}`;
    const scanner = rng.chance(0.6) ? 'gitleaks' : 'trufflehog';
    const ruleId = tok.jti === null ? 'generic-api-key' : 'jwt';
    const foundAt = at(Math.max(tok.issuedAt.getTime(), nowMs - 60 * DAY) + rng.float(0, 20 * DAY));
    const location = `github.com/demo-org/${repo}/blob/main/${rng.pick(['.env', 'deploy/values.yaml', 'README.md', 'scripts/run.sh', 'notebooks/eval.ipynb'])}:${rng.int(1, 400)}`;
    const commit = rng.hex(40);
    exposures.push({
      id: rng.uuid(),
      dedupeKey: `${scanner}:${tok.fingerprint}:${location}`,
      tokenId: tok.id,
      fingerprint: tok.fingerprint,
      scanner,
      ruleId,
      location,
      commit,
      foundAt: foundAt.getTime() > nowMs ? now : foundAt,
    });
    if (rng.chance(0.3) && tok.status === 'active') {
      tok.status = 'revoked';
      tok.revokedAt = at(rng.float(Math.min(foundAt.getTime(), nowMs - HOUR), nowMs));
    }
  }
  return { exposures };
}

type DemoExposures = ReturnType<typeof demoExposures>;

/** The demo estate's requests planned. */
function demoRequestPlan(c: DemoContext, s: DemoSources & DemoIdentities & DemoCertificates & DemoTokens & DemoExposures) {
  const { seed, nowMs, windowStart, rng, options } = c;
  const { certificates, tokens, traitsOfToken, certOfToken, spikeStart, victim } = s;
  const eventTarget = options.events ?? DEMO_DEFAULTS.events;
  const events: DemoEvent[] = [];
  const HOURS = DEMO_DEFAULTS.windowDays * 24;

  // Which tokens are usable in which hour, per binding: long-lived ones in one pool, the rest
  // indexed by hour so an event never uses a token outside its validity.
  const longPool: Record<Binding, number[]> = { bearer: [], mtls: [], dpop: [] };
  const hourPool: Array<Record<Binding, number[]>> = Array.from({ length: HOURS }, () => ({ bearer: [], mtls: [], dpop: [] }));
  const validity = (tok: DemoToken): [number, number] => {
    const from = Math.max(tok.issuedAt.getTime(), windowStart);
    const to = Math.min(tok.expiresAt?.getTime() ?? Infinity, tok.revokedAt?.getTime() ?? Infinity, nowMs);
    return [from, to];
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === victim) continue;
    const [from, to] = validity(tok);
    if (from >= to) continue;
    if (from <= windowStart && to >= nowMs) {
      longPool[tok.binding].push(i);
      continue;
    }
    const h0 = Math.floor((from - windowStart) / HOUR);
    const h1 = Math.min(HOURS - 1, Math.floor((to - 1 - windowStart) / HOUR));
    for (let h = h0; h <= h1; h++) hourPool[h]![tok.binding].push(i);
  }

  // Daily pattern: business hours peak around 13:00 UTC, weekends at half volume.
  const hourWeights: number[] = [];
  for (let h = 0; h < HOURS; h++) {
    const start = new Date(windowStart + h * HOUR);
    const hod = start.getUTCHours();
    const dow = start.getUTCDay();
    const diurnal = 0.2 + Math.exp(-((hod - 13) ** 2) / (2 * 3.5 ** 2));
    hourWeights.push(diurnal * (dow === 0 || dow === 6 ? 0.5 : 1));
  }
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of hourWeights) cumulative.push((acc += w));
  const sampleHour = (): number => {
    const r = rng.next() * acc;
    let lo = 0;
    let hi = HOURS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  /** A token of `binding` valid at some moment of hour h, and that moment. */
  const tokenAt = (binding: Binding, h: number): [number, number] | null => {
    const local = hourPool[h]![binding];
    const long = longPool[binding];
    const n = local.length + long.length;
    if (n === 0) return null;
    const r = Math.floor(rng.next() * n);
    const idx = r < local.length ? local[r]! : long[r - local.length]!;
    const [from, to] = validity(tokens[idx]!);
    const hs = windowStart + h * HOUR;
    const lo = Math.max(from, hs);
    const hi = Math.min(to, hs + HOUR);
    return [idx, Math.floor(rng.float(lo, hi))];
  };

  const gatewaysByRole = (role: GatewaySpec['role']) => GATEWAYS.filter((g) => g.role === role);
  const gatewayFor = (t: IdentityTraits): GatewaySpec => {
    const id = t.identity;
    if (id.transport === 'mesh') return gatewaysByRole('mesh')[0]!;
    if (id.kind === 'partner') return gatewaysByRole('partner')[0]!;
    if (id.kind === 'pipeline') return GATEWAYS.find((g) => g.name === 'nginx-ci')!;
    if (id.name.startsWith('billing') || id.name.startsWith('invoicing')) return GATEWAYS.find((g) => g.name === 'nginx-legacy-billing')!;
    return rng.pick(gatewaysByRole('edge'));
  };
  const attackerIp = () => `203.0.113.${rng.int(200, 254)}`;
  const urlFor = (tok: DemoToken | null): string => {
    const base = tok ? rng.pick(tok.audience) : `https://api.internal.${DEMO_DOMAIN}/${rng.pick(SYSTEMS)}`;
    return base + rng.pick(API_PATHS).replace('{id}', String(rng.int(1000, 99_999)));
  };

  const drafts: Draft[] = [];
  const draft = (d: Partial<Draft> & Pick<Draft, 'occurredAt' | 'verdict'>): void => {
    const t = d.traits ?? (d.tokenIdx != null ? traitsOfToken[d.tokenIdx]! : null);
    drafts.push({
      reason: null,
      tokenIdx: null,
      x5t: null,
      jkt: null,
      authScheme: 'Bearer',
      hasDpop: false,
      status: 200,
      ip: null,
      ...d,
      traits: t,
      gateway: d.gateway ?? (t ? gatewayFor(t) : rng.pick(gatewaysByRole('edge'))),
    });
  };
  const okStatus = () => rng.weighted([[200, 80], [201, 8], [204, 6], [404, 4], [500, 2]] as const);
  const failStatus = () => (rng.chance(0.85) ? 401 : 403);
  const strangerCert = () => {
    const der = rng.bytes(700);
    return { x5tS256: sha256b64url(der), sha1Hex: createHash('sha1').update(der).digest('hex') };
  };

  // 1. The spike: ~2.4% of the month's traffic in three night hours, one stolen DPoP token.
  const spikeEvents = Math.round(eventTarget * 0.024);
  const attackers = [attackerIp(), attackerIp(), attackerIp()];
  const victimIdx = tokens.indexOf(victim);
  for (let i = 0; i < spikeEvents; i++) {
    const kind = rng.weighted([['jti_replay', 55], ['jkt_mismatch', 25], ['no_proof', 15], ['ok', 5]] as const);
    const base = {
      occurredAt: Math.floor(rng.float(spikeStart, spikeStart + 3 * HOUR)),
      tokenIdx: victimIdx,
      ip: rng.pick(attackers),
      gateway: GATEWAYS.find((g) => g.name === 'nginx-edge-1')!,
    };
    if (kind === 'no_proof') draft({ ...base, verdict: 'no_proof_for_bound_token', status: 401 });
    else if (kind === 'ok') draft({ ...base, verdict: 'ok', authScheme: 'DPoP', hasDpop: true, jkt: victim.cnfJkt, status: 200 });
    else
      draft({
        ...base,
        verdict: 'proof_invalid',
        reason: kind,
        authScheme: 'DPoP',
        hasDpop: true,
        jkt: kind === 'jkt_mismatch' ? sha256b64url(`attacker:${seed}`) : victim.cnfJkt,
        status: 401,
      });
  }

  // 2. Replays of revoked self-contained tokens the gateway cannot know about.
  const revokedInWindow = tokens
    .map((t, i) => [t, i] as const)
    .filter(([t]) => t.binding === 'bearer' && t.revokedAt && t.revokedAt.getTime() > windowStart + DAY && (t.expiresAt?.getTime() ?? Infinity) > nowMs)
    .slice(0, 3);
  for (const [tok, idx] of revokedInWindow) {
    for (let k = 0; k < 8; k++) {
      draft({
        occurredAt: Math.floor(rng.float(tok.revokedAt!.getTime() + MINUTE, nowMs)),
        verdict: 'bearer_unbound',
        tokenIdx: idx,
        ip: attackerIp(),
        status: 200,
      });
    }
  }

  // 3. Ordinary traffic.
  const expiredTokens = tokens
    .map((t, i) => [t, i] as const)
    .filter(([t]) => t !== victim && t.expiresAt && t.expiresAt.getTime() > windowStart && t.expiresAt.getTime() < nowMs - MINUTE && !t.revokedAt);
  const certsBy = (status: DemoCertificate['status']) => certificates.filter((c) => c.status === status && c.notAfter.getTime() > windowStart - 400 * DAY);
  const tokensOfCert = new Map<string, number[]>();
  tokens.forEach((t, i) => {
    if (t.certificateId) tokensOfCert.set(t.certificateId, [...(tokensOfCert.get(t.certificateId) ?? []), i]);
  });
  const expiredCerts = certsBy('expired').filter((c) => c.notAfter.getTime() > windowStart && tokensOfCert.has(c.id));
  const revokedCerts = certsBy('revoked').filter((c) => c.revokedAt && tokensOfCert.has(c.id));
  const misconfigured = gatewaysByRole('misconfigured');
  const stripped = gatewaysByRole('stripped')[0]!;

  while (drafts.length < eventTarget) {
    let verdict = rng.weighted(VERDICT_WEIGHTS);
    if (verdict === 'cert_expired' && expiredCerts.length === 0) verdict = 'cert_untrusted';
    if (verdict === 'cert_revoked' && revokedCerts.length === 0) verdict = 'cert_untrusted';
    const h = sampleHour();
    switch (verdict) {
      case 'ok': {
        const binding: Binding = rng.chance(0.58) ? 'mtls' : 'dpop';
        const hit = tokenAt(binding, h);
        if (!hit) continue;
        const [idx, when] = hit;
        const tok = tokens[idx]!;
        // Bound traffic that verifies goes through gateways that enforce binding.
        const home = gatewayFor(traitsOfToken[idx]!);
        const gateway = home.role === 'misconfigured' ? rng.pick(gatewaysByRole('edge')) : home;
        const cert = certOfToken[idx] ?? null;
        if (binding === 'mtls' && cert) {
          // A certificate past its end or revoked fails at the gateway, whatever the token says.
          if (cert.status === 'expired' && when > cert.notAfter.getTime())
            draft({ occurredAt: when, verdict: 'cert_expired', reason: 'not_after', tokenIdx: idx, x5t: cert, gateway, status: 401 });
          else if (cert.status === 'revoked' && cert.revokedAt && when > cert.revokedAt.getTime())
            draft({ occurredAt: when, verdict: 'cert_revoked', reason: 'crl', tokenIdx: idx, x5t: cert, gateway, status: 401 });
          else draft({ occurredAt: when, verdict, tokenIdx: idx, x5t: cert, gateway, status: okStatus() });
        } else draft({ occurredAt: when, verdict, tokenIdx: idx, authScheme: 'DPoP', hasDpop: true, jkt: tok.cnfJkt, gateway, status: okStatus() });
        break;
      }
      case 'bearer_unbound': {
        const hit = tokenAt('bearer', h);
        if (!hit) continue;
        const [idx, when] = hit;
        // Mesh callers present their workload certificate even with an unbound token.
        const t = traitsOfToken[idx]!;
        draft({ occurredAt: when, verdict, tokenIdx: idx, x5t: t.identity.transport === 'mesh' ? (t.certs[0] ?? null) : null, status: okStatus() });
        break;
      }
      case 'token_expired': {
        if (expiredTokens.length === 0) continue;
        const [tok, idx] = rng.pick(expiredTokens);
        const exp = tok.expiresAt!.getTime();
        const when = Math.floor(rng.float(exp + SECOND, Math.min(nowMs, exp + 3 * DAY)));
        draft({
          occurredAt: when,
          verdict,
          reason: null,
          tokenIdx: idx,
          authScheme: tok.binding === 'dpop' ? 'DPoP' : 'Bearer',
          hasDpop: tok.binding === 'dpop',
          jkt: tok.cnfJkt,
          x5t: certOfToken[idx] ?? null,
          status: 401,
        });
        break;
      }
      case 'proof_invalid': {
        const hit = tokenAt('dpop', h);
        if (!hit) continue;
        const [idx, when] = hit;
        const tok = tokens[idx]!;
        const reason = rng.weighted(DPOP_REASON_WEIGHTS);
        draft({
          occurredAt: when,
          verdict,
          reason,
          tokenIdx: idx,
          authScheme: reason === 'bearer_scheme_for_dpop_token' ? 'Bearer' : 'DPoP',
          hasDpop: true,
          jkt: reason === 'jkt_mismatch' ? sha256b64url(`other:${rng.hex(16)}`) : tok.cnfJkt,
          status: 401,
        });
        break;
      }
      case 'binding_mismatch': {
        const hit = tokenAt('mtls', h);
        if (!hit) continue;
        const [idx, when] = hit;
        // Another workload's certificate, or one nobody enrolled (a copied token).
        const other = rng.chance(0.5) ? rng.pick(certificates) : strangerCert();
        if (other.x5tS256 === tokens[idx]!.cnfX5tS256) continue;
        draft({ occurredAt: when, verdict, tokenIdx: idx, x5t: other, ip: rng.chance(0.4) ? attackerIp() : null, status: failStatus() });
        break;
      }
      case 'no_proof_for_bound_token': {
        const binding: Binding = rng.chance(0.6) ? 'dpop' : 'mtls';
        const hit = tokenAt(binding, h);
        if (!hit) continue;
        const [idx, when] = hit;
        draft({ occurredAt: when, verdict, tokenIdx: idx, status: 401 });
        break;
      }
      case 'bound_not_enforced': {
        const binding: Binding = rng.chance(0.5) ? 'dpop' : 'mtls';
        const hit = tokenAt(binding, h);
        if (!hit) continue;
        const [idx, when] = hit;
        draft({ occurredAt: when, verdict, tokenIdx: idx, gateway: rng.pick(misconfigured), status: 200 });
        break;
      }
      case 'binding_context_stripped': {
        const hit = tokenAt('mtls', h);
        if (!hit) continue;
        const [idx, when] = hit;
        draft({ occurredAt: when, verdict, tokenIdx: idx, gateway: stripped, status: rng.chance(0.7) ? 401 : 200 });
        break;
      }
      case 'cert_expired': {
        const cert = rng.pick(expiredCerts);
        const idxs = tokensOfCert.get(cert.id)!;
        const idx = rng.pick(idxs);
        const when = Math.floor(rng.float(Math.max(cert.notAfter.getTime(), windowStart) + SECOND, nowMs));
        draft({ occurredAt: when, verdict, reason: 'not_after', tokenIdx: idx, x5t: cert, status: 401 });
        break;
      }
      case 'cert_revoked': {
        const cert = rng.pick(revokedCerts);
        const idx = rng.pick(tokensOfCert.get(cert.id)!);
        const when = Math.floor(rng.float(cert.revokedAt!.getTime() + SECOND, nowMs));
        draft({ occurredAt: when, verdict, reason: rng.weighted(CERT_REASONS.cert_revoked), tokenIdx: idx, x5t: cert, status: 401 });
        break;
      }
      case 'cert_untrusted': {
        const when = Math.floor(windowStart + h * HOUR + rng.float(0, HOUR));
        draft({
          occurredAt: when,
          verdict,
          reason: rng.weighted(CERT_REASONS.cert_untrusted),
          x5t: strangerCert(),
          authScheme: rng.chance(0.5) ? 'Bearer' : null,
          ip: attackerIp(),
          gateway: rng.pick([...gatewaysByRole('edge'), ...gatewaysByRole('partner')]),
          status: 401,
        });
        break;
      }
    }
  }
  return { eventTarget, events, attackerIp, urlFor, drafts, spikeEvents };
}

type DemoRequestPlan = ReturnType<typeof demoRequestPlan>;

/** The demo estate's requests written. */
function demoRequestsWritten(c: DemoContext, s: DemoSources & DemoIdentities & DemoCertificates & DemoTokens & DemoExposures & DemoRequestPlan) {
  const { nowMs, rng, at } = c;
  const { sourceByName, tokens, eventTarget, events, attackerIp, urlFor, drafts } = s;
  drafts.length = eventTarget;
  drafts.sort((a, b) => a.occurredAt - b.occurredAt);

  for (const d of drafts) {
    const tok = d.tokenIdx === null ? null : tokens[d.tokenIdx]!;
    const t = d.traits;
    const source = sourceByName.get(d.gateway.name)!;
    const requestId = rng.hex(32);
    const method = rng.weighted([['GET', 70], ['POST', 20], ['PUT', 5], ['DELETE', 5]] as const);
    const url = urlFor(tok);
    const clientIp = d.ip ?? t?.ip ?? attackerIp();
    const occurredAt = at(Math.min(d.occurredAt, nowMs));
    const cert = d.x5t;
    const certFacts = cert ? { x5tS256: cert.x5tS256, sha1Hex: cert.sha1Hex } : null;
    // What the gateway logged, with credentials already replaced: the shape an analyst sees.
    const redactedRaw = JSON.stringify({
      time: occurredAt.toISOString(),
      gateway: d.gateway.name,
      request_id: requestId,
      remote_addr: clientIp,
      method,
      uri: new URL(url).pathname,
      status: d.status,
      authorization: d.authScheme ? `${d.authScheme} [REDACTED]` : null,
      ...(d.hasDpop ? { dpop: '[REDACTED]' } : {}),
      ...(certFacts && d.gateway.role !== 'stripped' ? { ssl_client_fingerprint: certFacts.sha1Hex } : {}),
    });
    events.push({
      dedupeKey: `${d.gateway.name}:${requestId}`,
      sourceId: source.id,
      occurredAt,
      requestId,
      gateway: d.gateway.name,
      method,
      url,
      clientIp,
      httpStatus: d.status,
      authScheme: d.authScheme,
      hasDpop: d.hasDpop,
      identityId: t?.identity.id ?? null,
      tokenId: tok?.id ?? null,
      tokenFingerprint: tok?.fingerprint ?? null,
      x5tS256: d.gateway.role === 'stripped' ? null : (certFacts?.x5tS256 ?? null),
      sha1Hex: d.gateway.role === 'stripped' ? null : (certFacts?.sha1Hex ?? null),
      jkt: d.jkt,
      verdict: d.verdict,
      reason: d.reason,
      redactedRaw,
    });
    source.eventsTotal++;
    if (!source.lastSeenAt || source.lastSeenAt < occurredAt) source.lastSeenAt = occurredAt;
    if (t && (!t.identity.lastSeenAt || t.identity.lastSeenAt < occurredAt)) t.identity.lastSeenAt = occurredAt;
    if (tok && (!tok.lastSeenAt || tok.lastSeenAt < occurredAt)) tok.lastSeenAt = occurredAt;
  }
  return {  };
}

/**
 * The whole estate, section by section in a fixed order: every section draws from the one seeded
 * generator, so the order of the calls (and of the draws inside each) is what makes a seed
 * reproduce the same estate.
 */
function build(options: DemoEstateOptions): Internals {
  const seed = String(options.seed);
  const now = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  const nowMs = now.getTime();
  const windowStart = nowMs - DEMO_DEFAULTS.windowDays * DAY;
  const rng = new Rng(`holdfast-demo:${seed}`);
  const at = (ms: number) => new Date(Math.round(ms));

  const c: DemoContext = { seed, now, nowMs, windowStart, rng, at, options };
  const withSources = { ...demoSources(c) };
  const withIdentities = { ...withSources, ...demoIdentities(c) };
  const withCertificates = { ...withIdentities, ...demoCertificates(c, withIdentities) };
  const withTokens = { ...withCertificates, ...demoTokens(c, withCertificates) };
  const withExposures = { ...withTokens, ...demoExposures(c, withTokens) };
  const withRequestPlan = { ...withExposures, ...demoRequestPlan(c, withExposures) };
  const withRequestsWritten = { ...withRequestPlan, ...demoRequestsWritten(c, withRequestPlan) };
  const { sources, identities, certificates, sharedCertificateIds, tokens, rawTokens, spikeStart, victim, exposures, events, spikeEvents } = withRequestsWritten;
  return {
    estate: {
      seed,
      now,
      sources,
      identities,
      certificates,
      tokens,
      events,
      exposures,
      sharedCertificateIds,
      spike: { from: at(spikeStart), to: at(spikeStart + 3 * HOUR), tokenId: victim.id, events: spikeEvents },
    },
    rawTokens,
  };
}
