// Chains of real gateways from a black-box run (BB1, testing/bb1-chains/README.md): the lines HAProxy
// 2.6, NGINX 1.22 and Apache 2.4 wrote, unedited, ingested as the CLI ingests them (one source per
// hop, one batch per log, so every chain is joined across batches), on both runtimes.
//  - owner-ids: edges that generate the X-Request-ID (HAProxy `unique-id-header` + `%ID`, NGINX
//    `proxy_set_header X-Request-ID $request_id` + `$request_id`) log it only as their request id;
//    the Apache backend logs it as the X-Request-ID it received. Forged certificate headers the
//    edges passed through must be found (BB1 R2).
//  - edge-cert-failure: NGINX `optional_no_ca` accepted a self-signed, an untrusted and (with the
//    CA's CRL added) a revoked certificate and forwarded them; Apache said ok (BB1 R3).
//  - stripping-edge: a stolen token (certificate B, token bound to A) through edges that forward no
//    certificate (BB1 R4).
//  - hop-lines: the recommended NGINX edge in front of a HAProxy backend that checks no binding: each
//    request let through is logged twice (BB1 R9).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/open.ts';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { listHopPaths } from '../estate/hops.ts';
import { listEvents, parseEventFilters, type EventRow } from '../estate/lists.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { evaluateFindings } from '../findings/index.ts';
import { allEvents } from '../ingest/testing/stored-events.ts';
import { addTrustAnchor } from '../trust/store.ts';

const dir = new URL('./testing/bb1-chains/', import.meta.url);
const text = (f: string) => readFileSync(new URL(f, dir), 'utf8');
/** After the run (04:46–04:51 UTC): the lines are inside every retention window, the tokens live. */
const NOW = new Date('2026-12-06T05:00:00Z');

interface Log {
  file: string;
  source: string;
  format: 'haproxy' | 'apache' | 'nginx' | 'nginx-json';
  config?: string;
  logFormat?: string;
}

async function ingestAll(db: Database, logs: Log[]): Promise<void> {
  for (const l of logs) {
    const r = await ingestStream(db, [text(l.file)], {
      format: l.format, sourceName: l.source, actor: 'test', now: () => NOW,
      ...(l.config ? { gatewayConfig: text(l.config) } : {}), ...(l.logFormat ? { logFormat: l.logFormat } : {}),
    });
    expect(r.rejected, `${l.file}: ${JSON.stringify(r.errors)}`).toBe(0);
  }
}

/**
 * Stored requests, one entry per request id the hops share (the backend's X-Request-ID, the edge's own
 * id), named by the path of the line that keeps it (requests kept in the ledger only have no URL).
 */
interface Request {
  path: string | null;
  lines: EventRow[];
}

