// Writes a generated estate with set-based SQL inside one transaction: either the whole
// estate lands or none of it does.
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/open.ts';
import type { NormalizedEvent } from '../domain/types.ts';
import { requestKeyOf } from '../ingest/evidence/request-key.ts';
import { DEFAULT_RETENTION } from '../services/evidence/partitions.ts';
import { stampUsageHours } from '../services/evidence/usage-versions.ts';
import { EvidenceWriter, type DecidedRequest } from '../services/evidence/writer.ts';
import type { DemoCertificate, DemoEstate, DemoEvent, DemoExposure, DemoIdentity, DemoSource, DemoToken } from './demo-estate.ts';
import { bulkInsert, withTransaction, type BulkColumn, type SqlExecutor } from '../db/bulk.ts';

/** The `holdfast seed --demo --json` shape (CONTRACT.md). */
export interface SeedCounts {
  identities: number;
  tokens: number;
  certificates: number;
  events: number;
}

export interface WriteEstateOptions {
  /** Rows per INSERT statement. */
  chunkSize?: number;
}

const sourceColumns: BulkColumn<DemoSource>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'name', type: 'text', get: (r) => r.name },
  { name: 'format', type: 'text', get: (r) => r.format },
  { name: 'description', type: 'text', get: (r) => r.description },
  { name: 'createdAt', type: 'timestamptz', get: (r) => r.createdAt },
  { name: 'lastSeenAt', type: 'timestamptz', get: (r) => r.lastSeenAt },
  { name: 'eventsTotal', type: 'int8', get: (r) => r.eventsTotal },
];

const identityColumns: BulkColumn<DemoIdentity>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'name', type: 'text', get: (r) => r.name },
  { name: 'displayName', type: 'text', get: (r) => r.displayName },
  { name: 'kind', type: 'text', get: (r) => r.kind },
  { name: 'owner', type: 'text', get: (r) => r.owner },
  { name: 'ownerStatus', type: 'text', get: (r) => r.ownerStatus },
  { name: 'status', type: 'text', get: (r) => r.status },
  { name: 'environment', type: 'text', get: (r) => r.environment },
  { name: 'transport', type: 'text', get: (r) => r.transport },
  { name: 'spiffeId', type: 'text', get: (r) => r.spiffeId },
  { name: 'clientId', type: 'text', get: (r) => r.clientId },
  { name: 'createdAt', type: 'timestamptz', get: (r) => r.createdAt },
  { name: 'lastSeenAt', type: 'timestamptz', get: (r) => r.lastSeenAt },
  { name: 'decommissionedAt', type: 'timestamptz', get: (r) => r.decommissionedAt },
];

const certificateColumns: BulkColumn<DemoCertificate>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'x5tS256', type: 'text', get: (r) => r.x5tS256 },
  { name: 'sha1Hex', type: 'text', get: (r) => r.sha1Hex },
  { name: 'subjectDn', type: 'text', get: (r) => r.subjectDn },
  { name: 'issuerDn', type: 'text', get: (r) => r.issuerDn },
  { name: 'serial', type: 'text', get: (r) => r.serial },
  { name: 'notBefore', type: 'timestamptz', get: (r) => r.notBefore },
  { name: 'notAfter', type: 'timestamptz', get: (r) => r.notAfter },
  { name: 'status', type: 'text', get: (r) => r.status },
  { name: 'identityId', type: 'uuid', get: (r) => r.identityId },
  { name: 'caName', type: 'text', get: (r) => r.caName },
  { name: 'createdAt', type: 'timestamptz', get: (r) => r.createdAt },
  { name: 'revokedAt', type: 'timestamptz', get: (r) => r.revokedAt },
];

