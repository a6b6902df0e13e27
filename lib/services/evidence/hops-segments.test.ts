// Single hops in packed segments (lib/services/evidence/hop-segments.ts, hops.ts): a request whose
// correlation id is its own request id gets no Hop row while no other hop of it is seen; once another
// hop arrives — in a later batch, an earlier one, the same one, a concurrent one — both become full
// rows and the chain is decided as lib/hops decides it, counted once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestKeyOfId } from '../../ingest/evidence/request-key.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki } from '../../testing/gateway-pki.ts';
import { correlatedByOwnId } from '../estate/hops.ts';
import { listEvents, parseEventFilters } from '../estate/lists.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { decodeSegment, encodeSegment, type HopFacts } from './hop-segments.ts';

describe('hop segments', () => {
  it('decode(encode(hops)) gives every hop back, in time order, with its facts', () => {
    const hops: HopFacts[] = Array.from({ length: 300 }, (_, i) => {
      const full = i % 7 === 0;
      const odd = i % 2 === 1;
      return {
        at: 1_780_000_000_000 + ((i * 7919) % 300) * 1000 + i, corr: requestKeyOfId(i % 3 ? randomBytes(16).toString('hex') : `rid-${i}`), full,
        route: odd ? null : i, httpStatus: odd ? 200 : null, verdict: i % 11, tls: i % 5 === 0 ? null : i % 4, cert: odd ? 70_000 + i : null,
        certSha1: i % 3 ? null : 2 ** 31 - 1 - i, fwd: i % 4 === 0 ? null : i % 2, fwdCert: i % 9 ? null : 3, fwdSha1: null,
        certNames: i % 10 === 0 ? JSON.stringify(['1000', 'CN=a', '-']) : null, fwdNames: i % 13 === 0 ? '["x",null,null]' : null, corrText: i % 3 ? null : `rid-${i}`,
      };
    });
    const seg = encodeSegment(hops);
    const d = decodeSegment(seg.packed, seg.texts);
    const sorted = [...hops].sort((a, b) => a.at - b.at);
    expect([d.n, seg.lo, seg.hi]).toEqual([300, sorted[0]!.at, sorted[299]!.at]);
    sorted.forEach((h, i) => {
      expect(d.corrKey(i)).toBe(h.corr.toString('latin1'));
      // A hop with a full row keeps only its time and correlation key in the segment.
      const want = h.full ? { ...h, route: null, httpStatus: null, verdict: 0, tls: null, cert: null, certSha1: null, fwd: null, fwdCert: null, fwdSha1: null, certNames: null, fwdNames: null, corrText: null } : h;
      expect(d.facts(i)).toEqual(want);
    });
  });
});

