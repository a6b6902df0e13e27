// Response schemas of the estate API (lib/http/route.ts parses every JSON answer through them,
// so a field not listed here never leaves the server: no raw token — none is stored — and no
// BindingEvent.redactedRaw). Also the source of the OpenAPI components (z.toJSONSchema).
import { z } from 'zod';
import { BINDINGS } from '../../domain/types.ts';
import { storableString } from '../../http/storable-string.ts';
import { TokenRevocationSchema, TokenRowRevocationFields } from '../../revocation/token-revocation-state.ts';

const iso = z.string().describe('ISO 8601 date-time');
const nullable = <T extends z.ZodType>(t: T) => t.nullable();

export const TokenRowSchema = z.object({
  id: z.string(),
  fingerprint: z.string().describe('base64url SHA-256 of the raw token (the token itself is never stored)'),
  identityId: z.string(),
  identity: z.string(),
  identityKind: z.string(),
  binding: z.enum(BINDINGS),
  tokenType: z.string(),
  jti: nullable(z.string()),
  issuer: nullable(z.string()),
  audience: z.array(z.string()),
  scopes: z.array(z.string()),
  issuedAt: nullable(iso),
  expiresAt: nullable(iso),
  ttlSeconds: nullable(z.number().int()),
  status: z.string(),
  exposure: z.string(),
  privileged: z.boolean(),
  firstSeenAt: iso,
  lastSeenAt: nullable(iso),
  revokedAt: nullable(iso),
  riskSeverity: nullable(z.string()),
  findings: z.number().int(),
  blastRadius: z.number().int(),
});

export const IdentityRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  owner: nullable(z.string()),
  ownerStatus: z.string(),
  status: z.string(),
  environment: nullable(z.string()),
  transport: z.string(),
  lastSeenAt: nullable(iso),
  riskScore: z.number().int(),
  openFindings: z.number().int(),
  tokens: z.number().int(),
  liveBearerTokens: z.number().int(),
});

export const FindingRowSchema = z.object({
  id: z.string(),
  dedupeKey: z.string(),
  rule: z.string(),
  severity: z.string(),
  status: z.string(),
  identityId: nullable(z.string()),
  identity: nullable(z.string()),
  tokenId: nullable(z.string()),
  certificateId: nullable(z.string()),
  title: z.string(),
  explanation: z.string(),
  recommendation: z.string(),
  blastRadius: z.number().int(),
  firstSeenAt: iso,
  lastSeenAt: iso,
  resolvedAt: nullable(iso),
  ackReason: nullable(z.string()),
  ackUntil: nullable(iso),
  ackBy: nullable(z.string()),
});

export const EventRowSchema = z.object({
  id: z.string(),
  requestId: nullable(z.string()),
  correlationId: nullable(z.string()),
  source: nullable(z.string()),
  occurredAt: iso,
  gateway: nullable(z.string()),
  method: nullable(z.string()),
  url: nullable(z.string()),
  clientIp: nullable(z.string()),
  clientNetwork: nullable(z.string()),
  /** `host /prefix`, as a simulation's route rows name it. */
  route: nullable(z.string()),
  httpStatus: nullable(z.number().int()),
  authScheme: nullable(z.string()),
  hasDpop: z.boolean(),
  identityId: nullable(z.string()),
  identity: nullable(z.string()),
  tokenId: nullable(z.string()),
  tokenFingerprint: nullable(z.string()),
  x5tS256: nullable(z.string()),
  jkt: nullable(z.string()),
  verdict: z.string(),
  reason: nullable(z.string()),
  chainVerdict: nullable(z.string()),
  kept: z.enum(['notable', 'ledger']),
});

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** A token list row also says what Holdfast may claim about it (state, revocationState, revocationId). */
export const TokenPageSchema = pageOf(TokenRowSchema.extend(TokenRowRevocationFields));
export const IdentityPageSchema = pageOf(IdentityRowSchema);
export const FindingPageSchema = pageOf(FindingRowSchema);
export const EventPageSchema = pageOf(EventRowSchema);

const RiskContributionSchema = z.object({
  dedupeKey: z.string(),
  rule: z.string(),
  ruleLabel: z.string(),
  severity: z.string(),
  weight: z.number(),
  contribution: z.number(),
});

export const RiskScoreSchema = z.object({
  score: z.number().int(),
  band: z.string(),
  breakdown: z.array(RiskContributionSchema),
  bySeverity: z.record(z.string(), z.object({ label: z.string(), count: z.number().int(), points: z.number() })),
  accepted: z.number().int(),
});

/** What Holdfast may claim about a token: `state` ("revoked" only once the issuer confirmed) and its latest revocation. */
const TokenTruthFields = { state: z.string(), revocation: TokenRevocationSchema.nullable() };

