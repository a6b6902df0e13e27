// The lists' query schemas (issue #19 item 3): one schema per list holds its filters, sort, page and
// export format. The API parses it in apiRoute (400 naming the parameter), the views and the CLI
// through parse*Filters ("<name> <why>": the page's Bad filter line, the CLI's exit-2 line), so the
// three refuse the same values with the same reason.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { HoldfastError } from '../../errors.ts';
import { parseQuery } from '../../http/route.ts';
import { HopQuerySchema, parseHopFilters } from './hops.ts';
import {
  EventQuerySchema,
  FindingQuerySchema,
  IdentityQuerySchema,
  parseEventFilters,
  parseFindingFilters,
  parseIdentityFilters,
  parseTokenFilters,
  TokenQuerySchema,
} from './lists.ts';
import { encodeCursor } from './query.ts';

const UUID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const ID_CURSOR = encodeCursor([UUID]);
const RISK_CURSOR = encodeCursor([12, UUID]);

interface List {
  schema: z.ZodType;
  filters: (p: URLSearchParams) => unknown;
}
const LISTS: Record<string, List> = {
  tokens: { schema: TokenQuerySchema, filters: (p) => parseTokenFilters(p) },
  identities: { schema: IdentityQuerySchema, filters: (p) => parseIdentityFilters(p) },
  findings: { schema: FindingQuerySchema, filters: (p) => parseFindingFilters(p) },
  events: { schema: EventQuerySchema, filters: (p) => parseEventFilters(p) },
  hops: { schema: HopQuerySchema, filters: (p) => parseHopFilters(p) },
};

function refusal(fn: () => unknown): { message: string; path: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HoldfastError);
    expect((e as HoldfastError).code).toBe('bad_request');
    return { message: (e as HoldfastError).message, path: (e as HoldfastError & { details: { errors: { path: string }[] } }).details.errors[0]!.path };
  }
  throw new Error('expected a refusal');
}

