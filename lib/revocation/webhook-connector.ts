// Generic webhook: a JSON description of the credential, HMAC-SHA256 signed. For peers with no
// standard revocation API (an in-house token service, a CA with a custom front end). The raw
// token is never sent; the receiver identifies the credential by id, fingerprint, jti or serial.
//
// Headers: `x-holdfast-timestamp: <unix seconds>`, `x-holdfast-signature: v1=<hex HMAC-SHA256
// over "<timestamp>.<body>">`, `idempotency-key: <leg id>` (a retried leg repeats it).
// Confirmation: the receiver answers 2xx with `{ "revoked": true }` once the credential no
// longer works; anything else is not a confirmation.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { httpRequest, parseJson } from './http.ts';
import { ConnectorError, type ExecuteContext, type LegTarget, type RevocationConnector } from './types.ts';

export const webhookConfigSchema = z.object({
  url: z.string().url(),
  caPem: z.string().optional(),
});
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
export const webhookSecretsSchema = z.object({ hmacSecret: z.string().min(16) });
export type WebhookSecrets = z.infer<typeof webhookSecretsSchema>;

export const SIGNATURE_HEADER = 'x-holdfast-signature';
export const TIMESTAMP_HEADER = 'x-holdfast-timestamp';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): checks the signature and a ±toleranceSeconds timestamp window. */
export function verifyWebhook(secret: string, headers: { timestamp: string | null; signature: string | null }, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds || !headers.signature) return false;
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

function payload(target: LegTarget, event: string) {
  return {
    event,
    revocationId: target.revocationId,
    legId: target.legId,
    kind: target.kind,
    reason: target.reason,
    token: target.token
      ? { id: target.token.id, fingerprint: target.token.fingerprint, tokenType: target.token.tokenType, jti: target.token.jti, issuer: target.token.issuer, clientId: target.token.clientId, subject: target.token.subject }
      : null,
    certificate: target.certificate
      ? { id: target.certificate.id, serial: target.certificate.serial, issuerDn: target.certificate.issuerDn, subjectDn: target.certificate.subjectDn, x5tS256: target.certificate.x5tS256 }
      : null,
  };
}

export function createWebhookConnector(name: string, config: WebhookConfig, secrets: WebhookSecrets): RevocationConnector {
  async function send(body: string, ctx: ExecuteContext, idempotencyKey: string) {
    const ts = Math.floor(ctx.now().getTime() / 1000);
    const r = await httpRequest(
      config.url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(ts),
          [SIGNATURE_HEADER]: signWebhook(secrets.hmacSecret, ts, body),
          'idempotency-key': idempotencyKey,
        },
        body,
        timeoutMs: ctx.timeoutMs,
        caPem: config.caPem,
      },
      'webhook',
    );
    if (r.status < 200 || r.status > 299) {
      throw new ConnectorError(`webhook: HTTP ${r.status}`, r.status >= 500 || r.status === 429 || r.status === 408);
    }
    return parseJson(r.text) as { revoked?: unknown; ok?: unknown } | null;
  }
  return {
    kind: 'webhook',
    name,
    async execute(target, ctx) {
      const res = await send(JSON.stringify(payload(target, 'revocation.requested')), ctx, target.legId);
      if (res?.revoked !== true) throw new ConnectorError('webhook: receiver did not confirm ({"revoked": true})', true);
      return { detail: 'webhook receiver confirmed revoked=true' };
    },
    async testConnection(ctx) {
      await send(JSON.stringify({ event: 'connection.test' }), ctx, `test-${Date.now()}`);
      return { detail: 'receiver answered 2xx to a signed test event' };
    },
  };
}
