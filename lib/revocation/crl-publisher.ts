// Built-in CRL publisher for an organisation's CA whose signing key is configured in Holdfast.
// The CRL lists every certificate of that CA that Holdfast holds as revoked, is signed with
// @peculiar/x509, and is stored (Setting `crl:<ca>`) for `/crl/<ca>.crl` (DER) and
// `/crl/<ca>.pem` to serve. PEM uses the label `X509 CRL`: the library's own `BEGIN CRL` is
// rejected by OpenSSL and NGINX. A gateway fails every handshake once nextUpdate passes, so
// a CRL is re-signed when it is past half its validity (lib/revocation/crl-route.ts).
import { createPrivateKey, webcrypto } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { z } from 'zod';
import type { Database } from '../db/open.ts';
import { peculiarX509 } from '../trust/peculiar-x509.ts';
import { ConnectorError, type LegTarget, type RevocationConnector } from './types.ts';

export const crlConfigSchema = z.object({
  caName: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dot, dash, underscore'),
  caCertPem: z.string().includes('BEGIN CERTIFICATE'),
  /** Validity of each CRL (nextUpdate − thisUpdate). */
  nextUpdateSeconds: z.number().int().min(60).max(90 * 86400).default(7 * 86400),
});
export type CrlConfig = z.infer<typeof crlConfigSchema>;
export const crlSecretsSchema = z.object({ caKeyPem: z.string().includes('PRIVATE KEY') });
export type CrlSecrets = z.infer<typeof crlSecretsSchema>;

export interface PublishedCrl {
  pem: string;
  crlNumber: number;
  thisUpdate: string;
  nextUpdate: string;
  serials: string[];
}

export const crlSettingKey = (caName: string) => `crl:${caName}`;

/** Normalises a serial to lowercase hex without separators or leading zero bytes. */
export function normalizeSerial(serial: string): string {
  const hex = serial.replace(/[:\s]/g, '').toLowerCase();
  return hex.replace(/^(00)+(?=[0-9a-f])/, '') || '0';
}

async function importSigningKey(pem: string): Promise<{ key: CryptoKey; algorithm: Algorithm | EcdsaParams }> {
  const k = createPrivateKey(pem);
  const der = k.export({ type: 'pkcs8', format: 'der' });
  if (k.asymmetricKeyType === 'ec') {
    const curve = k.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : null;
    if (!namedCurve) throw new ConnectorError(`CA key curve ${curve} is not supported`, false);
    const hash = namedCurve === 'P-256' ? 'SHA-256' : namedCurve === 'P-384' ? 'SHA-384' : 'SHA-512';
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
    return { key: key as CryptoKey, algorithm: { name: 'ECDSA', hash } as EcdsaParams };
  }
  if (k.asymmetricKeyType === 'rsa') {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const key = await webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']);
    return { key: key as CryptoKey, algorithm: alg };
  }
  throw new ConnectorError(`CA key type ${k.asymmetricKeyType} is not supported`, false);
}

// CRL number (RFC 5280 §5.2.3): a non-critical INTEGER extension, DER-encoded by hand.
function crlNumberExtension(lib: typeof x509, n: number): x509.Extension {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return new lib.Extension('2.5.29.20', false, Buffer.concat([Buffer.from([0x02, body.length]), body]));
}