describe('list query schemas: the API, the views and the CLI refuse the same values', () => {
  it.each<[list: string, query: string, param: string, why: string]>([
    ['tokens', 'binding=carrier-pigeon', 'binding', 'must be one of bearer, mtls, dpop'],
    ['tokens', 'risk=medium', 'risk', 'must be one of high, flagged, critical'],
    ['tokens', 'exposure=leaked', 'exposure', 'must be one of none, exposed'],
    ['tokens', 'status=gone', 'status', 'must be one of active, expired, revoked'],
    ['tokens', 'sort=newest', 'sort', 'must be one of risk, id, ttl, expires, identity, lastSeen'],
    ['tokens', 'ttlMin=-1', 'ttlMin', 'must be a whole number from 0 to 2147483647'],
    ['tokens', 'ttlMax=2147483648', 'ttlMax', 'must be a whole number from 0 to 2147483647'],
    ['tokens', 'noExpiry=yes', 'noExpiry', 'must be one of true, false'],
    ['tokens', `issuer=${'x'.repeat(301)}`, 'issuer', 'is longer than 300 characters'],
    ['tokens', 'limit=0', 'limit', 'must be a whole number from 1 to 500'],
    ['tokens', 'limit=501', 'limit', 'must be a whole number from 1 to 500'],
    ['tokens', 'limit=ten', 'limit', 'must be a whole number from 1 to 500'],
    ['tokens', 'format=xlsx', 'format', 'must be one of csv, json'],
    ['tokens', 'after=garbage', 'after', 'is not a cursor from this list (use nextCursor as given)'],
    // A cursor of another order: sort=id pages by id alone, sort=risk by (riskOrder, id).
    ['tokens', `sort=risk&after=${ID_CURSOR}`, 'after', 'is not a cursor from this list (use nextCursor as given)'],
    ['tokens', `after=${encodeCursor(['\0'])}`, 'after', 'is not a cursor from this list (use nextCursor as given)'],
    ['identities', 'kind=robot', 'kind', 'must be one of service, workload, pipeline, agent, partner'],
    ['identities', 'ownerStatus=gone', 'ownerStatus', 'must be one of active, departed'],
    ['identities', 'sort=id', 'sort', 'must be one of risk, name, findings, lastSeen'],
    ['identities', `q=${'x'.repeat(201)}`, 'q', 'is longer than 200 characters'],
    ['identities', `after=${encodeCursor([1e308, 'x'])}`, 'after', 'is not a cursor from this list (use nextCursor as given)'],
    ['identities', `sort=name&after=${encodeCursor([0, 'svc'])}`, 'after', 'is not a cursor from this list (use nextCursor as given)'],
    ['findings', 'rule=nope', 'rule', 'must be one of unbound_high_risk, bound_not_enforced, binding_context_stripped, replay_suspected, replay_after_revocation, ttl_over_policy, exposed_active, offboarding, credential_shared, fan_out, cert_expiring, failure_spike, leaking_hop, forwarded_cert_from_untrusted_peer'],
    ['findings', 'severity=urgent', 'severity', 'must be one of critical, high, medium, low, info'],
    ['findings', 'status=closed', 'status', 'must be one of open, acknowledged, active, resolved, all'],
    ['findings', 'token=42', 'token', 'must be a UUID'],
    ['findings', `after=${ID_CURSOR}`, 'after', 'is not a cursor from this list (use nextCursor as given)'],
    ['events', 'verdict=maybe', 'verdict', 'must be one of ok, binding_mismatch, proof_invalid, no_proof_for_bound_token, bearer_unbound, bound_not_enforced, binding_context_stripped, cert_untrusted, cert_revoked, cert_expired, token_expired, spoofed_client_cert, cert_revoked_unchecked'],
    ['events', 'failures=some', 'failures', 'must be one of binding, any, all'],
    // Client network and route as a simulation's rows name them (issue #17): no /bits, the route's space.
    ['events', 'network=203.0.113.0/24', 'network', 'must be a client network as a simulation shows it: an address such as 203.0.113.0, without /bits'],
    ['events', 'network=203.0.113.0 10.0.0.0', 'network', 'must be a client network as a simulation shows it: an address such as 203.0.113.0, without /bits'],
    ['events', `network=${'1'.repeat(101)}`, 'network', 'is longer than 100 characters'],
    ['events', 'route=api.example.com/v1/orders', 'route', 'must be a route as a simulation shows it: host, a space, then the path prefix (api.example.com /v1/orders)'],
    ['events', 'route=api.example.com  /v1', 'route', 'must be a route as a simulation shows it: host, a space, then the path prefix (api.example.com /v1/orders)'],
    ['events', 'route=api.example.com v1', 'route', 'must be a route as a simulation shows it: host, a space, then the path prefix (api.example.com /v1/orders)'],
    ['events', `route=h /${'x'.repeat(512)}`, 'route', 'is longer than 512 characters'],
    ['events', 'routePrefix=api.example.com /v1', 'routePrefix', 'must be host/path, host or /path (no spaces or quotes)'],
    ['events', `source=${'x'.repeat(301)}`, 'source', 'is longer than 300 characters'],
    ['events', 'from=99999-01-01', 'from', 'must be an ISO 8601 date-time between the years 1 and 9999, or now-<n>m|h|d|w'],
    ['events', 'to=tomorrow', 'to', 'must be an ISO 8601 date-time between the years 1 and 9999, or now-<n>m|h|d|w'],
    ['events', `reason=${'x'.repeat(101)}`, 'reason', 'is longer than 100 characters'],
    // The first position is cast to timestamptz: a word there was a PostgreSQL error (a 500).
    ['events', `after=${encodeCursor(['yesterday', 'n1'])}`, 'after', 'is not a cursor from this list (use nextCursor as given)'],
    ['events', `request-id=${'x'.repeat(301)}`, 'request-id', 'is longer than 300 characters'],
    ['hops', `route=${'x'.repeat(301)}`, 'route', 'is longer than 300 characters'],
    ['hops', `source=${'x'.repeat(201)}`, 'source', 'is longer than 200 characters'],
    ['hops', 'from=not-a-date', 'from', 'must be an ISO 8601 date-time between the years 1 and 9999, or now-<n>m|h|d|w'],
  ])('%s?%s: refused as %s', (list, query, param, why) => {
    const { schema, filters } = LISTS[list]!;
    const p = new URLSearchParams(query);
    // The API: apiRoute's parseQuery, a 400 whose detail and errors name the parameter.
    const api = refusal(() => parseQuery(schema, p));
    expect(api).toEqual({ path: param, message: `query parameter ${param}: ${why}` });
    // The views and the CLI: the same refusal, in the words the page and the exit-2 line show.
    expect(refusal(() => filters(p))).toEqual({ path: param, message: `${param} ${why}` });
  });

  it('a NUL in a page\'s filter is refused naming it (pages are not behind apiRoute)', () => {
    expect(refusal(() => parseIdentityFilters({ q: 'svc\0' })).message).toBe('q contains a NUL character (U+0000)');
  });

  it('keeps the defaults: API and CLI order tokens by id (risk with a risk filter), the Tokens page riskiest first; 50 a page', () => {
    expect(parseTokenFilters({})).toMatchObject({ sort: 'id', limit: 50 });
    expect(parseTokenFilters({ risk: 'high' })).toMatchObject({ sort: 'risk', risk: 'high' });
    expect(parseTokenFilters({}, 20, 'risk')).toMatchObject({ sort: 'risk', limit: 20 });
    expect(parseIdentityFilters({})).toMatchObject({ sort: 'risk', limit: 50 });
    expect(parseFindingFilters({})).toMatchObject({ status: 'open', limit: 50 });
    expect(parseEventFilters({}, 100)).toMatchObject({ limit: 100 });
    expect(parseHopFilters({})).toEqual({});
  });

  it('reads a cursor against the order it pages in, the page\'s default order included', () => {
    expect(parseQuery(TokenQuerySchema, new URLSearchParams(`after=${ID_CURSOR}`))).toMatchObject({ sort: 'id', after: ID_CURSOR });
    expect(parseQuery(TokenQuerySchema, new URLSearchParams(`risk=high&after=${RISK_CURSOR}`))).toMatchObject({ sort: 'risk', after: RISK_CURSOR });
    expect(() => parseTokenFilters({ after: RISK_CURSOR }, 50, 'risk')).not.toThrow();
    expect(refusal(() => parseTokenFilters({ after: ID_CURSOR }, 50, 'risk')).message).toBe('after is not a cursor from this list (use nextCursor as given)');
    expect(parseQuery(EventQuerySchema, new URLSearchParams(`after=${encodeCursor(['2026-11-22T08:00:00.000Z', 'n00000000000000000042'])}`))).toMatchObject({ after: expect.any(String) });
  });

  it('turns URL words into filters: noExpiry, the request-id spelling, a lower-case token id, an empty value as no filter', () => {
    expect(parseTokenFilters({ noExpiry: 'true', ttlMin: '3600' })).toMatchObject({ noExpiry: true, ttlMin: 3600 });
    expect(parseTokenFilters({ noExpiry: 'false' }).noExpiry).toBeUndefined();
    expect(parseEventFilters({ 'request-id': 'req-1' }).requestId).toBe('req-1');
    expect(parseEventFilters({ requestId: 'req-2', 'request-id': 'req-1' }).requestId).toBe('req-2');
    expect(parseEventFilters({ 'request-id': 'req-1' })).not.toHaveProperty('request-id');
    // A route as stored: `host /prefix`, ` /prefix` without a host, `host ` without a path (values arrive trimmed).
    expect(parseEventFilters({ route: 'api.example.com /v1/orders' }).route).toBe('api.example.com /v1/orders');
    expect(parseEventFilters({ route: '/v1/orders' }).route).toBe(' /v1/orders');
    expect(parseEventFilters({ route: 'api.example.com:8443' }).route).toBe('api.example.com:8443 ');
    expect(parseEventFilters({ network: '2001:db8:0:0:0:0:0:0', routePrefix: '*.example.com/v1', failures: 'all' })).toMatchObject({ network: '2001:db8:0:0:0:0:0:0', routePrefix: '*.example.com/v1', failures: 'all' });
    expect(parseFindingFilters({ token: UUID.toUpperCase() }).token).toBe(UUID);
    expect(parseTokenFilters(new URLSearchParams('binding=&status=%20active%20')).binding).toBeUndefined();
    expect(parseTokenFilters(new URLSearchParams('binding=&status=%20active%20')).status).toBe('active');
  });

  it('answers the filters alone to views and the CLI, the page parameters too to the API', () => {
    const p = new URLSearchParams(`binding=bearer&format=csv&after=${ID_CURSOR}`);
    expect(parseTokenFilters(p)).not.toHaveProperty('after');
    expect(parseTokenFilters(p)).not.toHaveProperty('format');
    expect(parseQuery(TokenQuerySchema, p)).toMatchObject({ binding: 'bearer', format: 'csv', after: ID_CURSOR });
  });
});
