// Connectors as stored rows: non-secret settings in `config` (clear JSON), secrets sealed with
// the instance key (lib/crypto/seal.ts) in `sealedSecrets`, bound to the row id. Listing never
// returns secrets; which connector serves a leg is decided here, in one place.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { openSecret, sealSecret } from '../crypto/seal.ts';
import type { Database } from '../db/open.ts';
import { HoldfastError } from '../errors.ts';
import { createCrlConnector, crlConfigSchema, crlSecretsSchema } from './crl-publisher.ts';
import { createKeycloakConnector, keycloakConfigSchema, keycloakSecretsSchema } from './keycloak-connector.ts';
import { createOauthConnector, oauthConfigSchema, oauthSecretsSchema } from './oauth-connector.ts';
import type { ConnectorKind, LegTarget, RevocationConnector } from './types.ts';
import { createStepCaConnector, stepCaConfigSchema, stepCaSecretsSchema } from './step-ca-connector.ts';
import { createVaultPkiConnector, vaultPkiConfigSchema, vaultPkiSecretsSchema } from './vault-pki-connector.ts';
import { createWebhookConnector, webhookConfigSchema, webhookSecretsSchema } from './webhook-connector.ts';

const SCHEMAS = {
  oauth: { config: oauthConfigSchema, secrets: oauthSecretsSchema, serves: 'token' },
  keycloak: { config: keycloakConfigSchema, secrets: keycloakSecretsSchema, serves: 'token' },
  webhook: { config: webhookConfigSchema, secrets: webhookSecretsSchema, serves: 'both' },
  crl: { config: crlConfigSchema, secrets: crlSecretsSchema, serves: 'certificate' },
  'vault-pki': { config: vaultPkiConfigSchema, secrets: vaultPkiSecretsSchema, serves: 'certificate' },
  'step-ca': { config: stepCaConfigSchema, secrets: stepCaSecretsSchema, serves: 'certificate' },
} as const;
export type StoredConnectorKind = keyof typeof SCHEMAS;
export const STORED_CONNECTOR_KINDS = Object.keys(SCHEMAS) as StoredConnectorKind[];

export const createConnectorInput = z.object({
  name: z.string().trim().min(1).max(100),
  kind: z.enum(STORED_CONNECTOR_KINDS as [StoredConnectorKind, ...StoredConnectorKind[]]),
  /** Token issuer (`iss`) this connector serves; `*` for any. */
  matchIssuer: z.string().trim().min(1).max(500).nullish(),
  /** CA name (Certificate.caName) this connector serves; `*` for any. */
  matchCa: z.string().trim().min(1).max(200).nullish(),
  config: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(z.string(), z.unknown()).default({}),
});
export type CreateConnectorInput = z.input<typeof createConnectorInput>;

export interface ConnectorSummary {
  id: string;
  name: string;
  kind: string;
  matchIssuer: string | null;
  matchCa: string | null;
  config: Record<string, unknown>;
  hasSecrets: boolean;
  createdAt: Date;
}

const aad = (id: string) => `connector:${id}`;

export async function createConnector(db: Database, key: Buffer, input: CreateConnectorInput, actor: string): Promise<ConnectorSummary> {
  const parsed = createConnectorInput.parse(input);
  const schema = SCHEMAS[parsed.kind];
  const config = schema.config.safeParse(parsed.config);
  if (!config.success) throw new HoldfastError('validation_failed', `config: ${config.error.issues[0]!.path.join('.')} ${config.error.issues[0]!.message}`);
  const secrets = schema.secrets.safeParse(parsed.secrets);
  if (!secrets.success) throw new HoldfastError('validation_failed', `secrets: ${secrets.error.issues[0]!.path.join('.')} ${secrets.error.issues[0]!.message}`);
  if (parsed.kind === 'crl') parsed.matchCa ??= (config.data as { caName: string }).caName;
  if (!parsed.matchIssuer && !parsed.matchCa) throw new HoldfastError('validation_failed', 'name the issuer (matchIssuer) or CA (matchCa) this connector serves');
  const id = randomUUID();
  const sealed = sealSecret(key, JSON.stringify(secrets.data), aad(id));
  const row = await db.prisma.$transaction(async (tx) => {
    if (await tx.connector.findUnique({ where: { name: parsed.name } })) throw new HoldfastError('conflict', `a connector named ${parsed.name} exists`);
    const created = await tx.connector.create({
      data: { id, name: parsed.name, kind: parsed.kind, matchIssuer: parsed.matchIssuer ?? null, matchCa: parsed.matchCa ?? null, config: config.data as object, sealedSecrets: sealed },
    });
    await appendAuditEntry(tx, { actor, action: 'connector.create', target: `connector:${id}`, details: { name: parsed.name, kind: parsed.kind, matchIssuer: parsed.matchIssuer ?? null, matchCa: parsed.matchCa ?? null } });
    return created;
  });
  return summarize(row);
}