describe.each(RUNTIMES)('single hops in segments (%s)', (runtime) => {
  let t: TestDatabase | null = null;
  let pki: ReturnType<typeof createGatewayPki> | null = null;
  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
    pki = createGatewayPki('holdfast-hopseg-');
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    pki?.cleanup();
  });

  const t0 = Date.now() - 120_000;
  const at = (ms: number) => new Date(t0 + ms).toISOString().replace(/\.\d+Z$/, '+00:00');
  // The edge generates the X-Request-ID (its own $request_id) and logs it as the correlation id too.
  const edge = (corr: string, ms = 5000) => JSON.stringify({
    time: at(ms), request_id: corr, correlation_id: corr, remote_addr: '10.1.2.3', method: 'GET', scheme: 'https', host: 'api.test', uri: '/v1/orders/7', status: 200,
    ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'CN=svc-a,O=Test', ssl_client_x5t: pki!.clients.good.x5t,
  });
  // A backend that received no Client-Cert (binding context stripped at the edge); its own request id.
  const backend = (corr: string, ms = 5100) => JSON.stringify({
    time: at(ms), request_id: randomBytes(16).toString('hex'), correlation_id: corr, remote_addr: '10.9.9.9', method: 'GET', scheme: 'http', host: 'orders.internal', uri: '/v1/orders/7', status: 200, http_client_cert: '',
  });
  const ingest = (lines: string[], sourceName: string) => ingestStream(t!.db, lines.map((l) => `${l}\n`), { format: 'nginx-json', sourceName, actor: 'test' });
  const chainOf = async (corr: string) =>
    (await listEvents(t!.db, parseEventFilters({ requestId: corr }), {})).items.map((r) => [r.source, r.chainVerdict]).sort();
  const fullRows = async (corr: string) =>
    Number((await t!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Hop" WHERE "corr" = decode($1, 'hex')`, [requestKeyOfId(corr).toString('hex')]))[0]!.n);
  const usage = async () => Number((await t!.db.query<{ n: number }>(`SELECT coalesce(sum("count"), 0)::int AS n FROM "evidence"."HopUsage"`))[0]!.n);
  const STRIPPED = [['edge', 'binding_context_stripped'], ['orders', 'binding_context_stripped']];

  it('an edge alone writes no Hop row of its own; its backend a batch later decides the chain, once', async () => {
    if (!t) return;
    const corr = randomBytes(16).toString('hex');
    const before = await usage();
    await ingest([edge(corr)], 'edge');
    expect([await fullRows(corr), await chainOf(corr)]).toEqual([0, [['edge', null]]]);
    await ingest([backend(corr)], 'orders');
    expect([await fullRows(corr), await chainOf(corr), (await usage()) - before]).toEqual([2, STRIPPED, 1]);
    // Sent again: duplicates, nothing decided or counted again.
    expect((await ingest([edge(corr)], 'edge')).duplicates).toBe(1);
    expect([await fullRows(corr), (await usage()) - before]).toEqual([2, 1]);
  });

  it('the backend first, then the edge: the same chain', async () => {
    if (!t) return;
    const corr = randomBytes(16).toString('hex');
    const before = await usage();
    await ingest([backend(corr)], 'orders');
    expect(await chainOf(corr)).toEqual([['orders', null]]);
    await ingest([edge(corr)], 'edge');
    expect([await fullRows(corr), await chainOf(corr), (await usage()) - before]).toEqual([2, STRIPPED, 1]);
  });

  it('edge and backend batches at the same time: every chain decided once', async () => {
    if (!t) return;
    const ids = Array.from({ length: 40 }, () => randomBytes(16).toString('hex'));
    const before = await usage();
    await Promise.all([ingest(ids.map((c, i) => edge(c, 1000 + i)), 'edge'), ingest(ids.map((c, i) => backend(c, 1050 + i)), 'orders')]);
    for (const c of ids) expect(await chainOf(c)).toEqual(STRIPPED);
    expect((await usage()) - before).toBe(ids.length);
  });

  it('one source with both sides of the edge, in one batch and in two', async () => {
    if (!t) return;
    const [a, b] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    const before = await usage();
    await ingest([edge(a), backend(a)], 'shipper');
    await ingest([edge(b)], 'shipper');
    await ingest([backend(b)], 'shipper');
    for (const c of [a, b]) expect(await chainOf(c)).toEqual([['shipper', 'binding_context_stripped'], ['shipper', 'binding_context_stripped']]);
    expect((await usage()) - before).toBe(2);
  });

  it('a hop more than the window away from the edge is no chain; a retry of one source is none either', async () => {
    if (!t) return;
    const [far, retry] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    const before = await usage();
    await ingest([edge(far, 0)], 'edge');
    await ingest([backend(far, 100_000)], 'orders');
    await ingest([edge(retry, 0)], 'edge');
    await ingest([edge(retry, 2000).replace(retry, randomBytes(16).toString('hex'))], 'edge');
    expect([await chainOf(far), (await usage()) - before]).toEqual([[['edge', null], ['orders', null]], 0]);
  });

  it('correlatedByOwnId: the listed ledger rows whose correlation id is their request id', async () => {
    if (!t) return;
    const [alone, chained, none] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    await ingest([edge(alone, 7000), edge(chained, 7001), edge(none, 7002).replace(/"correlation_id":"[^"]*",/, '')], 'list-edge');
    await ingest([backend(chained, 7050)], 'list-orders');
    const rows = await t.db.query<{ day: number; ns: number; key: Buffer; occurredAt: Date }>(
      `SELECT r."day", r."ns", r."key", r."occurredAt" FROM "evidence"."Request" r WHERE r."key" IN (SELECT decode(c, 'hex') FROM unnest($1::text[]) c)`,
      [[alone, chained, none].map((c) => requestKeyOfId(c).toString('hex'))],
    );
    expect(rows).toHaveLength(3);
    // Alone or chained (then it has a Hop row too); the line without a correlation id too: its own
    // request id is the id an edge that generates the X-Request-ID sends on (lib/hops propagatedId).
    expect([...(await correlatedByOwnId(t.db, rows))].sort()).toEqual([alone, chained, none].map((c) => requestKeyOfId(c).toString('hex')).sort());
  });

  it('single-hop traffic: segment rows only, a few per batch', async () => {
    if (!t) return;
    const ids = Array.from({ length: 3000 }, () => randomBytes(16).toString('hex'));
    const [segs0] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Hop" WHERE "packed" IS NOT NULL`);
    await ingest(ids.map((c, i) => edge(c, i * 10)), 'single-edge');
    const [full] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Hop" WHERE "corr" IN (SELECT decode(c, 'hex') FROM unnest($1::text[]) c)`, [ids.map((c) => requestKeyOfId(c).toString('hex'))]);
    const [segs] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Hop" WHERE "packed" IS NOT NULL`);
    expect(full!.n).toBe(0);
    expect(segs!.n - segs0!.n).toBeGreaterThan(0);
    expect(segs!.n - segs0!.n).toBeLessThanOrEqual(5);
  });
});
