// Writes a generated estate with set-based SQL inside one transaction: either the whole
// estate lands or none of it does.
import type { Database } from '../db/open.ts';
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

const eventColumns: BulkColumn<DemoEvent>[] = [
  { name: 'dedupeKey', type: 'text', get: (r) => r.dedupeKey },
  { name: 'sourceId', type: 'uuid', get: (r) => r.sourceId },
  { name: 'occurredAt', type: 'timestamptz', get: (r) => r.occurredAt },
  { name: 'requestId', type: 'text', get: (r) => r.requestId },
  { name: 'gateway', type: 'text', get: (r) => r.gateway },
  { name: 'method', type: 'text', get: (r) => r.method },
  { name: 'url', type: 'text', get: (r) => r.url },
  { name: 'clientIp', type: 'text', get: (r) => r.clientIp },
  { name: 'httpStatus', type: 'int4', get: (r) => r.httpStatus },
  { name: 'authScheme', type: 'text', get: (r) => r.authScheme },
  { name: 'hasDpop', type: 'bool', get: (r) => r.hasDpop },
  { name: 'identityId', type: 'uuid', get: (r) => r.identityId },
  { name: 'tokenId', type: 'uuid', get: (r) => r.tokenId },
  { name: 'tokenFingerprint', type: 'text', get: (r) => r.tokenFingerprint },
  { name: 'x5tS256', type: 'text', get: (r) => r.x5tS256 },
  { name: 'sha1Hex', type: 'text', get: (r) => r.sha1Hex },
  { name: 'jkt', type: 'text', get: (r) => r.jkt },
  { name: 'verdict', type: 'text', get: (r) => r.verdict },
  { name: 'reason', type: 'text', get: (r) => r.reason },
  { name: 'redactedRaw', type: 'text', get: (r) => r.redactedRaw },
];

/** Inserts every row of the estate through `exec` (the caller owns the transaction). */
export async function insertEstate(exec: SqlExecutor, estate: DemoEstate, options: WriteEstateOptions = {}): Promise<SeedCounts> {
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
  // Each event records the binding of the token it carried (as ingest does).
  const bindingOf = new Map(estate.tokens.map((t) => [t.id, t.binding as string]));
  const eventCols: BulkColumn<DemoEvent>[] = [...remapped(eventColumns), { name: 'binding', type: 'text', get: (r) => (r.tokenId ? (bindingOf.get(r.tokenId) ?? null) : null) }];
  const events = await bulkInsert(exec, 'BindingEvent', eventCols, estate.events, chunk);
  return { identities, tokens, certificates, events };
}

/** Writes a generated estate in one transaction; returns the row counts written. */
export async function writeEstate(db: Database, estate: DemoEstate, options: WriteEstateOptions = {}): Promise<SeedCounts> {
  return withTransaction(db, (exec) => insertEstate(exec, estate, options));
}
