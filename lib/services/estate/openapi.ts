// OpenAPI 3.1 document of /api/v1, served at GET /api/v1/openapi.json (public: it describes
// the interface, holds no data). Query parameters come from the zod schema each route parses its
// query string with, response and body schemas from the routes' zod schemas (z.toJSONSchema), so
// the document cannot drift from what the server accepts and sends; routes owned by other areas
// are described by method, path, permission and summary. estate.test.ts fails when a route file
// under app/api/v1 is missing here; openapi.test.ts when a route's query schema is not the one
// documented for it.
import { z } from 'zod';
import { ApiKeyOutSchema, CreateApiKeyBodySchema, CreateUserBodySchema, RevokedApiKeySchema, UpdateUserBodySchema, UserOutSchema } from '../../auth/access-schemas.ts';
import {
  AcknowledgeBodySchema,
  AcknowledgeResultSchema,
  CertificateDetailSchema,
  EvaluateResultSchema,
  EventPageSchema,
  FindingPageSchema,
  IdentityDetailSchema,
  IdentityPageSchema,
  TokenDetailSchema,
  TokenPageSchema,
} from './schemas.ts';
import { HopQuerySchema, HopViewSchema } from './hops.ts';
import { EventQuerySchema, FindingQuerySchema, IdentityQuerySchema, TokenQuerySchema } from './lists.ts';
import { AuditEntriesQuerySchema } from '../../audit/export-audit-log.ts';
import { OidcStartQuerySchema } from '../../auth/oidc.ts';
import { RevocationListQuerySchema } from '../../revocation/revocation-queries.ts';
import { ControlsQuerySchema, FrameworkRangeQuerySchema } from '../frameworks/query-schemas.ts';
import { BatchListQuerySchema, IngestQuerySchema } from '../ingest/ingest-query.ts';
import { AddCrlBodySchema, AddTrustAnchorBodySchema, TrustAddResultSchema, TrustAnchorListSchema, TrustAnchorRemovedSchema } from '../trust/schemas.ts';
import { createPlanSchema, planExportQuerySchema, planListQuerySchema, waveConfigQuerySchema } from '../plans/schemas.ts';
import { simulationBodySchema } from '../simulation/schemas.ts';
import { HoldChangeSchema, HoldListSchema, PlaceHoldBodySchema } from '../evidence/hold-schemas.ts';
import { EvidenceStorageSchema } from '../evidence/storage-schemas.ts';

type Perm = 'public' | 'read' | 'revoke' | 'export' | 'ingest' | 'admin';
interface Op {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  permission: Perm;
  summary: string;
  tag: string;
  /** The schema the route parses its query string with (the same object: openapi.test.ts checks). */
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
  exportable?: boolean;
}

const s = { type: 'string' } as const;

