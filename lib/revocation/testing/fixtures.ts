// Test-only: a small estate (identity, tokens, a certificate from a real openssl CA); the webhook
// receiver is re-exported from its own module (the browser journeys import it without the database).
import { randomBytes, X509Certificate, createHash } from 'node:crypto';
import { fingerprintToken } from '../../credentials/fingerprint.ts';
import type { Database } from '../../db/open.ts';

export async function makeIdentity(db: Database, name = `svc-${randomBytes(4).toString('hex')}`) {
  return db.prisma.identity.create({ data: { name, kind: 'service' } });
}

export async function makeCertificate(db: Database, identityId: string, pem: string, caName: string) {
  const c = new X509Certificate(pem);
  return db.prisma.certificate.create({
    data: {
      x5tS256: createHash('sha256').update(c.raw).digest('base64url'),
      serial: c.serialNumber.toLowerCase(),
      subjectDn: c.subject,
      issuerDn: c.issuer,
      caName,
      identityId,
    },
  });
}

export async function makeToken(
  db: Database,
  identityId: string,
  opts: { raw?: string; issuer?: string; certificateId?: string; x5t?: string; binding?: 'bearer' | 'mtls' | 'dpop'; tokenType?: string } = {},
) {
  const raw = opts.raw ?? `raw-${randomBytes(12).toString('hex')}`;
  const token = await db.prisma.token.create({
    data: {
      fingerprint: fingerprintToken(raw),
      identityId,
      issuer: opts.issuer ?? 'https://as.example.test',
      binding: opts.binding ?? (opts.certificateId ? 'mtls' : 'bearer'),
      certificateId: opts.certificateId ?? null,
      cnfX5tS256: opts.x5t ?? null,
      tokenType: opts.tokenType ?? 'access',
    },
  });
  return { token, raw };
}

export { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';