async function requests(db: Database): Promise<Request[]> {
  const byId = new Map<string, Request>();
  for (const e of await allEvents(db)) {
    const id = e.correlationId ?? e.requestId ?? e.id;
    let r = byId.get(id);
    if (!r) byId.set(id, (r = { path: LEDGER_ONLY[id] ?? null, lines: [] }));
    r.lines.push(e);
    r.path ??= e.url ? e.url.replace(/[?#].*$/, '').replace(/^https?:\/\/[^/]*/, '') : null;
  }
  return [...byId.values()];
}

/**
 * Requests whose every line is kept in the ledger only (no URL): named by their id in the logs.
 * NGINX's edge logs only a SHA-1, so its line for cert B reads ok / certificate_not_logged, and
 * the backend's ok: neither is notable, only the chain (spoofed_client_cert) says what happened.
 */
const LEDGER_ONLY: Record<string, string> = { '3d571d7afe6f7c55c9fc105460a64c35': '/api/ngxOwner/spoofCC_certB' };

/** `source verdict/chainVerdict` of each line of the request with this path, sorted. */
function linesOf(rs: Request[] | undefined, path: string): string[] {
  const r = rs?.find((x) => x.path === path);
  return (r?.lines ?? []).map((e) => `${e.source} ${e.chainVerdict}`).sort();
}

/** What the requests list answers for one verdict: every row, the rows and totals of its pages walked `limit` at a time. */
interface Filtered {
  rows: EventRow[];
  walked: string[];
  totals: number[];
  offsets: number[];
}

async function filtered(db: Database, verdict: string, limit: number): Promise<Filtered> {
  const f = parseEventFilters({ verdict });
  const { items: rows } = await listEvents(db, f, {});
  const walked: string[] = [];
  const totals: number[] = [];
  const offsets: number[] = [];
  let after: string | null = null;
  do {
    const page = await listEvents(db, { ...f, limit }, after ? { after } : {}, { count: true });
    walked.push(...page.items.map((e) => e.id));
    totals.push(page.total ?? -1);
    offsets.push(page.offset ?? -1);
    after = page.nextCursor;
  } while (after && walked.length < 100);
  return { rows, walked, totals, offsets };
}

describe('BB1 owner chains: an edge that generates the X-Request-ID joins the backend that received it (R2)', () => {
  let stored = new Map<'pglite' | 'postgres', { requests: Request[]; leaks: string[]; spoofed: Filtered } | null>();
  beforeAll(async () => {
    stored = await onEachRuntime(async (t) => {
      await ingestAll(t.db, [
        { file: 'owner-ids/hap_edge_owner.log', source: 'hap-edge-owner', format: 'haproxy', config: 'owner-ids/hap_edge_owner.cfg' },
        { file: 'owner-ids/apache_backend.log', source: 'apache-backend', format: 'apache', config: 'owner-ids/apache.conf' },
        // The backend's log first this time: the edge's batch must find it.
        { file: 'owner-ids/apache_backend_from_ngx.log', source: 'apache-backend', format: 'apache', config: 'owner-ids/apache.conf' },
        { file: 'owner-ids/ngx_edge_owner.log', source: 'ngx-edge-owner', format: 'nginx', config: 'owner-ids/nginx.conf', logFormat: 'edge_owner' },
      ]);
      const leaks = (await listHopPaths(t.db, {})).flatMap((p) => p.leaks.filter((l) => l.clientSupplied > 0).map((l) => l.hop.source)).sort();
      return { requests: await requests(t.db), leaks, spoofed: await filtered(t.db, 'spoofed_client_cert', 3) };
    });
  }, 180_000);

  it.each(RUNTIMES)('%s: --verdict spoofed_client_cert finds every line of those requests by their chain verdict, paged and counted', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    const spoofed = s.requests.filter((r) => r.lines.some((e) => e.chainVerdict === 'spoofed_client_cert')).flatMap((r) => r.lines.map((e) => e.id)).sort();
    expect(spoofed).toHaveLength(8);
    expect(s.spoofed.rows.map((e) => e.id).sort()).toEqual(spoofed);
    // Found by the chain's verdict: their own lines say otherwise (ok at the NGINX edge and the backend, kept in the ledger only).
    expect(s.spoofed.rows.every((e) => e.chainVerdict === 'spoofed_client_cert')).toBe(true);
    expect(s.spoofed.rows.filter((e) => e.verdict !== 'spoofed_client_cert').length).toBeGreaterThan(0);
    expect(s.spoofed.rows.some((e) => e.kept === 'ledger')).toBe(true);
    // Pages of 3 walk the same rows, newest first, each once; every page says the total and its offset.
    expect(s.spoofed.walked).toEqual(s.spoofed.rows.map((e) => e.id));
    expect(s.spoofed.totals).toEqual([8, 8, 8]);
    expect(s.spoofed.offsets).toEqual([0, 3, 6]);
  });

  it.each(RUNTIMES)('%s: every request is joined; forged certificate headers the edges passed are spoofed_client_cert, the edge named', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(s.requests.map((r) => r.lines.length)).toEqual([2, 2, 2, 2, 2, 2]);
    for (const r of s.requests) for (const e of r.lines) expect(e.chainVerdict, `${e.source} ${r.path}`).not.toBeNull();
    for (const [edge, path] of [
      ['hap-edge-owner', '/api/hapOwner/spoofCC_nocert'], ['hap-edge-owner', '/api/hapOwner/spoofXSSL_nocert'],
      ['ngx-edge-owner', '/api/ngxOwner/spoofCC_nocert'], ['ngx-edge-owner', '/api/ngxOwner/spoofCC_certB'],
    ] as const) {
      expect(linesOf(s.requests, path), path).toEqual(['apache-backend spoofed_client_cert', `${edge} spoofed_client_cert`]);
    }
    expect(s.leaks).toEqual(['hap-edge-owner', 'ngx-edge-owner']);
  });
});

