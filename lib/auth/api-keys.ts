// API keys for gateways and scripts: `hf_` + 256 random bits, shown once, stored as SHA-256
// with a short display stub, scoped to a role (plus the `ingest` scope).
import type { Database } from '../db/open.ts';
import type { Role } from '../domain/types.ts';
import { HoldfastError } from '../errors.ts';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { randomSecret, sha256b64u } from './secrets.ts';

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

export async function createApiKey(db: Database, opts: CreateApiKeyOptions): Promise<{ id: string; key: string }> {
  const name = opts.name.trim();
  if (!name || name.length > 100) throw new HoldfastError('validation_failed', 'name: must be 1 to 100 characters');
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
  const row = await db.prisma.apiKey.findUnique({ where: { hashedKey: sha256b64u(key) } });
  if (!row || row.revokedAt) return null;
  if (!row.lastUsedAt || nowMs - row.lastUsedAt.getTime() > 60_000) {
    await db.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(nowMs) } }).catch(() => {});
  }
  return { id: row.id, name: row.name, role: row.role, scopes: row.scopes, displayStub: row.displayStub, dpopJkt: row.dpopJkt, sourceId: row.sourceId };
}

export async function revokeApiKey(db: Database, id: string, actor: string) {
  await db.prisma.$transaction(async (tx) => {
    const row = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    await appendAuditEntry(tx, { actor, action: 'apikey.revoke', target: `apikey:${row.id}`, details: { name: row.name } });
  });
}