/** Signs a fresh CRL for the CA from the revoked certificates in the database and stores it. */
export async function publishCrl(db: Database, config: CrlConfig, secrets: CrlSecrets, now: Date): Promise<PublishedCrl> {
  const lib = await peculiarX509();
  const caCert = new lib.X509Certificate(config.caCertPem);
  const { key, algorithm } = await importSigningKey(secrets.caKeyPem);
  return db.prisma.$transaction(async (tx) => {
    // One publisher at a time per CA, so CRL numbers only grow.
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(727002, hashtext($1))`, config.caName);
    const revoked = await tx.certificate.findMany({
      where: { caName: config.caName, status: 'revoked', serial: { not: null } },
      select: { serial: true, revokedAt: true },
      orderBy: { revokedAt: 'asc' },
    });
    const prev = await tx.setting.findUnique({ where: { key: crlSettingKey(config.caName) } });
    const crlNumber = ((prev?.value as PublishedCrl | undefined)?.crlNumber ?? 0) + 1;
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + config.nextUpdateSeconds * 1000);
    const serials = revoked.map((r) => normalizeSerial(r.serial!));
    const crl = await lib.X509CrlGenerator.create({
      issuer: caCert.subjectName.toString(),
      thisUpdate,
      nextUpdate,
      signingAlgorithm: algorithm,
      signingKey: key,
      extensions: [crlNumberExtension(lib, crlNumber)],
      entries: revoked.map((r, i) => ({ serialNumber: serials[i]!, revocationDate: r.revokedAt ?? thisUpdate, reason: lib.X509CrlReason.unspecified })),
    });
    const pem = lib.PemConverter.encode(crl.rawData, 'X509 CRL');
    const value: PublishedCrl = { pem, crlNumber, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(), serials };
    await tx.setting.upsert({ where: { key: crlSettingKey(config.caName) }, create: { key: crlSettingKey(config.caName), value: value as object }, update: { value: value as object } });
    return value;
  });
}

export async function readPublishedCrl(db: Database, caName: string): Promise<PublishedCrl | null> {
  const row = await db.prisma.setting.findUnique({ where: { key: crlSettingKey(caName) } });
  return (row?.value as PublishedCrl | undefined) ?? null;
}

/** Parses the published CRL, checks its signature against the CA and that `serial` is listed. */
export async function crlListsSerial(pem: string, caCertPem: string, serial: string): Promise<boolean> {
  const lib = await peculiarX509();
  const crl = new lib.X509Crl(pem);
  const ca = new lib.X509Certificate(caCertPem);
  if (!(await crl.verify({ publicKey: ca.publicKey }))) throw new ConnectorError('published CRL does not verify with the CA certificate', false);
  const want = normalizeSerial(serial);
  return crl.entries.some((e) => normalizeSerial(e.serialNumber) === want);
}

export function createCrlConnector(name: string, config: CrlConfig, secrets: CrlSecrets, db: Database): RevocationConnector {
  return {
    kind: 'crl',
    name,
    async execute(target: LegTarget, ctx) {
      const cert = target.certificate;
      if (target.kind !== 'certificate' || !cert) throw new ConnectorError('the CRL publisher revokes certificates, not tokens', false);
      if (!cert.serial) throw new ConnectorError('certificate has no serial number', false);
      if (cert.caName !== config.caName) throw new ConnectorError(`certificate belongs to CA ${cert.caName ?? '(unknown)'}, not ${config.caName}`, false);
      const published = await publishCrl(db, config, secrets, ctx.now());
      // Confirm from what will be served, not from what was meant to be written.
      const stored = await readPublishedCrl(db, config.caName);
      if (!stored || !(await crlListsSerial(stored.pem, config.caCertPem, cert.serial))) {
        throw new ConnectorError('serial missing from the published CRL', true);
      }
      return { detail: `listed in CRL #${published.crlNumber} of ${config.caName} (nextUpdate ${published.nextUpdate})` };
    },
    async testConnection(ctx) {
      // Signs a throwaway empty CRL and verifies it with the CA certificate: proves the key
      // loads and belongs to that certificate, without publishing anything.
      const lib = await peculiarX509();
      const caCert = new lib.X509Certificate(config.caCertPem);
      const { key, algorithm } = await importSigningKey(secrets.caKeyPem);
      const now = ctx.now();
      const crl = await lib.X509CrlGenerator.create({ issuer: caCert.subjectName.toString(), thisUpdate: now, nextUpdate: new Date(now.getTime() + 60_000), signingAlgorithm: algorithm, signingKey: key });
      if (!(await crl.verify({ publicKey: caCert.publicKey }))) throw new ConnectorError('the CA key does not match the CA certificate', false);
      return { detail: `CA ${caCert.subject}: signing key matches the certificate` };
    },
  };
}
