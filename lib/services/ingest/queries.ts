// Read side of ingest (batches, sources) and named sources with their own ingest API keys.
import { appendAuditEntry } from '../../audit/append-audit-entry.ts';
import { createApiKey } from '../../auth/api-keys.ts';
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import { parseTrustedProxies } from '../../hops/index.ts';
import { forwardingViews, trustedProxyWarnings, type ForwardingView } from './forwarders.ts';
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
  /** CIDRs a forwarded client-certificate header is believed from (empty: any peer). */
  trustedProxies: string[];
  /** The TCP peers seen forwarding a client certificate (newest first, at most FORWARDERS_SHOWN), and the trusted networks broad enough to hold clients. */
  forwarding: ForwardingView;
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
  const forwarding = await forwardingViews(db, rows);
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
    trustedProxies: s.trustedProxies,
    forwarding: forwarding.get(s.id)!,
    keys: s.apiKeys.map((k) => ({ id: k.id, name: k.name, displayStub: k.displayStub, lastUsedAt: k.lastUsedAt?.toISOString() ?? null, revoked: !!k.revokedAt })),
  }));
}

export interface CreateSourceInput {
  name: string;
  format?: string | null;
  description?: string | null;
  /** CIDRs (or addresses) of the proxies that may forward a client certificate; see setSourceTrustedProxies. */
  trustedProxies?: readonly string[] | null;
  actor: string;
  createdById?: string | null;
}

/** Trusted proxies as typed → canonical CIDRs; bad_request (400) with a one-line reason. */
export function checkTrustedProxies(input: readonly string[]): string[] {
  const r = parseTrustedProxies(input);
  if ('error' in r) throw new HoldfastError('bad_request', `trustedProxies: ${r.error}`);
  return r.cidrs.map((c) => c.text);
}

/** A named source and its own API key (ingest scope, bound to the source; the key is returned once). */
export async function createSource(
  db: Database, input: CreateSourceInput,
): Promise<{ id: string; name: string; trustedProxies: string[]; apiKey: { id: string; key: string }; warnings: string[] }> {
  const name = input.name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/.test(name)) {
    throw new HoldfastError('validation_failed', 'name: 1 to 100 letters, digits, dot, dash, underscore, colon or @');
  }
  if (input.format && !isFormatName(input.format)) throw new HoldfastError('validation_failed', `format: unknown format "${input.format.slice(0, 40)}"`);
  const trustedProxies = checkTrustedProxies(input.trustedProxies ?? []);
  const existing = await db.prisma.source.findUnique({ where: { name }, select: { id: true } });
  if (existing) throw new HoldfastError('conflict', `a source named ${name} exists`);
  const source = await db.prisma.$transaction(async (tx) => {
    const s = await tx.source.create({ data: { name, format: input.format ?? null, description: input.description?.slice(0, 500) ?? null, trustedProxies }, select: { id: true } });
    await appendAuditEntry(tx, { actor: input.actor, action: 'source.create', target: `source:${s.id}`, details: { name, format: input.format ?? null, trustedProxies } });
    return s;
  });
  const apiKey = await createApiKey(db, { name: `source:${name}`, role: 'analyst', scopes: ['ingest'], sourceId: source.id, createdById: input.createdById ?? null, actor: input.actor });
  return { id: source.id, name, trustedProxies, apiKey, warnings: await trustedProxyWarnings(db, source.id, trustedProxies) };
}

/**
 * Sets (replaces) the proxies a source's gateway may believe a forwarded client-certificate header
 * from: a backend line carrying one from any other peer reads spoofed_client_cert (lib/hops
 * trusted-proxies.ts). An empty list believes any peer again. Applies to batches ingested from now
 * on. A source that does not exist yet is created, as an ingest naming it would. Audited.
 */
export async function setSourceTrustedProxies(
  db: Database, input: { source: string; trustedProxies: readonly string[]; actor: string },
): Promise<{ source: string; trustedProxies: string[]; created: boolean; warnings: string[] }> {
  const name = input.source.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/.test(name)) throw new HoldfastError('validation_failed', 'source: 1 to 100 letters, digits, dot, dash, underscore, colon or @');
  const trustedProxies = checkTrustedProxies(input.trustedProxies);
  const saved = await db.prisma.$transaction(async (tx) => {
    const before = await tx.source.findUnique({ where: { name }, select: { id: true, trustedProxies: true } });
    const s = before
      ? await tx.source.update({ where: { id: before.id }, data: { trustedProxies }, select: { id: true } })
      : await tx.source.create({ data: { name, trustedProxies }, select: { id: true } });
    await appendAuditEntry(tx, {
      actor: input.actor, action: 'source.trusted_proxies.set', target: `source:${s.id}`,
      details: { source: name, trustedProxies, previous: before?.trustedProxies ?? null, sourceCreated: !before },
    });
    return { id: s.id, source: name, trustedProxies, created: !before };
  });
  const { id, ...rest } = saved;
  return { ...rest, warnings: await trustedProxyWarnings(db, id, trustedProxies) };
}
