// Read side of ingest (batches, sources) and named sources with their own ingest API keys.
import { appendAuditEntry } from '../../audit/append-audit-entry.ts';
import { createApiKey } from '../../auth/api-keys.ts';
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import { isFormatName } from '../../ingest/index.ts';

export interface BatchRow {
  id: string;
  source: string | null;
  format: string;
  state: string;
  linesRead: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  errors: Array<{ line: number; reason: string; message?: string }>;
  createdBy: string | null;
  /** SHA-256 (hex) of the body as received, for committed batches. */
  contentSha256: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export async function listBatches(db: Database, opts: { limit?: number; sourceId?: string | null } = {}): Promise<BatchRow[]> {
  const limit = Math.min(Math.max(1, opts.limit ?? 50), 500);
  const rows = await db.prisma.ingestBatch.findMany({
    where: opts.sourceId ? { sourceId: opts.sourceId } : undefined,
    orderBy: { startedAt: 'desc' },
    take: limit,
    include: { source: { select: { name: true } } },
  });
  return rows.map((b) => ({
    id: b.id,
    source: b.source?.name ?? null,
    format: b.format,
    state: b.state,
    linesRead: b.linesRead,
    accepted: b.accepted,
    rejected: b.rejected,
    duplicates: b.duplicates,
    errors: Array.isArray(b.errors) ? (b.errors as BatchRow['errors']) : [],
    createdBy: b.createdBy,
    contentSha256: b.contentSha256,
    startedAt: b.startedAt.toISOString(),
    finishedAt: b.finishedAt?.toISOString() ?? null,
  }));
}

export interface SourceRow {
  id: string;
  name: string;
  format: string | null;
  description: string | null;
  createdAt: string;
  lastSeenAt: string | null;
  eventsTotal: number;
  batches: number;
  lastBatchAt: string | null;
  keys: Array<{ id: string; name: string; displayStub: string; lastUsedAt: string | null; revoked: boolean }>;
}

export async function listSources(db: Database): Promise<SourceRow[]> {
  const rows = await db.prisma.source.findMany({
    orderBy: { name: 'asc' },
    include: {
      apiKeys: { select: { id: true, name: true, displayStub: true, lastUsedAt: true, revokedAt: true }, orderBy: { createdAt: 'asc' } },
      _count: { select: { batches: true } },
      batches: { select: { startedAt: true }, orderBy: { startedAt: 'desc' }, take: 1 },
    },
  });
  return rows.map((s) => ({
    id: s.id,
    name: s.name,
    format: s.format,
    description: s.description,
    createdAt: s.createdAt.toISOString(),
    lastSeenAt: s.lastSeenAt?.toISOString() ?? null,
    eventsTotal: Number(s.eventsTotal),
    batches: s._count.batches,
    lastBatchAt: s.batches[0]?.startedAt.toISOString() ?? null,
    keys: s.apiKeys.map((k) => ({ id: k.id, name: k.name, displayStub: k.displayStub, lastUsedAt: k.lastUsedAt?.toISOString() ?? null, revoked: !!k.revokedAt })),
  }));
}

export interface CreateSourceInput {
  name: string;
  format?: string | null;
  description?: string | null;
  actor: string;
  createdById?: string | null;
}

/** A named source and its own API key (ingest scope, bound to the source; the key is returned once). */
export async function createSource(db: Database, input: CreateSourceInput): Promise<{ id: string; name: string; apiKey: { id: string; key: string } }> {
  const name = input.name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/.test(name)) {
    throw new HoldfastError('validation_failed', 'name: 1 to 100 letters, digits, dot, dash, underscore, colon or @');
  }
  if (input.format && !isFormatName(input.format)) throw new HoldfastError('validation_failed', `format: unknown format "${input.format.slice(0, 40)}"`);
  const existing = await db.prisma.source.findUnique({ where: { name }, select: { id: true } });
  if (existing) throw new HoldfastError('conflict', `a source named ${name} exists`);
  const source = await db.prisma.$transaction(async (tx) => {
    const s = await tx.source.create({ data: { name, format: input.format ?? null, description: input.description?.slice(0, 500) ?? null }, select: { id: true } });
    await appendAuditEntry(tx, { actor: input.actor, action: 'source.create', target: `source:${s.id}`, details: { name, format: input.format ?? null } });
    return s;
  });
  const apiKey = await createApiKey(db, { name: `source:${name}`, role: 'analyst', scopes: ['ingest'], sourceId: source.id, createdById: input.createdById ?? null, actor: input.actor });
  return { id: source.id, name, apiKey };
}