describe("BB1 edge certificate failures: the chain is no better than the edge's certificate verdict (R3)", () => {
  let stored = new Map<'pglite' | 'postgres', { requests: Request[]; backendVerdicts: string[] } | null>();
  beforeAll(async () => {
    stored = await onEachRuntime(async (t) => {
      // `holdfast trust add --ca ca.pem --crl ca.crl`: the CA's CRL lists the "revoked" certificate.
      await addTrustAnchor(t.db, { ca: readFileSync(new URL('edge-cert-failure/ca.pem', dir)), crl: readFileSync(new URL('edge-cert-failure/ca.crl', dir)), actor: 'test', now: NOW });
      await ingestAll(t.db, [
        { file: 'edge-cert-failure/ngx_edge_noca.json', source: 'ngx-edge-noca', format: 'nginx-json' },
        { file: 'edge-cert-failure/apache_backend.log', source: 'apache-backend', format: 'apache', config: 'edge-cert-failure/apache.conf' },
      ]);
      const backendVerdicts = (await listHopPaths(t.db, {})).flatMap((p) => p.outcomes.map((o) => `${o.chainVerdict} ${o.backendVerdict} ×${o.requests}`)).sort();
      return { requests: await requests(t.db), backendVerdicts };
    });
  }, 180_000);

  it.each(RUNTIMES)('%s: self-signed and untrusted certificates NGINX accepted and forwarded are cert_untrusted; the revoked one cert_revoked_unchecked', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(linesOf(s.requests, '/api/ngxNoca/selfsigned')).toEqual(['apache-backend cert_untrusted', 'ngx-edge-noca cert_untrusted']);
    expect(linesOf(s.requests, '/api/ngxNoca/untrusted')).toEqual(['apache-backend cert_untrusted', 'ngx-edge-noca cert_untrusted']);
    expect(linesOf(s.requests, '/api/ngxNoca/revoked')).toEqual(['apache-backend cert_revoked_unchecked', 'ngx-edge-noca cert_revoked_unchecked']);
    // The backend's own verdict is the one the batch writer decided, after the trust anchors' review
    // (the forwarded certificate names its issuer, and no anchor is that CA: cert_untrusted).
    expect(s.backendVerdicts).toEqual(['cert_revoked_unchecked cert_revoked_unchecked ×1', 'cert_untrusted cert_untrusted ×2']);
  });
});

describe('BB1 stolen token through an edge that forwards no certificate (R4)', () => {
  let stored = new Map<'pglite' | 'postgres', { requests: Request[]; leaks: string[] } | null>();
  beforeAll(async () => {
    stored = await onEachRuntime(async (t) => {
      await ingestAll(t.db, [
        { file: 'stripping-edge/hap_edge_strip.log', source: 'hap-edge-strip', format: 'haproxy', config: 'stripping-edge/hap_edge_strip.cfg' },
        { file: 'stripping-edge/ngx_edge_strip.json', source: 'ngx-edge-strip', format: 'nginx-json' },
        { file: 'stripping-edge/ngx_backend.json', source: 'ngx-backend', format: 'nginx-json' },
      ]);
      await evaluateFindings(t.db, { now: NOW, actor: 'test' });
      const leaks = await t.db.query<{ hop: string; stripped: number }>(
        `SELECT evidence->'hop'->>'source' AS hop, (evidence->>'strippedRequests')::int AS stripped FROM "Finding" WHERE rule = 'leaking_hop' ORDER BY 1`,
      );
      return { requests: await requests(t.db), leaks: leaks.map((l) => `${l.hop} ${l.stripped}`) };
    });
  }, 180_000);

  it.each(RUNTIMES)('%s: the stolen token is binding_mismatch on both hops; the legitimate one stripped; both edges still named for both', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(linesOf(s.requests, '/api/hapStrip/stolen')).toEqual(['hap-edge-strip binding_mismatch', 'ngx-backend binding_mismatch']);
    expect(linesOf(s.requests, '/api/ngxStrip/stolen')).toEqual(['ngx-backend binding_mismatch', 'ngx-edge-strip binding_mismatch']);
    expect(linesOf(s.requests, '/api/hapStrip/good')).toEqual(['hap-edge-strip binding_context_stripped', 'ngx-backend binding_context_stripped']);
    expect(s.leaks).toEqual(['hap-edge-strip 2', 'ngx-edge-strip 2']);
  });
});

describe('BB1 bound_not_enforced counts requests, not the lines of their hops (R9)', () => {
  let stored = new Map<'pglite' | 'postgres', { explanation: string; events: unknown } | null>();
  beforeAll(async () => {
    stored = await onEachRuntime(async (t) => {
      await ingestAll(t.db, [
        { file: 'hop-lines/ngx_edge_rec.json', source: 'ngx-edge-rec', format: 'nginx-json' },
        { file: 'hop-lines/hap_backend.log', source: 'hap-backend', format: 'haproxy', config: 'hop-lines/hap_backend.cfg' },
      ]);
      await evaluateFindings(t.db, { now: NOW, actor: 'test' });
      const [f] = await t.db.query<{ explanation: string; events: unknown }>(`SELECT explanation, evidence->'events' AS events FROM "Finding" WHERE rule = 'bound_not_enforced'`);
      return { explanation: f?.explanation ?? '(no finding)', events: f?.events ?? null };
    });
  }, 180_000);

  it.each(RUNTIMES)('%s: 7 requests of svc-a\'s token, each logged by NGINX and HAProxy (13 lines), are let through 7 times', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(s.explanation).toContain('let it through 7 times');
    expect(s.events).toBe(7);
  });
});
