// The batch writer and trusted proxies, on both runtimes: only a line whose forwarded certificate
// stands in for a TLS one (a backend's) is judged by its peer; a hop that ended TLS itself keeps its
// own verdict even when a client sent it a certificate header too; a line whose log gives no TCP
// peer keeps its verdict, and the batch says why.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { createGatewayPki, type GatewayPki } from '../../testing/gateway-pki.ts';
import type { EventRow } from '../estate/lists.ts';
import { forwardingViews, type ForwardingView } from './forwarders.ts';
import { ingestStream, type IngestSummary } from './pipeline.ts';
import { setSourceTrustedProxies } from './queries.ts';
import { allEvents } from './testing/stored-events.ts';

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('trusted proxies in the batch writer', () => {
  let pki: GatewayPki;
  let runs = new Map<'pglite' | 'postgres', { events: EventRow[]; summary: IngestSummary; resent: IngestSummary; forwarders: ForwardingView } | null>();

  beforeAll(async () => {
    pki = createGatewayPki('holdfast-trusted-writer-');
    const good = pki.clients.good;
    const token = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-a', client_id: 'svc-a', cnf: { 'x5t#S256': good.x5t } })}.c2ln`;
    const base = (id: string) => ({
      time: new Date().toISOString(), request_id: id, correlation_id: id, method: 'GET', scheme: 'https', host: 'api.test', uri: `/api/${id}`, status: 200,
      http_authorization: `Bearer ${token}`, http_client_cert: `:${good.derB64}:`,
    });
    const lines = [
      // A backend reached straight from 127.0.0.2.
      { ...base('b0000000000000000000000000000001'), remote_addr: '127.0.0.2', realip_remote_addr: '127.0.0.2' },
      // A hop that ended TLS with the owner's certificate; the client also sent Client-Cert.
      { ...base('b0000000000000000000000000000002'), remote_addr: '127.0.0.2', realip_remote_addr: '127.0.0.2', ssl_client_verify: 'SUCCESS', ssl_client_escaped_cert: encodeURIComponent(readFileSync(good.certPath, 'utf8')) },
      // A backend whose log gives only $remote_addr (the realip module may have rewritten it).
      { ...base('b0000000000000000000000000000003'), remote_addr: '127.0.0.2' },
    ];
    runs = await onEachRuntime(async (t) => {
      await setSourceTrustedProxies(t.db, { source: 'be', trustedProxies: ['127.0.0.1/32'], actor: 'test' });
      const summary = await ingestStream(t.db, [lines.map((l) => JSON.stringify(l)).join('\n')], { format: 'nginx-json', sourceName: 'be', actor: 'test' });
      expect([summary.accepted, summary.rejected], JSON.stringify(summary.errors)).toEqual([3, 0]);
      const events = await allEvents(t.db);
      // An at-least-once shipper sends the first line again, with a new one from the same peer.
      const again = { ...lines[0]!, ...base('b0000000000000000000000000000004'), remote_addr: '127.0.0.2', realip_remote_addr: '127.0.0.2' };
      const resent = await ingestStream(t.db, [[lines[0], again].map((l) => JSON.stringify(l)).join('\n')], { format: 'nginx-json', sourceName: 'be', actor: 'test' });
      const [source] = await t.db.query<{ id: string; trustedProxies: string[] }>(`SELECT id::text AS id, "trustedProxies" FROM "Source" WHERE name = 'be'`);
      const forwarders = (await forwardingViews(t.db, [source!])).get(source!.id)!;
      return { events, summary, resent, forwarders };
    });
  }, 120_000);

  afterAll(() => pki?.cleanup());

  it.each(RUNTIMES)('%s: the backend line from an untrusted peer is spoofed; the TLS hop and the line without a peer keep ok', (runtime) => {
    const r = runs.get(runtime);
    if (!r) return;
    const byId = Object.fromEntries(r.events.map((e) => [e.requestId, e.verdict]));
    expect(byId).toEqual({ b0000000000000000000000000000001: 'spoofed_client_cert', b0000000000000000000000000000002: 'ok', b0000000000000000000000000000003: 'ok' });
    expect(r.summary.warnings).toEqual([
      "1 line carries a forwarded client certificate but their log gives no TCP peer address (or only one a proxy header rewrote), so the source's trusted proxies cannot be applied to them: log $realip_remote_addr (NGINX), %{c}a (Apache), %ci (HAProxy) or remote_ip (Caddy)",
    ]);
  });

  it.each(RUNTIMES)('%s: a line re-sent inside the window is a duplicate and is not counted again for its forwarding peer', (runtime) => {
    const r = runs.get(runtime);
    if (!r) return;
    expect([r.resent.accepted, r.resent.duplicates]).toEqual([1, 1]);
    expect(r.forwarders.forwarders.map((f) => [f.peer, f.lines, f.believedLines, f.trusted])).toEqual([['127.0.0.2', 2, 0, false]]);
  });
});
