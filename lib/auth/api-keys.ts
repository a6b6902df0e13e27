// API keys for gateways and scripts: `hf_` + 256 random bits, shown once, stored as SHA-256
// with a short display stub, scoped to a role — or, with the `ingest` scope or a source binding,
// to ingest only (lib/auth/permissions.ts). Revoked keys stay listed (revokedAt) for the record.
import type { Database } from '../db/open.ts';
import type { Role } from '../domain/types.ts';
import { HoldfastError } from '../errors.ts';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { assertAcceptableName } from './names.ts';
import { isIngestOnly } from './permissions.ts';
import { randomSecret, sha256b64u } from './secrets.ts';
import { isUuid } from '../domain/uuid.ts';

export const API_KEY_SCOPES = ['ingest'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface CreateApiKeyOptions {
  name: string;
  role: Role;
  scopes?: ApiKeyScope[];
  sourceId?: string | null;
  createdById?: string | null;
  /** RFC 7638 thumbprint of the DPoP key the key is bound to (then usable only with a proof). */
  dpopJkt?: string | null;
  actor: string;
}

/** A JWK SHA-256 thumbprint: 43 base64url characters. */
export const DPOP_JKT_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The name a key is stored under (trimmed), or a validation_failed error; no database needed. */
export function apiKeyName(raw: string): string {
  const name = raw.trim();
  if (!name || name.length > 100) throw new HoldfastError('validation_failed', 'name: must be 1 to 100 characters');
  assertAcceptableName('name', name);
  return name;
}

export async function createApiKey(db: Database, opts: CreateApiKeyOptions): Promise<{ id: string; key: string }> {
  const name = apiKeyName(opts.name);
  const dpopJkt = opts.dpopJkt ?? null;
  if (dpopJkt !== null && !DPOP_JKT_PATTERN.test(dpopJkt)) throw new HoldfastError('validation_failed', 'dpopJkt: must be a JWK SHA-256 thumbprint (43 base64url characters)');
  const key = `hf_${randomSecret(32)}`;
  const displayStub = `${key.slice(0, 9)}…`;
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.apiKey.create({
      data: {
        name,
        role: opts.role,
        scopes: opts.scopes ?? [],
        hashedKey: sha256b64u(key),
        displayStub,
        sourceId: opts.sourceId ?? null,
        createdById: opts.createdById ?? null,
        dpopJkt,
      },
      select: { id: true },
    });
    await appendAuditEntry(tx, { actor: opts.actor, action: 'apikey.create', target: `apikey:${row.id}`, details: { name, role: opts.role, scopes: opts.scopes ?? [], displayStub, dpopJkt } });
    return { id: row.id, key };
  });
}

export interface ResolvedApiKey {
  id: string;
  name: string;
  role: Role;
  scopes: string[];
  displayStub: string;
  dpopJkt: string | null;
  sourceId: string | null;
}

export async function resolveApiKey(db: Database, key: string | null | undefined, nowMs = Date.now()): Promise<ResolvedApiKey | null> {
  if (!key || !key.startsWith('hf_') || key.length > 200) return null;
  // Raw SQL, not Prisma: this read runs on every API request and must keep the request's async
  // context to be answered during an embedded ingest batch (lib/db/read-gate.ts).
  const [row] = await db.query<{ id: string; name: string; role: Role; scopes: string[]; displayStub: string; dpopJkt: string | null; sourceId: string | null; revokedAt: Date | null; lastUsedAt: Date | string | null }>(
    `SELECT id::text, name, role::text AS role, scopes, "displayStub", "dpopJkt", "sourceId"::text AS "sourceId", "revokedAt", "lastUsedAt" FROM "ApiKey" WHERE "hashedKey" = $1`,
    [sha256b64u(key)],
  );
  if (!row || row.revokedAt) return null;
  // Not awaited: a read must not wait for this write (which waits for a running embedded batch).
  if (!row.lastUsedAt || nowMs - new Date(row.lastUsedAt).getTime() > 60_000) {
    void db.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(nowMs) } }).catch(() => {});
  }
  return { id: row.id, name: row.name, role: row.role, scopes: row.scopes, displayStub: row.displayStub, dpopJkt: row.dpopJkt, sourceId: row.sourceId };
}


/** One row of the key list: never the key or its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  displayStub: string;
  role: Role;
  scopes: string[];
  /** True for keys that may only ingest (ingest scope or source binding), whatever their role. */
  ingestOnly: boolean;
  source: { id: string; name: string } | null;
  dpopJkt: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Every key, newest first, revoked ones included (an admin needs to see what was shut off). */
export async function listApiKeys(db: Database): Promise<ApiKeyView[]> {
  const rows = await db.prisma.apiKey.findMany({
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    select: { id: true, name: true, displayStub: true, role: true, scopes: true, sourceId: true, source: { select: { id: true, name: true } }, dpopJkt: true, createdAt: true, lastUsedAt: true, revokedAt: true },
  });
  return rows.map(({ sourceId, source, ...k }) => ({ ...k, ingestOnly: isIngestOnly({ scopes: k.scopes, sourceId }), source: source ?? null }));
}

export interface RevokedApiKey {
  id: string;
  name: string;
  displayStub: string;
  revokedAt: Date;
  /** The key was revoked before this call; nothing changed and nothing was audited. */
  alreadyRevoked: boolean;
}

/**
 * Revokes a key. Every instance looks the key up in the database on every request
 * (resolveApiKey), so the next request with it fails everywhere at once. Revoking a revoked key
 * changes nothing (its first revocation time stays). Audited in the same transaction.
 */
export async function revokeApiKey(db: Database, id: string, actor: string): Promise<RevokedApiKey> {
  if (!isUuid(id)) throw new HoldfastError('not_found', 'no such API key');
  return db.prisma.$transaction(async (tx) => {
    // Only the first revocation writes: a concurrent second one finds no unrevoked row.
    const changed = await tx.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    const row = await tx.apiKey.findUnique({ where: { id }, select: { id: true, name: true, displayStub: true, revokedAt: true, sourceId: true } });
    if (!row || !row.revokedAt) throw new HoldfastError('not_found', 'no such API key');
    if (changed.count === 1) {
      await appendAuditEntry(tx, { actor, action: 'apikey.revoke', target: `apikey:${row.id}`, details: { name: row.name, displayStub: row.displayStub, sourceId: row.sourceId } });
    }
    return { id: row.id, name: row.name, displayStub: row.displayStub, revokedAt: row.revokedAt, alreadyRevoked: changed.count === 0 };
  });
}
