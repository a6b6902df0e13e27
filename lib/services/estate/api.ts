// Glue for the /api/v1 list routes: parse the filters from the query string (same names as the
// views), answer one keyset page as JSON, or with ?format=csv|json stream every matching row.
import type { Database } from '../../db/open.ts';
import { exportResponse } from './export.ts';
import {
  listEvents,
  listFindings,
  listIdentities,
  listTokens,
  parseEventFilters,
  parseFindingFilters,
  parseIdentityFilters,
  parseTokenFilters,
  type EventRow,
  type FindingRow,
  type IdentityRow,
  type TokenRow,
} from './lists.ts';
import { oneOf, type Page } from './query.ts';

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

type Lister<T> = (db: Database, q: URLSearchParams, after: string | undefined, exporting: boolean) => Promise<Page<T>>;

function withAfter(q: URLSearchParams, after: string | undefined): URLSearchParams {
  const c = new URLSearchParams(q);
  c.delete('after');
  if (after) c.set('after', after);
  return c;
}

export const LISTERS = {
  tokens: ((db, q, after, exporting) => {
    const f = parseTokenFilters(q);
    return listTokens(db, exporting ? { ...f, limit: 500 } : f, withAfter(q, after));
  }) as Lister<TokenRow>,
  identities: ((db, q, after, exporting) => {
    const f = parseIdentityFilters(q);
    return listIdentities(db, exporting ? { ...f, limit: 500 } : f, withAfter(q, after));
  }) as Lister<IdentityRow>,
  findings: ((db, q, after, exporting) => {
    const f = parseFindingFilters(q);
    return listFindings(db, exporting ? { ...f, limit: 500 } : f, withAfter(q, after));
  }) as Lister<FindingRow>,
  events: ((db, q, after, exporting) => {
    const f = parseEventFilters(q);
    return listEvents(db, exporting ? { ...f, limit: 500 } : f, withAfter(q, after));
  }) as Lister<EventRow>,
};

/** One page as JSON, or the whole filtered list as a CSV/JSON download with ?format=. */
export async function listOrExport<T extends object>(
  db: Database,
  q: URLSearchParams,
  name: string,
  lister: Lister<T>,
  columns: readonly (keyof T & string)[],
): Promise<Page<T> | Response> {
  const format = oneOf(q, 'format', ['csv', 'json'] as const);
  if (!format) return lister(db, q, q.get('after') ?? undefined, false);
  // Validate the filters before the response starts streaming (a bad value is a 400, not a broken download).
  await lister(db, q, q.get('after') ?? undefined, true).then(() => undefined);
  return exportResponse<T>(name, format, columns, (after) => lister(db, q, after ?? q.get('after') ?? undefined, true));
}
