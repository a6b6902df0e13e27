// Frameworks as the product serves them: the built-ins (lib/frameworks) plus the custom ones admins
// upload. A custom framework is stored as its validated JSON document in Setting
// `framework.custom:<id>` (lossless: group, publisher and sourceUrl survive, which the
// Framework/Control tables have no columns for) and re-validated on every load.
import { appendAuditEntry } from '../../audit/append-audit-entry.ts';
import type { Database } from '../../db/open.ts';
import type { Prisma } from '../../db/generated/client.ts';
import { HoldfastError } from '../../errors.ts';
import { listBuiltinFrameworks, resolveFramework, validateCustomFramework, type Framework } from '../../frameworks/index.ts';

export const CUSTOM_PREFIX = 'framework.custom:';

/** Custom frameworks stored by admins. A stored document that no longer validates is skipped. */
export async function loadCustomFrameworks(db: Database): Promise<Framework[]> {
  const rows = await db.query<{ key: string; value: unknown }>(`SELECT key, value FROM "Setting" WHERE key LIKE $1 ORDER BY key`, [`${CUSTOM_PREFIX}%`]);
  const out: Framework[] = [];
  for (const r of rows) {
    const v = validateCustomFramework(r.value);
    if (v.ok) out.push(v.framework);
  }
  return out;
}

export async function listFrameworks(db: Database): Promise<Framework[]> {
  return [...listBuiltinFrameworks(), ...(await loadCustomFrameworks(db))];
}

/** A framework by id (built-in or custom); `not_found` otherwise. */
export async function getFramework(db: Database, id: string): Promise<Framework> {
  return resolveFramework(id, await loadCustomFrameworks(db));
}

/**
 * Validates and stores (creates or replaces) a custom framework. Bad input → `validation_failed`
 * with `details.errors: [{ path, message }]` (422 at the API edge).
 */
export async function saveCustomFramework(db: Database, input: { document: unknown; actor: string }): Promise<{ framework: Framework; created: boolean }> {
  const v = validateCustomFramework(input.document);
  if (!v.ok) {
    const first = v.issues[0];
    throw new HoldfastError('validation_failed', `invalid framework: ${first ? `${first.path || '(root)'}: ${first.message}` : 'unknown'}${v.issues.length > 1 ? ` (and ${v.issues.length - 1} more)` : ''}`, {
      errors: v.issues.slice(0, 100),
    });
  }
  const f = v.framework;
  const key = `${CUSTOM_PREFIX}${f.id}`;
  // Store the normalised document (trimmed strings, defaults), which re-validates to the same framework.
  const doc = {
    id: f.id,
    name: f.name,
    version: f.version,
    ...(f.publisher !== 'custom' ? { publisher: f.publisher } : {}),
    ...(f.sourceUrl ? { sourceUrl: f.sourceUrl } : {}),
    controls: f.controls,
    mapping: f.mapping,
  } as unknown as Prisma.InputJsonValue;
  const created = await db.prisma.$transaction(async (tx) => {
    const existing = await tx.setting.findUnique({ where: { key }, select: { key: true } });
    await tx.setting.upsert({ where: { key }, create: { key, value: doc }, update: { value: doc } });
    await appendAuditEntry(tx, {
      actor: input.actor,
      action: existing ? 'framework.custom.update' : 'framework.custom.create',
      target: f.id,
      details: { name: f.name, version: f.version, controls: f.controls.length, mappings: f.mapping.length },
    });
    return !existing;
  });
  return { framework: f, created };
}