export const updateConnectorInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    matchIssuer: z.string().trim().min(1).max(500).nullable(),
    matchCa: z.string().trim().min(1).max(200).nullable(),
    /** Replaces the whole non-secret config (validated against the kind). */
    config: z.record(z.string(), z.unknown()),
    /** Replaces the secrets when given; omitted, the sealed ones are kept. Never echoed. */
    secrets: z.record(z.string(), z.unknown()),
  })
  .partial()
  .strict();
export type UpdateConnectorInput = z.input<typeof updateConnectorInput>;

/**
 * Edits a connector (its kind stays): name, what it serves, config, and — only when given —
 * its secrets, sealed again. Audited with the names of the changed fields, never their secret
 * values. The worker's resolver picks changes up within its few-second cache.
 */
export async function updateConnector(db: Database, key: Buffer, id: string, input: UpdateConnectorInput, actor: string): Promise<ConnectorSummary> {
  const parsed = updateConnectorInput.parse(input);
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.connector.findUnique({ where: { id } });
    if (!row) throw new HoldfastError('not_found', 'no such connector');
    const schema = SCHEMAS[row.kind as StoredConnectorKind];
    if (!schema) throw new HoldfastError('validation_failed', `connector kind ${row.kind} is not supported`);
    const data: { name?: string; matchIssuer?: string | null; matchCa?: string | null; config?: object; sealedSecrets?: string } = {};
    if (parsed.name !== undefined && parsed.name !== row.name) {
      if (await tx.connector.findUnique({ where: { name: parsed.name } })) throw new HoldfastError('conflict', `a connector named ${parsed.name} exists`);
      data.name = parsed.name;
    }
    if (parsed.matchIssuer !== undefined) data.matchIssuer = parsed.matchIssuer;
    if (parsed.matchCa !== undefined) data.matchCa = parsed.matchCa;
    if (parsed.config !== undefined) {
      const config = schema.config.safeParse(parsed.config);
      if (!config.success) throw new HoldfastError('validation_failed', `config: ${config.error.issues[0]!.path.join('.')} ${config.error.issues[0]!.message}`);
      data.config = config.data as object;
    }
    if (parsed.secrets !== undefined) {
      const secrets = schema.secrets.safeParse(parsed.secrets);
      if (!secrets.success) throw new HoldfastError('validation_failed', `secrets: ${secrets.error.issues[0]!.path.join('.')} ${secrets.error.issues[0]!.message}`);
      data.sealedSecrets = sealSecret(key, JSON.stringify(secrets.data), aad(id));
    }
    const matchIssuer = data.matchIssuer !== undefined ? data.matchIssuer : row.matchIssuer;
    const matchCa = data.matchCa !== undefined ? data.matchCa : row.matchCa;
    if (!matchIssuer && !matchCa) throw new HoldfastError('validation_failed', 'name the issuer (matchIssuer) or CA (matchCa) this connector serves');
    const updated = await tx.connector.update({ where: { id }, data });
    const changed = Object.keys(data).map((k) => (k === 'sealedSecrets' ? 'secrets' : k));
    await appendAuditEntry(tx, {
      actor,
      action: 'connector.update',
      target: `connector:${id}`,
      details: { name: updated.name, kind: updated.kind, changed, matchIssuer: updated.matchIssuer, matchCa: updated.matchCa },
    });
    return summarize(updated);
  });
}

/** Deletes a connector; legs it carried keep their history. Audited. */
export async function deleteConnector(db: Database, id: string, actor: string): Promise<{ id: string; name: string }> {
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.connector.findUnique({ where: { id }, select: { id: true, name: true, kind: true, matchIssuer: true, matchCa: true } });
    if (!row) throw new HoldfastError('not_found', 'no such connector');
    await tx.connector.delete({ where: { id } });
    await appendAuditEntry(tx, { actor, action: 'connector.delete', target: `connector:${id}`, details: { name: row.name, kind: row.kind, matchIssuer: row.matchIssuer, matchCa: row.matchCa } });
    return { id: row.id, name: row.name };
  });
}

function summarize(row: { id: string; name: string; kind: string; matchIssuer: string | null; matchCa: string | null; config: unknown; sealedSecrets: string | null; createdAt: Date }): ConnectorSummary {
  // Certificates and CA names are public; keys never live in config.
  return { id: row.id, name: row.name, kind: row.kind, matchIssuer: row.matchIssuer, matchCa: row.matchCa, config: row.config as Record<string, unknown>, hasSecrets: !!row.sealedSecrets, createdAt: row.createdAt };
}

export async function listConnectors(db: Database): Promise<ConnectorSummary[]> {
  const rows = await db.prisma.connector.findMany({ orderBy: { createdAt: 'asc' } });
  return rows.map(summarize);
}

