// OAuth 2.0 authorization server: RFC 7009 revocation, then RFC 7662 introspection. RFC 7009
// answers 200 even for a token it does not know, so the leg is confirmed only when
// introspection afterwards says `active: false`.
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { z } from 'zod';
import { httpRequest, parseJson, type HttpResponse } from './http.ts';
import { ConnectorError, type ExecuteContext, type LegTarget, type RevocationConnector } from './types.ts';

export const oauthConfigSchema = z.object({
  revocationEndpoint: z.string().url(),
  introspectionEndpoint: z.string().url(),
  clientId: z.string().min(1),
  authMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth']).default('client_secret_basic'),
  /** private_key_jwt: the `aud` of the assertion (the AS issuer or token endpoint). */
  assertionAudience: z.string().optional(),
  assertionAlg: z.enum(['ES256', 'RS256', 'PS256', 'EdDSA']).default('ES256'),
  /** A private CA that signed the AS's TLS certificate. */
  caPem: z.string().optional(),
  /** tls_client_auth: the client certificate (its key is a secret). */
  clientCertPem: z.string().optional(),
});
export type OauthConfig = z.infer<typeof oauthConfigSchema>;

export const oauthSecretsSchema = z.object({
  clientSecret: z.string().optional(),
  /** private_key_jwt signing key or tls_client_auth certificate key (PKCS#8 PEM). */
  clientKeyPem: z.string().optional(),
});
export type OauthSecrets = z.infer<typeof oauthSecretsSchema>;

/** RFC 7009 §2.1 token_type_hint from Holdfast's token type. */
export function tokenTypeHint(tokenType: string): 'access_token' | 'refresh_token' {
  return tokenType === 'refresh' ? 'refresh_token' : 'access_token';
}

// RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding.
const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');

export function createOauthConnector(name: string, config: OauthConfig, secrets: OauthSecrets): RevocationConnector {
  const tls = {
    caPem: config.caPem,
    ...(config.authMethod === 'tls_client_auth' ? { certPem: config.clientCertPem, keyPem: secrets.clientKeyPem } : {}),
  };

  async function clientAuth(form: URLSearchParams, endpoint: string): Promise<Record<string, string>> {
    switch (config.authMethod) {
      case 'client_secret_basic':
        if (!secrets.clientSecret) throw new ConnectorError('connector has no client secret', false);
        return { authorization: `Basic ${Buffer.from(`${formEncode(config.clientId)}:${formEncode(secrets.clientSecret)}`).toString('base64')}` };
      case 'client_secret_post':
        if (!secrets.clientSecret) throw new ConnectorError('connector has no client secret', false);
        form.set('client_id', config.clientId);
        form.set('client_secret', secrets.clientSecret);
        return {};
      case 'private_key_jwt': {
        if (!secrets.clientKeyPem) throw new ConnectorError('connector has no client signing key', false);
        const key = await importPKCS8(secrets.clientKeyPem, config.assertionAlg);
        const assertion = await new SignJWT({})
          .setProtectedHeader({ alg: config.assertionAlg })
          .setIssuer(config.clientId)
          .setSubject(config.clientId)
          .setAudience(config.assertionAudience ?? endpoint)
          .setJti(randomUUID())
          .setIssuedAt()
          .setExpirationTime('60s')
          .sign(key);
        form.set('client_id', config.clientId);
        form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        form.set('client_assertion', assertion);
        return {};
      }
      case 'tls_client_auth':
        if (!config.clientCertPem || !secrets.clientKeyPem) throw new ConnectorError('connector has no client certificate or key', false);
        form.set('client_id', config.clientId);
        return {};
    }
  }

  async function post(endpoint: string, form: URLSearchParams, ctx: ExecuteContext, what: string): Promise<HttpResponse> {
    const headers = await clientAuth(form, endpoint);
    return httpRequest(
      endpoint,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
        body: form.toString(),
        timeoutMs: ctx.timeoutMs,
        ...tls,
      },
      what,
    );
  }

  function failure(what: string, r: HttpResponse): ConnectorError {
    const body = parseJson(r.text) as { error?: unknown } | null;
    const code = typeof body?.error === 'string' ? ` ${body.error.slice(0, 60)}` : '';
    // 5xx (RFC 7009 names 503) and 429 may pass; 4xx are configuration problems.
    const retryable = r.status >= 500 || r.status === 429 || r.status === 408;
    return new ConnectorError(`${what}: HTTP ${r.status}${code}`, retryable);
  }

  async function introspect(raw: string, hint: string, ctx: ExecuteContext): Promise<boolean> {
    const r = await post(config.introspectionEndpoint, new URLSearchParams({ token: raw, token_type_hint: hint }), ctx, 'introspection');
    if (r.status !== 200) throw failure('introspection', r);
    const body = parseJson(r.text) as { active?: unknown } | null;
    if (typeof body?.active !== 'boolean') throw new ConnectorError('introspection: response has no boolean "active"', true);
    return body.active;
  }

  return {
    kind: 'oauth',
    name,
    async execute(target: LegTarget, ctx) {
      if (target.kind !== 'token' || !target.token) throw new ConnectorError('the OAuth connector revokes tokens, not certificates', false);
      const raw = target.token.raw;
      if (!raw) {
        throw new ConnectorError('RFC 7009 needs the raw token: revoke again supplying it (Holdfast stores only fingerprints)', false);
      }
      const hint = tokenTypeHint(target.token.tokenType);
      const r = await post(config.revocationEndpoint, new URLSearchParams({ token: raw, token_type_hint: hint }), ctx, 'revocation');
      if (r.status !== 200) throw failure('revocation', r);
      const active = await introspect(raw, hint, ctx);
      if (active) throw new ConnectorError('introspection still reports active: true after revocation', true);
      return { detail: 'revoked (RFC 7009); introspection active=false' };
    },
    async testConnection(ctx) {
      // Introspecting a random value checks reachability and client authentication without
      // touching any real token: a conforming AS answers 200 { active: false }.
      const active = await introspect(`holdfast-connection-test-${randomUUID()}`, 'access_token', ctx);
      return { detail: active ? 'reachable, but a random token introspects as active (misconfigured AS?)' : 'reachable; client authenticated; introspection answers' };
    },
  };
}
