// Test-only: the clients every enforcement test drives through a real gateway, and what each
// configuration must answer them — one table for NGINX and HAProxy, so both prove the same thing.
import type { ClientName } from '../../testing/gateway-pki.ts';
import type { RefusalReason } from '../types.ts';

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
export const nowS = () => Math.floor(Date.now() / 1000);

/** An access token as a resource server sees it: claims readable, the signature the AS's business. */
export function jwt(claims: Record<string, unknown>): string {
  return `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ iss: 'https://as.test', iat: nowS(), exp: nowS() + 3600, ...claims })}.c2lnbmF0dXJlLW9mLXRoZS1hcw`;
}

/** A JWT with exactly these claims (no iat/exp added). */
export function rawJwt(claims: Record<string, unknown>): string {
  return `${b64u({ alg: 'ES256' })}.${b64u(claims)}.c2ln`;
}

/** One client of the mTLS scenario: what it presents, and what each configuration must answer. */
export interface MtlsClient {
  path: string;
  cert: ClientName | null;
  token: 'bound' | 'bearer';
  enforced: { status: number; reason: RefusalReason | ''; challenge?: string; verdict: string; verdictReason: string | null };
  loggingOnly: { verdict: string; verdictReason: string | null };
}

export const MTLS_CLIENTS: MtlsClient[] = [
  { path: '/api/legit', cert: 'good', token: 'bound', enforced: { status: 200, reason: '', verdict: 'ok', verdictReason: null }, loggingOnly: { verdict: 'ok', verdictReason: null } },
  {
    path: '/api/stolen-other-cert', cert: 'other', token: 'bound',
    enforced: { status: 401, reason: 'x5t_mismatch', challenge: 'Bearer error="invalid_token"', verdict: 'binding_mismatch', verdictReason: 'x5t_mismatch' },
    loggingOnly: { verdict: 'bound_not_enforced', verdictReason: 'x5t_mismatch' },
  },
  {
    path: '/api/bound-no-cert', cert: null, token: 'bound',
    enforced: { status: 401, reason: 'no_certificate', challenge: 'Bearer error="invalid_token"', verdict: 'no_proof_for_bound_token', verdictReason: null },
    loggingOnly: { verdict: 'bound_not_enforced', verdictReason: 'no_certificate' },
  },
  {
    path: '/api/bearer', cert: 'good', token: 'bearer',
    enforced: { status: 401, reason: 'binding_required', challenge: 'Bearer error="invalid_token"', verdict: 'bearer_unbound', verdictReason: null },
    loggingOnly: { verdict: 'bearer_unbound', verdictReason: null },
  },
];

/** The two tokens of the mTLS scenario, bound to the `good` client certificate or to nothing. */
export function mtlsTokens(goodX5t: string): { bound: string; bearer: string } {
  return {
    bound: jwt({ client_id: 'svc-a', sub: 'svc-a', jti: 'mtls-bound-1', cnf: { 'x5t#S256': goodX5t } }),
    bearer: jwt({ client_id: 'svc-legacy', sub: 'svc-legacy', jti: 'bearer-1' }),
  };
}

/** A running gateway as the scenario drives it (NGINX or HAProxy). */
export interface ScenarioGateway {
  request(path: string, client: ClientName | null, headers?: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>;
  /** Stops the gateway and returns its request log. */
  stop(): Promise<string>;
}

export interface MtlsScenarioRun {
  /** The enforcing gateway's answer to each client, by MTLS_CLIENTS path. */
  responses: Map<string, { status: number; challenge: string | undefined }>;
  logs: { before: string; enforced: string; reportOnly: string };
}

/**
 * Drives every MTLS_CLIENTS client through the three gateways — logging-only (under /before),
 * enforcing (/enforced) and report-only (/report) — and stops them. The logging-only and
 * report-only gateways must let every request through.
 */
export async function runMtlsScenario(
  gateways: { before: ScenarioGateway; enforced: ScenarioGateway; reportOnly: ScenarioGateway },
  tokens: { bound: string; bearer: string },
): Promise<MtlsScenarioRun> {
  const responses = new Map<string, { status: number; challenge: string | undefined }>();
  for (const c of MTLS_CLIENTS) {
    const headers = { Authorization: `Bearer ${tokens[c.token]}` };
    const before = await gateways.before.request(`/before${c.path}`, c.cert, headers);
    if (before.status !== 200) throw new Error(`the logging-only gateway answered ${before.status} to ${c.path}`);
    const r = await gateways.enforced.request(`/enforced${c.path}`, c.cert, headers);
    responses.set(c.path, { status: r.status, challenge: r.headers['www-authenticate'] as string | undefined });
    const report = await gateways.reportOnly.request(`/report${c.path}`, c.cert, headers);
    if (report.status !== 200) throw new Error(`the report-only gateway answered ${report.status} to ${c.path}`);
  }
  return { responses, logs: { before: await gateways.before.stop(), enforced: await gateways.enforced.stop(), reportOnly: await gateways.reportOnly.stop() } };
}

/** What the enforcing gateway answered, next to what the table says it must (for one toEqual). */
export function answeredVsExpected(responses: MtlsScenarioRun['responses']): { got: unknown[]; want: unknown[] } {
  return {
    got: MTLS_CLIENTS.map((c) => ({ path: c.path, ...responses.get(c.path) })),
    want: MTLS_CLIENTS.map((c) => ({ path: c.path, status: c.enforced.status, challenge: c.enforced.challenge })),
  };
}
