// The audit log is a hash chain: each entry's hash covers the previous entry's hash and its
// own content, so changing, removing or reordering any row breaks every hash after it.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so the same content hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface AuditContent {
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}

export const GENESIS_HASH = 'genesis';

export function auditEntryHash(prevHash: string, e: AuditContent): string {
  return createHash('sha256')
    .update(
      canonicalJson({ prev: prevHash, at: e.at.toISOString(), actor: e.actor, action: e.action, target: e.target, details: e.details }),
    )
    .digest('hex');
}