/** Builds the live connector of a stored row (opens its secrets). */
export function buildConnector(db: Database, key: Buffer, row: { id: string; name: string; kind: string; config: unknown; sealedSecrets: string | null }): RevocationConnector {
  const secrets = row.sealedSecrets ? (JSON.parse(openSecret(key, row.sealedSecrets, aad(row.id))) as unknown) : {};
  switch (row.kind as ConnectorKind) {
    case 'oauth':
      return createOauthConnector(row.name, oauthConfigSchema.parse(row.config), oauthSecretsSchema.parse(secrets));
    case 'keycloak':
      return createKeycloakConnector(row.name, keycloakConfigSchema.parse(row.config), keycloakSecretsSchema.parse(secrets));
    case 'webhook':
      return createWebhookConnector(row.name, webhookConfigSchema.parse(row.config), webhookSecretsSchema.parse(secrets));
    case 'crl':
      return createCrlConnector(row.name, crlConfigSchema.parse(row.config), crlSecretsSchema.parse(secrets), db);
    case 'vault-pki':
      return createVaultPkiConnector(row.name, vaultPkiConfigSchema.parse(row.config), vaultPkiSecretsSchema.parse(secrets));
    case 'step-ca':
      return createStepCaConnector(row.name, stepCaConfigSchema.parse(row.config), stepCaSecretsSchema.parse(secrets));
    default:
      throw new HoldfastError('validation_failed', `connector kind ${row.kind} is not supported`);
  }
}

export type ConnectorResolver = (target: LegTarget) => Promise<{ id: string; connector: RevocationConnector } | null>;

/**
 * The connector for a leg: a token by its issuer, a certificate by its CA name; an exact match
 * wins over `*`. Webhook connectors serve both kinds; oauth and keycloak only tokens; crl/vault only certificates.
 */
export function dbConnectorResolver(db: Database, key: Buffer, opts: { cacheMs?: number } = {}): ConnectorResolver {
  // A bulk revocation resolves the same connector for every leg: keep the built connector
  // (secrets opened once) for a few seconds; a new or changed connector applies after that.
  const cacheMs = opts.cacheMs ?? 5000;
  const cache = new Map<string, { at: number; value: { id: string; connector: RevocationConnector } | null }>();
  return async (target) => {
    const isToken = target.kind === 'token';
    const value = isToken ? target.token?.issuer : target.certificate?.caName;
    const cacheKey = `${target.kind}|${value ?? ''}`;
    const hit = cache.get(cacheKey);
    if (hit && Date.now() - hit.at < cacheMs) return hit.value;
    const rows = await db.prisma.connector.findMany({
      where: isToken ? { matchIssuer: { in: [value ?? '', '*'] } } : { matchCa: { in: [value ?? '', '*'] } },
      orderBy: { createdAt: 'asc' },
    });
    const fits = rows.filter((r) => {
      const serves = SCHEMAS[r.kind as StoredConnectorKind]?.serves;
      return serves === 'both' || serves === target.kind;
    });
    const pick = fits.find((r) => (isToken ? r.matchIssuer : r.matchCa) === value) ?? fits[0];
    const resolved = pick ? { id: pick.id, connector: buildConnector(db, key, pick) } : null;
    // A miss is not cached: the fix for "no connector" is adding one, then pressing retry.
    if (resolved && cacheMs > 0) cache.set(cacheKey, { at: Date.now(), value: resolved });
    return resolved;
  };
}

/**
 * Which connector would serve each issuer (tokens) and CA (certificates), by the resolver's
 * rule (exact match over `*`, kinds that serve the leg's kind); null where none does, so the
 * revoke dialog can warn before a leg fails with "no connector serves …".
 */
export async function connectorCoverage(
  db: Database,
  want: { issuers: readonly (string | null)[]; cas: readonly (string | null)[] },
): Promise<{ issuers: Map<string, string | null>; cas: Map<string, string | null> }> {
  const rows = await db.prisma.connector.findMany({ select: { name: true, kind: true, matchIssuer: true, matchCa: true }, orderBy: { createdAt: 'asc' } });
  const pick = (kind: 'token' | 'certificate', value: string) => {
    const fits = rows.filter((r) => {
      const serves = SCHEMAS[r.kind as StoredConnectorKind]?.serves;
      const match = kind === 'token' ? r.matchIssuer : r.matchCa;
      return (serves === 'both' || serves === kind) && (match === value || match === '*');
    });
    return (fits.find((r) => (kind === 'token' ? r.matchIssuer : r.matchCa) === value) ?? fits[0])?.name ?? null;
  };
  return {
    issuers: new Map(want.issuers.map((i) => [i ?? '', pick('token', i ?? '')])),
    cas: new Map(want.cas.map((c) => [c ?? '', pick('certificate', c ?? '')])),
  };
}

export async function testConnector(db: Database, key: Buffer, id: string, timeoutMs = 10_000): Promise<{ ok: boolean; detail: string }> {
  const row = await db.prisma.connector.findUnique({ where: { id } });
  if (!row) throw new HoldfastError('not_found', 'no such connector');
  try {
    const r = await buildConnector(db, key, row).testConnection({ now: () => new Date(), timeoutMs });
    return { ok: true, detail: r.detail };
  } catch (e) {
    return { ok: false, detail: (e as Error).message.split('\n')[0] ?? 'failed' };
  }
}
