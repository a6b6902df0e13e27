// Revocation connectors: one per issuer (tokens) or CA (certificates). A connector both
// performs the revocation and confirms it; the worker marks a leg confirmed only when
// `execute` resolves, so "confirmed" always means the peer was asked *and* checked.

export type ConnectorKind = 'oauth' | 'keycloak' | 'webhook' | 'crl' | 'vault-pki' | 'step-ca';
export const CONNECTOR_KINDS: readonly ConnectorKind[] = ['oauth', 'keycloak', 'webhook', 'crl', 'vault-pki', 'step-ca'];

export type LegKind = 'token' | 'certificate';
export type LegState = 'pending' | 'in_progress' | 'confirmed' | 'failed';
export type RevocationState = 'pending' | 'in_progress' | 'confirmed' | 'partial' | 'failed';

/** What a connector learns about the credential to revoke. Never a raw token unless supplied. */
export interface LegTarget {
  legId: string;
  revocationId: string;
  kind: LegKind;
  reason: string;
  token?: {
    id: string;
    fingerprint: string;
    tokenType: string;
    jti: string | null;
    issuer: string | null;
    clientId: string | null;
    subject: string | null;
    /** The raw token, opened from the leg's sealed copy; only for RFC 7009. */
    raw: string | null;
  };
  certificate?: {
    id: string;
    serial: string | null;
    issuerDn: string | null;
    subjectDn: string | null;
    x5tS256: string;
    caName: string | null;
    revokedAt: Date;
  };
}

export interface ConnectorOutcome {
  /** One line for the leg's history ("introspection active=false"). */
  detail: string;
}

export interface ExecuteContext {
  now: () => Date;
  /** Bound for each outbound call. */
  timeoutMs: number;
}

export interface RevocationConnector {
  kind: ConnectorKind;
  name: string;
  /** Revokes and confirms; throws ConnectorError (retryable or not) otherwise. */
  execute(target: LegTarget, ctx: ExecuteContext): Promise<ConnectorOutcome>;
  /** Checks reachability and credentials without revoking anything. */
  testConnection(ctx: ExecuteContext): Promise<ConnectorOutcome>;
}

export class ConnectorError extends Error {
  constructor(
    message: string,
    /** false: retrying cannot help (bad credentials, missing raw token); the leg fails now. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** Turns a fetch failure (timeout, refused, reset) into a retryable one-line error. */
export function networkError(what: string, e: unknown): ConnectorError {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return new ConnectorError(`${what}: timed out`, true);
  const code = err.code ?? err.cause?.code;
  return new ConnectorError(`${what}: ${code ?? err.cause?.message ?? err.message ?? 'network error'}`, true);
}