export const tokenColumns: BulkColumn<DemoToken>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'fingerprint', type: 'text', get: (r) => r.fingerprint },
  { name: 'identityId', type: 'uuid', get: (r) => r.identityId },
  { name: 'tokenType', type: 'text', get: (r) => r.tokenType },
  { name: 'jti', type: 'text', get: (r) => r.jti },
  { name: 'issuer', type: 'text', get: (r) => r.issuer },
  { name: 'subject', type: 'text', get: (r) => r.subject },
  { name: 'clientId', type: 'text', get: (r) => r.clientId },
  { name: 'audience', type: 'text[]', get: (r) => r.audience },
  { name: 'scopes', type: 'text[]', get: (r) => r.scopes },
  { name: 'issuedAt', type: 'timestamptz', get: (r) => r.issuedAt },
  { name: 'expiresAt', type: 'timestamptz', get: (r) => r.expiresAt },
  { name: 'ttlSeconds', type: 'int4', get: (r) => r.ttlSeconds },
  { name: 'binding', type: '"Binding"', get: (r) => r.binding },
  { name: 'cnfX5tS256', type: 'text', get: (r) => r.cnfX5tS256 },
  { name: 'cnfJkt', type: 'text', get: (r) => r.cnfJkt },
  { name: 'bindingAnomaly', type: 'bool', get: (r) => r.bindingAnomaly },
  { name: 'status', type: 'text', get: (r) => r.status },
  { name: 'exposure', type: 'text', get: (r) => r.exposure },
  { name: 'privileged', type: 'bool', get: (r) => r.privileged },
  { name: 'certificateId', type: 'uuid', get: (r) => r.certificateId },
  { name: 'sourceId', type: 'uuid', get: (r) => r.sourceId },
  { name: 'firstSeenAt', type: 'timestamptz', get: (r) => r.firstSeenAt },
  { name: 'lastSeenAt', type: 'timestamptz', get: (r) => r.lastSeenAt },
  { name: 'revokedAt', type: 'timestamptz', get: (r) => r.revokedAt },
];

const exposureColumns: BulkColumn<DemoExposure>[] = [
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'dedupeKey', type: 'text', get: (r) => r.dedupeKey },
  { name: 'tokenId', type: 'uuid', get: (r) => r.tokenId },
  { name: 'fingerprint', type: 'text', get: (r) => r.fingerprint },
  { name: 'scanner', type: 'text', get: (r) => r.scanner },
  { name: 'ruleId', type: 'text', get: (r) => r.ruleId },
  { name: 'location', type: 'text', get: (r) => r.location },
  { name: 'commit', type: 'text', get: (r) => r.commit },
  { name: 'foundAt', type: 'timestamptz', get: (r) => r.foundAt },
];

/** Inserts every row of the estate through `exec` (the caller owns the transaction). */
export async function insertEstate(db: Database, exec: SqlExecutor, estate: DemoEstate, options: WriteEstateOptions = {}): Promise<SeedCounts> {
  const chunk = options.chunkSize ?? 5000;
  // A gateway source an admin registered before seeding (say, with its ingest API key) is
  // reused under its own id rather than colliding on the unique name.
  const { rows } = await exec('SELECT id::text AS id, name FROM "Source" WHERE name = ANY($1::text[])', [estate.sources.map((s) => s.name)]);
  const existing = new Map((rows as Array<{ id: string; name: string }>).map((r) => [r.name, r.id]));
  const remap = new Map<string, string>();
  for (const s of estate.sources) {
    const id = existing.get(s.name);
    if (id) remap.set(s.id, id);
  }
  const sourceOf = (id: string) => remap.get(id) ?? id;
  const remapped = <R extends { sourceId: string }>(cols: BulkColumn<R>[]): BulkColumn<R>[] =>
    cols.map((c) => (c.name === 'sourceId' ? { ...c, get: (r: R) => sourceOf(r.sourceId) } : c));

  // Parents before children: sources and identities, then certificates, tokens, the rest.
  await bulkInsert(exec, 'Source', sourceColumns, estate.sources.filter((s) => !remap.has(s.id)), chunk);
  for (const s of estate.sources.filter((x) => remap.has(x.id))) {
    await exec(
      `UPDATE "Source" SET "eventsTotal" = "eventsTotal" + $2::int8,
         "lastSeenAt" = GREATEST("lastSeenAt", $3::timestamptz) WHERE id = $1::uuid`,
      [sourceOf(s.id), s.eventsTotal, s.lastSeenAt?.toISOString() ?? null],
    );
  }
  const identities = await bulkInsert(exec, 'Identity', identityColumns, estate.identities, chunk);
  const certificates = await bulkInsert(exec, 'Certificate', certificateColumns, estate.certificates, chunk);
  const tokens = await bulkInsert(exec, 'Token', remapped(tokenColumns), estate.tokens, chunk);
  await bulkInsert(exec, 'ExposureFinding', exposureColumns, estate.exposures, chunk);
  const events = await writeEvidence(db, exec, estate, sourceOf, chunk);
  return { identities, tokens, certificates, events };
}

