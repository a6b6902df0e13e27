// Glue for the /api/v1 list routes: the route's query schema has parsed the filters (same names
// and refusals as the views and the CLI); answer one keyset page as JSON, or with ?format=csv|json
// stream every matching row.
import type { Database } from '../../db/open.ts';
import { exportResponse } from './export.ts';
import { listEvents, listFindings, listIdentities, listTokens, type EventRow, type FindingRow, type IdentityRow, type TokenRow } from './lists.ts';
import { MAX_LIMIT, type Page, type PageQuery, type Params } from './query.ts';

export const TOKEN_EXPORT_COLUMNS: (keyof TokenRow & string)[] = [
  'id', 'fingerprint', 'identity', 'identityKind', 'binding', 'tokenType', 'jti', 'issuer', 'audience', 'scopes', 'issuedAt', 'expiresAt',
  'ttlSeconds', 'status', 'exposure', 'privileged', 'riskSeverity', 'findings', 'blastRadius', 'firstSeenAt', 'lastSeenAt', 'revokedAt',
];
export const IDENTITY_EXPORT_COLUMNS: (keyof IdentityRow & string)[] = [
  'id', 'name', 'kind', 'owner', 'ownerStatus', 'status', 'environment', 'transport', 'riskScore', 'openFindings', 'tokens', 'liveBearerTokens', 'lastSeenAt',
];
export const FINDING_EXPORT_COLUMNS: (keyof FindingRow & string)[] = [
  'id', 'rule', 'severity', 'status', 'identity', 'tokenId', 'certificateId', 'title', 'explanation', 'recommendation', 'blastRadius',
  'firstSeenAt', 'lastSeenAt', 'resolvedAt', 'ackReason', 'ackUntil', 'ackBy',
];
export const EVENT_EXPORT_COLUMNS: (keyof EventRow & string)[] = [
  'id', 'occurredAt', 'requestId', 'gateway', 'method', 'url', 'clientIp', 'httpStatus', 'authScheme', 'hasDpop', 'identity', 'tokenId',
  'tokenFingerprint', 'x5tS256', 'jkt', 'verdict', 'reason',
];

/** One page of a list after the cursor `after`; an export reads pages of the most rows. */
export type Lister<F, T> = (db: Database, filters: F, after: string | undefined, exporting: boolean) => Promise<Page<T>>;

function lister<F extends { limit: number }, T>(list: (db: Database, f: F, p: Params) => Promise<Page<T>>): Lister<F, T> {
  return (db, f, after, exporting) => list(db, exporting ? { ...f, limit: MAX_LIMIT } : f, after ? { after } : {});
}

export const LISTERS = {
  tokens: lister(listTokens),
  identities: lister(listIdentities),
  findings: lister(listFindings),
  events: lister(listEvents),
};

/**
 * One page as JSON, or the whole filtered list as a CSV/JSON download with ?format= (from `after`
 * when given). Bad values were refused by the route's query schema before the download started.
 */
export async function listOrExport<F, T extends object>(db: Database, q: F & PageQuery, name: string, list: Lister<F, T>, columns: readonly (keyof T & string)[]): Promise<Page<T> | Response> {
  if (!q.format) return list(db, q, q.after, false);
  return exportResponse<T>(name, q.format, columns, (after) => list(db, q, after ?? q.after, true));
}