export const OPERATIONS: Op[] = [
  { method: 'post', path: '/auth/sign-in', permission: 'public', tag: 'auth', summary: 'Sign in with email and password (sets the session cookie)' },
  { method: 'get', path: '/auth/oidc/start', permission: 'public', tag: 'auth', summary: 'Start OpenID Connect sign-in (code flow with PKCE); redirects to the issuer', query: OidcStartQuerySchema },
  { method: 'get', path: '/auth/oidc/callback', permission: 'public', tag: 'auth', summary: 'OpenID Connect redirect target: checks state and nonce, signs the user in' },
  { method: 'post', path: '/auth/sign-out', permission: 'read', tag: 'auth', summary: 'End this session' },
  { method: 'post', path: '/auth/sign-out-everywhere', permission: 'read', tag: 'auth', summary: 'End every session of this user' },
  { method: 'get', path: '/auth/session', permission: 'read', tag: 'auth', summary: 'Who is signed in, role and permissions' },
  { method: 'post', path: '/setup', permission: 'public', tag: 'auth', summary: 'Create the first admin with the one-time setup token' },
  { method: 'get', path: '/health', permission: 'public', tag: 'system', summary: 'Liveness and database reachability' },
  { method: 'get', path: '/openapi.json', permission: 'public', tag: 'system', summary: 'This document' },
  { method: 'get', path: '/users', permission: 'admin', tag: 'admin', summary: 'List local accounts', response: z.object({ users: UserOutSchema.array() }) },
  { method: 'post', path: '/users', permission: 'admin', tag: 'admin', summary: 'Create a local account (201); an email with a NUL, lone surrogate, control or bidirectional character is a 422', body: CreateUserBodySchema, response: UserOutSchema },
  {
    method: 'patch',
    path: '/users/{id}',
    permission: 'admin',
    tag: 'admin',
    summary: "Change a user's role and/or disable or enable them. A role change or disabling ends every session of the user at once; a change that would leave no enabled admin is a 409. Audited",
    body: UpdateUserBodySchema,
    response: UserOutSchema,
  },
  { method: 'get', path: '/api-keys', permission: 'admin', tag: 'admin', summary: 'List API keys, revoked ones too (display stubs, never the keys; ingestOnly for keys with the ingest scope or a source)', response: z.object({ apiKeys: ApiKeyOutSchema.array() }) },
  { method: 'post', path: '/api-keys', permission: 'admin', tag: 'admin', summary: 'Create an API key (201, shown once). With the ingest scope the key may only ingest, whatever its role', body: CreateApiKeyBodySchema },
  {
    method: 'post',
    path: '/api-keys/{id}/revoke',
    permission: 'admin',
    tag: 'admin',
    summary: 'Revoke an API key: every instance refuses it (401) from the next request on. Revoking a revoked key changes nothing (alreadyRevoked). Audited',
    response: RevokedApiKeySchema,
  },
  { method: 'get', path: '/audit/entries', permission: 'admin', tag: 'admin', summary: 'Audit entries as JSON lines (application/x-ndjson), streamed; ?after=SEQ', query: AuditEntriesQuerySchema },
  { method: 'get', path: '/audit/verify', permission: 'admin', tag: 'admin', summary: 'Check the audit hash chain' },
  { method: 'post', path: '/admin/seed', permission: 'admin', tag: 'admin', summary: 'Load the demo estate into an empty database, then evaluate findings' },
  { method: 'post', path: '/verify/dpop', permission: 'read', tag: 'verify', summary: 'Check a DPoP proof (RFC 9449) against method, URL, token and key' },
  { method: 'post', path: '/verify/mtls', permission: 'read', tag: 'verify', summary: 'Check an mTLS certificate binding (RFC 8705)' },
  { method: 'post', path: '/ingest', permission: 'ingest', tag: 'ingest', summary: 'Ingest a batch of gateway / IdP / scanner lines (format, source, logFormat and findings=background|wait in the query; formats nginx, apache, haproxy read the source\'s saved log format, 422 without one); answers counts, the first rejected lines, and whether findings were re-evaluated or scheduled; 409 for a body that repeats a committed batch which refused lines as past retention that would be kept now (send those lines alone)', query: IngestQuerySchema },
  { method: 'get', path: '/ingest/batches', permission: 'read', tag: 'ingest', summary: 'Ingest batches, newest first', query: BatchListQuerySchema },
  { method: 'get', path: '/sources', permission: 'admin', tag: 'ingest', summary: 'Registered log sources, each with its trusted proxies and `forwarding`: the TCP peers seen forwarding a client certificate (newest first, whether inside the trusted proxies) and the trusted networks broad enough to hold clients' },
  { method: 'post', path: '/sources', permission: 'admin', tag: 'ingest', summary: 'Register a log source ({ name, format?, description?, trustedProxies?: [CIDR] or one comma- or space-separated string }; 400 naming a bad CIDR; `warnings` names a trusted network broad enough to hold clients)' },
  { method: 'get', path: '/sources/log-formats', permission: 'read', tag: 'ingest', summary: 'Sources that keep a log format: gateway, format name and the time zone of zone-less times (never the configuration)' },
  { method: 'get', path: '/sources/{name}/log-format', permission: 'read', tag: 'ingest', summary: "A source's saved log format: gateway, name, sha256, the fields, labels and warnings it reads with; the configuration text for admins only" },
  {
    method: 'put', path: '/sources/{name}/log-format', permission: 'admin', tag: 'ingest',
    summary: "Save the gateway configuration a source's logs are read with ({ format: nginx|apache|haproxy|auto, config, logFormat? }; config at most 2 MiB). Compiled first: 422 with a one-line reason when it has no usable log format; 201 (new) or 200 (replaced) with the fields, labels and warnings. Creates the source if new. Audited by SHA-256, never the text",
  },
  { method: 'delete', path: '/sources/{name}/log-format', permission: 'admin', tag: 'ingest', summary: "Remove a source's log format (audited)" },
  {
    method: 'put', path: '/sources/{name}/trusted-proxies', permission: 'admin', tag: 'ingest',
    summary: "Set the proxies ({ trustedProxies: [CIDR or address, IPv4 or IPv6], or one comma- or space-separated string }, at most 100; [] believes any peer) a source's gateway may believe a forwarded client-certificate header from: a line carrying one from another TCP peer reads spoofed_client_cert. 400 naming a bad CIDR; 201 (new source) or 200 with the canonical list and `warnings`: one line per trusted network of more than 256 addresses (any client inside it can pose as a proxy), naming the peers seen forwarding from inside it. Audited",
  },
  { method: 'get', path: '/revocations', permission: 'read', tag: 'revocation', summary: 'Revocations and the state of each leg', query: RevocationListQuerySchema },
  { method: 'post', path: '/revocations', permission: 'revoke', tag: 'revocation', summary: 'Revoke tokens (and optionally their certificates) through the connectors' },
  { method: 'post', path: '/revocations/preview', permission: 'revoke', tag: 'revocation', summary: 'What a revocation would cover (changes nothing)' },
  { method: 'get', path: '/revocations/{id}', permission: 'read', tag: 'revocation', summary: 'One revocation with its legs and receipts (per gateway that accepted each credential: still accepting, effective, not seen since)' },
  { method: 'post', path: '/revocations/{id}/retry', permission: 'revoke', tag: 'revocation', summary: 'Retry the failed legs of a revocation' },
  { method: 'get', path: '/connectors', permission: 'admin', tag: 'revocation', summary: 'Revocation connectors (secrets never returned, only hasSecrets)' },
  { method: 'post', path: '/connectors', permission: 'admin', tag: 'revocation', summary: 'Create a revocation connector (secrets sealed at rest)' },
  { method: 'post', path: '/connectors/{id}/test', permission: 'admin', tag: 'revocation', summary: 'Test a connector against its endpoint' },
  { method: 'patch', path: '/connectors/{id}', permission: 'admin', tag: 'revocation', summary: 'Edit a connector: name, issuer/CA served, config; secrets replaced only when sent (never returned); audited' },
  { method: 'delete', path: '/connectors/{id}', permission: 'admin', tag: 'revocation', summary: 'Delete a connector (its legs keep their history); audited' },
  { method: 'get', path: '/frameworks', permission: 'read', tag: 'frameworks', summary: 'Built-in and custom control frameworks', query: FrameworkRangeQuerySchema },
  { method: 'post', path: '/frameworks', permission: 'admin', tag: 'frameworks', summary: 'Add a custom framework (validated)' },
  { method: 'get', path: '/frameworks/{id}/controls', permission: 'read', tag: 'frameworks', summary: 'Controls of a framework with their status from the evidence (with control=ID, that control\'s evidence)', query: ControlsQuerySchema },
  { method: 'get', path: '/exports', permission: 'export', tag: 'frameworks', summary: 'Framework export jobs' },
  { method: 'post', path: '/exports', permission: 'export', tag: 'frameworks', summary: 'Start a framework export (csv, json, oscal, pdf)' },
  { method: 'get', path: '/exports/{id}', permission: 'export', tag: 'frameworks', summary: 'One export job and its progress' },
  { method: 'get', path: '/exports/{id}/download', permission: 'export', tag: 'frameworks', summary: 'Download a finished export (with its SHA-256)' },
  { method: 'get', path: '/risk-policy', permission: 'read', tag: 'findings', summary: 'The risk policy in force (privileged scopes and audiences, TTL limits, thresholds)' },
  { method: 'put', path: '/risk-policy', permission: 'admin', tag: 'findings', summary: 'Replace the risk policy ({ policy }); validated, audited, then every rule is re-evaluated' },
  { method: 'get', path: '/evidence/storage', permission: 'read', tag: 'estate', summary: 'The evidence store: per store (request ledger, hourly usage, notable requests, hops) its retention and setting, partitions, bytes, rows (counted, or estimated for large partitions), oldest time held and next partition due to be dropped; the latest partitions retention dropped (each an audit entry evidence.partition_dropped)', response: EvidenceStorageSchema },
  { method: 'get', path: '/evidence/holds', permission: 'read', tag: 'estate', summary: 'Evidence holds: those in force (while any is, retention drops no evidence partition), then the latest released, with who placed and released each and why', response: HoldListSchema },
  {
    method: 'post', path: '/evidence/holds', permission: 'admin', tag: 'estate',
    summary: "Place an evidence hold { reason, since? } (an investigation, a legal hold): from its commit on, retention drops no evidence partition until every hold is released; the stores keep growing meanwhile. With since (a date or an ISO 8601 time with offset, not in the future), ingest keeps lines from then on even past retention while the hold is in force (the archived logs of the matter; each batch says how many it kept so). 201; 422 for an empty reason, one over 500 characters or with control characters, or a bad since. Audited (evidence.hold_placed)",
    body: PlaceHoldBodySchema, response: HoldChangeSchema,
  },
  {
    method: 'post', path: '/evidence/holds/{id}/release', permission: 'admin', tag: 'estate',
    summary: 'Release an evidence hold: it stays listed as released. Retention resumes at the next maintenance run (within about an hour) once no hold is in force, dropping what expired meanwhile. Releasing a released hold changes nothing (alreadyReleased); 404 for an unknown id. Audited (evidence.hold_released)',
    response: HoldChangeSchema,
  },
  { method: 'get', path: '/summary', permission: 'read', tag: 'estate', summary: 'Counts: identities, tokens by binding, unbound high-risk, exposed active, findings per rule' },
  {
    method: 'get', path: '/tokens', permission: 'read', tag: 'estate', summary: 'Tokens (claims and fingerprints, never raw tokens), filtered; each row with state ("revoked" only once the issuer confirmed), revocationState and revocationId', response: TokenPageSchema, exportable: true,
    query: TokenQuerySchema,
  },
  { method: 'get', path: '/tokens/{id}', permission: 'read', tag: 'estate', summary: 'One token: claims, binding, gateways that saw it and their verdicts, findings, recommendation, mapped controls; token.state ("revoked" only once the issuer confirmed) and token.revocation (pending, failed or confirmed, with attempts and last error)', response: TokenDetailSchema },
  {
    method: 'get', path: '/identities', permission: 'read', tag: 'estate', summary: 'Non-human identities with risk score', response: IdentityPageSchema, exportable: true,
    query: IdentityQuerySchema,
  },
  { method: 'get', path: '/identities/{id}', permission: 'read', tag: 'estate', summary: 'One identity (id or name): tokens (each with state and latest revocation), certificates, DPoP keys, failures timeline, findings, risk score with breakdown', response: IdentityDetailSchema },
  { method: 'get', path: '/certificates/{id}', permission: 'read', tag: 'estate', summary: 'One certificate (id or x5t#S256): fingerprints, DNs, serial, validity, status, the certificate as PEM when a log line carried it, owner identity, every token bound to it, recent gateway events that presented it, findings', response: CertificateDetailSchema },
  {
    method: 'get', path: '/findings', permission: 'read', tag: 'findings', summary: 'Findings queue: severity, then blast radius, then recency', response: FindingPageSchema, exportable: true,
    query: FindingQuerySchema,
  },
  { method: 'post', path: '/findings/acknowledge', permission: 'read', tag: 'findings', summary: 'Accept the risk of findings with a reason until a date (≤ 365 days); history and audit are written', body: AcknowledgeBodySchema, response: AcknowledgeResultSchema },
  { method: 'post', path: '/findings/evaluate', permission: 'admin', tag: 'findings', summary: 'Re-evaluate every rule over the estate now', response: EvaluateResultSchema },
  {
    method: 'get', path: '/events', permission: 'read', tag: 'estate', summary: 'Binding events, newest first (never the redacted source line)', response: EventPageSchema, exportable: true,
    query: EventQuerySchema,
  },
  {
    method: 'get', path: '/hops', permission: 'read', tag: 'estate',
    summary: 'Hop view: per route, client → edge → backend as correlated requests showed it — what each hop checked, forwarded or stripped, counts, an example correlation id, the leaking hop',
    response: HopViewSchema,
    query: HopQuerySchema,
  },
  {
    method: 'post', path: '/plans', permission: 'read', tag: 'plans',
    summary: 'Build and save a staged rollout plan from a simulation policy ({ require: mtls|dpop|bound, maxTtlSeconds?, scope: { gateway?, routePrefix? (host/path), identity: { kind?, nameGlob? } } }) over from..to, with declared exceptions: waves 0 compliant, 1 authorization-server change only, 2 new key material (mTLS or DPoP per client, with reasons), 3 exceptions with compensating controls. 201 with the summary; 422 for an unknown selector, an empty or inverted range, or a scope without evidence. Audited',
    body: createPlanSchema,
  },
  {
    method: 'post', path: '/simulations', permission: 'read', tag: 'simulations',
    summary: 'Enforcement what-if: what requiring mtls, dpop or bound (and/or maxTtlSeconds) in a scope ({ gateway?, source?, routePrefix? (host/path), identity: { kind?, nameGlob?, privileged? }, audience? }) would have refused from..to (read in whole hours from the usage evidence): requests in total, would be refused = attacks stopped + legitimate broken (by bearer, bound without proof, context stripped, wrong mechanism, TTL over limit), already refused, already invalid, per day; identities, tokens, client networks and routes ranked by impact with exemplar ledger keys. Nothing is saved. 422 with a one-line detail for an unknown selector (or gateway/source no evidence names), conflicting requirements, an empty, inverted or over-400-day range',
    body: simulationBodySchema,
  },
  { method: 'get', path: '/plans', permission: 'read', tag: 'plans', summary: 'Saved rollout plans, newest first', query: planListQuerySchema },
  { method: 'get', path: '/plans/{id}', permission: 'read', tag: 'plans', summary: 'A saved plan (waves, identities, expected refused volume, steps, framework controls) with its progress: the policy re-run over the evidence since it was saved, per wave, in total and per day' },
  { method: 'get', path: '/plans/{id}/export', permission: 'read', tag: 'plans', summary: 'The plan and its progress as a download', query: planExportQuerySchema },
  {
    method: 'get', path: '/plans/{id}/waves/{n}/config', permission: 'read', tag: 'plans',
    summary: "A wave's configuration as a text download: the gateway's (gateway=nginx|haproxy, generated enforcement scoped to the plan's host and path; wave 3 has none, 422) or the authorization server's (authorizationServer=oidc-provider|keycloak)",
    query: waveConfigQuerySchema,
  },
  { method: 'get', path: '/trust-anchors', permission: 'read', tag: 'trust', summary: 'The CAs Holdfast judges client certificates against, each with its CRL (number, thisUpdate, nextUpdate, entries, stale) and warnings', response: TrustAnchorListSchema },
  {
    method: 'post', path: '/trust-anchors', permission: 'admin', tag: 'trust',
    summary: "Add a CA certificate (PEM text or base64 DER) and optionally its CRL, verified against the CA: 201 when the CA is new, 200 when it was already an anchor; 422 for a file that is not one certificate or CRL, or a CRL not issued and signed by the CA (delta and indirect CRLs refused); 409 for a CRL older than the one held. From then on a request a gateway accepted with a certificate the CRL lists is cert_revoked_unchecked. Audited",
    body: AddTrustAnchorBodySchema, response: TrustAddResultSchema,
  },
  { method: 'delete', path: '/trust-anchors/{id}', permission: 'admin', tag: 'trust', summary: 'Stop judging certificates against this CA (its CRL goes with it; verdicts already given stay). 404 for an unknown id. Audited', response: TrustAnchorRemovedSchema },
  {
    method: 'post', path: '/trust-anchors/{id}/crl', permission: 'admin', tag: 'trust',
    summary: "Add or replace the anchor's CRL (PEM or base64 DER): 422 when it is not the CA's (issuer, signature, delta or indirect), 409 when it is not newer than the one held (a lower CRL number, or no later thisUpdate). Audited",
    body: AddCrlBodySchema, response: TrustAddResultSchema,
  },
];

