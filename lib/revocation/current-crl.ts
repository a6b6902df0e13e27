// The CRL to serve for a CA: the stored one while it is in the first half of its validity,
// else a freshly signed one (gateways reject every handshake once nextUpdate has passed, so
// a CRL must be renewed long before that even when nothing new was revoked).
import type { Database } from '../db/open.ts';
import { crlConfigSchema, crlSecretsSchema, publishCrl, readPublishedCrl, type PublishedCrl } from './crl-publisher.ts';
import { openSecret } from '../crypto/seal.ts';

export const CA_NAME = /^[A-Za-z0-9._-]{1,100}$/;

export async function currentCrl(db: Database, key: Buffer, caName: string, now: Date): Promise<PublishedCrl | null> {
  if (!CA_NAME.test(caName)) return null;
  const row = await db.prisma.connector.findFirst({ where: { kind: 'crl', matchCa: caName }, orderBy: { createdAt: 'asc' } });
  if (!row) return null;
  const stored = await readPublishedCrl(db, caName);
  if (stored) {
    const from = Date.parse(stored.thisUpdate);
    const to = Date.parse(stored.nextUpdate);
    if (now.getTime() < from + (to - from) / 2) return stored;
  }
  const secrets = crlSecretsSchema.parse(JSON.parse(openSecret(key, row.sealedSecrets ?? '', `connector:${row.id}`)));
  return publishCrl(db, crlConfigSchema.parse(row.config), secrets, now);
}