export const TokenDetailSchema = z.object({
  token: TokenRowSchema.extend({
    subject: nullable(z.string()),
    clientId: nullable(z.string()),
    cnfX5tS256: nullable(z.string()),
    cnfJkt: nullable(z.string()),
    bindingAnomaly: z.boolean(),
    certificateId: nullable(z.string()),
    ...TokenTruthFields,
  }),
  identity: z.object({ id: z.string(), name: z.string(), kind: z.string(), owner: nullable(z.string()), transport: z.string() }),
  gateways: z.array(
    z.object({ gateway: z.string(), events: z.number().int(), ok: z.number().int(), failures: z.number().int(), verdicts: z.record(z.string(), z.number().int()), firstAt: iso, lastAt: iso }),
  ),
  findings: z.array(FindingRowSchema),
  recommendation: z
    .object({ tokenId: z.string(), identityId: z.string(), method: z.enum(['mtls', 'dpop']), reason: z.string(), methodLabel: z.string(), why: z.string() })
    .nullable(),
  controls: z.array(z.object({ framework: z.string(), controlId: z.string(), rule: z.string(), rationale: z.string() })),
});

export const IdentityDetailSchema = z.object({
  identity: z.object({
    id: z.string(),
    name: z.string(),
    displayName: nullable(z.string()),
    kind: z.string(),
    owner: nullable(z.string()),
    ownerStatus: z.string(),
    status: z.string(),
    environment: nullable(z.string()),
    transport: z.string(),
    spiffeId: nullable(z.string()),
    clientId: nullable(z.string()),
    createdAt: iso,
    lastSeenAt: nullable(iso),
    decommissionedAt: nullable(iso),
  }),
  risk: RiskScoreSchema,
  tokens: z.array(TokenRowSchema.extend(TokenTruthFields)),
  tokensTruncated: z.boolean(),
  certificates: z.array(
    z.object({ id: z.string(), x5tS256: z.string(), subjectDn: nullable(z.string()), issuerDn: nullable(z.string()), notAfter: nullable(iso), status: z.string(), caName: nullable(z.string()) }),
  ),
  keys: z.array(z.object({ jkt: z.string(), tokens: z.number().int(), events: z.number().int(), lastAt: nullable(iso) })),
  failures: z.array(z.object({ day: z.string(), verdict: z.string(), n: z.number().int() })),
  findings: z.array(FindingRowSchema),
});

export const AcknowledgeBodySchema = z.object({
  ids: z.array(z.string().uuid()).min(1).max(1000),
  reason: storableString().trim().min(3).max(500),
  until: z.string().datetime({ offset: true }).describe('expiry of the risk acceptance, at most 365 days ahead'),
});

export const AcknowledgeResultSchema = z.object({ acknowledged: z.array(z.string()), skipped: z.array(z.string()), until: iso });

export const EvaluateResultSchema = z.object({
  evaluatedAt: iso,
  drafts: z.number().int(),
  opened: z.number().int(),
  updated: z.number().int(),
  reopened: z.number().int(),
  resolved: z.number().int(),
  active: z.record(z.string(), z.number().int()),
  durationMs: z.number().int(),
});

export const CertificateDetailSchema = z.object({
  certificate: z.object({
    id: z.string(),
    x5tS256: z.string().describe('RFC 8705 x5t#S256: base64url SHA-256 of the DER certificate'),
    sha1Hex: nullable(z.string()),
    subjectDn: nullable(z.string()),
    issuerDn: nullable(z.string()),
    serial: nullable(z.string()),
    notBefore: nullable(iso),
    notAfter: nullable(iso),
    status: z.string(),
    caName: nullable(z.string()),
    createdAt: iso,
    revokedAt: nullable(iso),
    revocationReason: nullable(z.string()).describe('crl:<reason> when a trusted CA\'s CRL lists the certificate (revokedAt is then the CRL\'s revocation time); null when Holdfast revoked it or it is not revoked'),
    pem: nullable(z.string()).describe('The certificate as PEM when a gateway line carried it whole (certificates are public); null when the logs gave only its facts'),
  }),
  identity: z.object({ id: z.string(), name: z.string(), kind: z.string() }).nullable(),
  tokens: z.array(
    z.object({ id: z.string(), fingerprint: z.string(), identityId: z.string(), identity: z.string(), binding: z.string(), status: z.string(), issuer: nullable(z.string()), expiresAt: nullable(iso), lastSeenAt: nullable(iso) }),
  ),
  tokensTruncated: z.boolean(),
  events: z.array(EventRowSchema),
  findings: z.array(FindingRowSchema),
});