const PROBLEM = {
  type: 'object',
  properties: { type: s, title: s, status: { type: 'integer' }, code: s, detail: s },
  required: ['title', 'status', 'code'],
};

/** A zod schema as JSON Schema: what the server sends (`output`), or what it accepts (`input`). */
function jsonSchema(t: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const j = z.toJSONSchema(t, { target: 'draft-2020-12', unrepresentable: 'any', io }) as Record<string, unknown>;
  delete j.$schema;
  return j;
}

/** The query parameters a route's schema accepts: one per property of what it parses, with the description and values its parser holds. */
export function queryParameters(schema: z.ZodType): Record<string, unknown>[] {
  const j = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(j.properties ?? {}).map(([name, { description, ...value }]) => ({
    name,
    in: 'query',
    required: j.required?.includes(name) ?? false,
    ...(typeof description === 'string' ? { description } : {}),
    schema: value,
  }));
}

export function buildOpenApi(extraOperations: readonly Op[] = []): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of [...OPERATIONS, ...extraOperations]) {
    const params = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: s })),
      ...(op.query ? queryParameters(op.query) : []),
    ];
    const ok: Record<string, unknown> = { description: 'OK' };
    const content: Record<string, unknown> = {};
    if (op.response) content['application/json'] = { schema: jsonSchema(op.response) };
    else content['application/json'] = { schema: { type: 'object' } };
    if (op.exportable) {
      content['text/csv'] = { schema: { type: 'string' } };
    }
    ok.content = content;
    const responses: Record<string, unknown> = { 200: ok, default: { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: PROBLEM } } } };
    if (op.permission !== 'public') {
      responses[401] = { description: 'No or bad credentials' };
      responses[403] = { description: `Needs the ${op.permission} permission` };
    }
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      tags: [op.tag],
      operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      'x-holdfast-permission': op.permission,
      security: op.permission === 'public' ? [] : [{ session: [] }, { apiKey: [] }],
      ...(params.length ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Holdfast API',
      version: '1',
      description:
        'Govern the tokens of non-human identities. Authenticate with the session cookie (browser; unsafe methods need the x-csrf-token header) or `Authorization: Bearer <API key>`. Roles: analyst (read), operator (read, revoke, ingest), auditor (read, export), admin (all). An API key with the ingest scope, or bound to a source, may only ingest (POST /ingest), whatever its role; a source key ingests as its own source.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'hf_session' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'Holdfast API key (hf_…)' },
      },
    },
    paths,
  };
}