/** A demo request as the evidence writer takes it (the generator already decided its verdict). */
function decided(e: DemoEvent, tokens: Map<string, DemoToken>): DecidedRequest {
  const tok = e.tokenId ? tokens.get(e.tokenId) : undefined;
  const ev: NormalizedEvent = {
    format: 'demo', occurredAt: e.occurredAt, requestId: e.requestId, gateway: e.gateway, method: e.method, url: e.url, clientIp: e.clientIp,
    httpStatus: e.httpStatus, authScheme: e.authScheme, hasDpop: e.hasDpop, dpopProof: null, tokenFingerprint: e.tokenFingerprint, tokenClaims: null,
    identityHint: null, failureDetail: null, sourceVerdict: null, redactedRaw: e.redactedRaw,
    cert: e.x5tS256 || e.sha1Hex ? { x5tS256: e.x5tS256, sha1Hex: e.sha1Hex, subjectDn: null, issuerDn: null, serial: null, notBefore: null, notAfter: null, verify: null } : null,
  };
  return {
    lineNo: 0, ev, key: requestKeyOf(ev), tokenId: e.tokenId, identityId: e.identityId, tokenIdentityId: tok?.identityId ?? null, jkt: e.jkt,
    verdict: e.verdict, reason: e.reason, binding: tok?.binding ?? null,
    anomaly: tok?.revokedAt && e.occurredAt.getTime() > tok.revokedAt.getTime() ? 'after_revocation' : null,
  };
}

/** The estate's requests through the evidence writer, one writer per source (each source is a dedupe namespace). */
async function writeEvidence(db: Database, exec: SqlExecutor, estate: DemoEstate, sourceOf: (id: string) => string, chunk: number): Promise<number> {
  const tokens = new Map(estate.tokens.map((t) => [t.id, t]));
  const bySource = new Map<string, DemoEvent[]>();
  for (const e of estate.events) {
    const s = sourceOf(e.sourceId);
    const list = bySource.get(s) ?? [];
    list.push(e);
    bySource.set(s, list);
  }
  const now = estate.events.reduce((m, e) => Math.max(m, e.occurredAt.getTime()), 0);
  let written = 0;
  for (const [sourceId, events] of bySource) {
    const writer = new EvidenceWriter({
      db, exec, copy: null, batchId: randomUUID(), namespace: sourceId, now: () => new Date(now), retention: DEFAULT_RETENTION,
    });
    for (let i = 0; i < events.length; i += chunk) written += (await writer.writeChunk(events.slice(i, i + chunk).map((e) => decided(e, tokens)))).inserted;
    await writer.finish();
    await stampUsageHours(exec, writer.usageHours);
  }
  return written;
}

/** Writes a generated estate in one transaction; returns the row counts written. */
export async function writeEstate(db: Database, estate: DemoEstate, options: WriteEstateOptions = {}): Promise<SeedCounts> {
  try {
    return await withTransaction(db, (exec) => insertEstate(db, exec, estate, options));
  } catch (e) {
    EvidenceWriter.rolledBack(db);
    throw e;
  }
}
