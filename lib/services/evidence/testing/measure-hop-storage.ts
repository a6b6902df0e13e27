// What correlating hops costs in storage, per request, on PostgreSQL: N requests through a real-shaped
// two-hop chain (an NGINX edge logging the client certificate and the token's facts, an NGINX backend
// logging the Client-Cert it received), ingested as two sources, then the sizes of evidence."Hop"
// (heap and indexes), "HopUsage", and the ledger for comparison.
//   npx tsx lib/services/evidence/testing/measure-hop-storage.ts [N=20000] [--no-correlation]
// (--no-correlation: the same lines without a correlation id, the baseline for the ingest time.)
// Single-hop traffic, what most estates send (one edge logs every request, with the X-Request-ID it
// generates as its correlation id): N lines of the lead's generator (lib/testing/mtls-traffic.ts),
// ingested as one source, with their correlation ids and then without them (the same lines with the
// field removed), into two fresh databases: events/s and evidence bytes per request of each.
//   npx tsx lib/services/evidence/testing/measure-hop-storage.ts --single [N=200000]
import { randomBytes } from 'node:crypto';
import { createGatewayPki } from '../../../testing/gateway-pki.ts';
import { openDatabase } from '../../../db/open.ts';
import { migrateDatabase } from '../../../db/migrations.ts';
import { createPostgresTestDatabase } from '../../../testing/databases.ts';
import { ingestStream } from '../../ingest/pipeline.ts';
import { mtlsTraffic } from '../../../testing/mtls-traffic.ts';

/** Bytes of every evidence table (partitions, indexes and TOAST included). */
async function evidenceBytes(db: Awaited<ReturnType<typeof openDatabase>>): Promise<Record<string, number>> {
  const rows = await db.query<{ t: string; n: string }>(
    `SELECT p.relname AS t, sum(pg_total_relation_size(pt.relid))::text AS n
       FROM pg_class p JOIN pg_namespace ns ON ns.oid = p.relnamespace AND ns.nspname = 'evidence'
       CROSS JOIN LATERAL pg_partition_tree(p.oid) pt
      WHERE p.relkind IN ('p', 'r') AND NOT p.relispartition
      GROUP BY p.relname`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

async function single(n: number): Promise<void> {
  const traffic = await mtlsTraffic({ workloads: 500 });
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(traffic.line(i));
  const out: Record<string, unknown> = { requests: n };
  for (const correlated of [true, false]) {
    const body = correlated ? lines : lines.map((l) => l.replace(/"correlation_id":"[^"]*",/, ''));
    const pg = await createPostgresTestDatabase();
    const db = await openDatabase({ kind: 'postgres', url: pg.url, poolSize: 4 });
    try {
      await migrateDatabase(db);
      // The clock two hours after the traffic's last line (it starts 2026-12-04 08:00 UTC at 140 lines/s).
      const now = new Date(Date.UTC(2026, 11, 4, 8) + Math.ceil(n / 140 / 3600 + 2) * 3_600_000);
      const chunks: string[] = [];
      for (let i = 0; i < body.length; i += 2000) chunks.push(body.slice(i, i + 2000).join('\n') + '\n');
      const t = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      const s = await ingestStream(db, chunks, { format: 'nginx-json', sourceName: 'edge', actor: 'measure', now: () => now });
      const secs = Number(process.hrtime.bigint() - t) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      // This process's CPU (parse, verdicts, hop facts): unlike wall time, hardly moved by other load on the machine.
      const nodeCpuMicrosPerRequest = +((cpu.user + cpu.system) / n).toFixed(1);
      await db.query('VACUUM ANALYZE');
      const bytes = await evidenceBytes(db);
      const inWindow = (bytes.Request ?? 0) + (bytes.Hop ?? 0);
      out[correlated ? 'withCorrelation' : 'withoutCorrelation'] = {
        accepted: s.accepted, seconds: +secs.toFixed(2), nodeCpuMicrosPerRequest, eventsPerSecond: Math.round(s.accepted / secs),
        ledgerPlusHopBytesPerRequest: +(inWindow / n).toFixed(1), hopBytesPerRequest: +((bytes.Hop ?? 0) / n).toFixed(1),
        evidenceBytesPerRequest: +(Object.values(bytes).reduce((a, b) => a + b, 0) / n).toFixed(1), tables: bytes,
      };
    } finally {
      await db.close();
      await pg.drop();
    }
  }
  type Run = { eventsPerSecond: number; evidenceBytesPerRequest: number; seconds: number; nodeCpuMicrosPerRequest: number };
  const w = out.withCorrelation as Run;
  const wo = out.withoutCorrelation as Run;
  out.correlationCost = {
    bytesPerRequest: +(w.evidenceBytesPerRequest - wo.evidenceBytesPerRequest).toFixed(1),
    microsecondsPerRequest: +(((w.seconds - wo.seconds) * 1e6) / n).toFixed(1),
    nodeCpuMicrosPerRequest: +(w.nodeCpuMicrosPerRequest - wo.nodeCpuMicrosPerRequest).toFixed(1),
    throughputRatio: +(w.eventsPerSecond / wo.eventsPerSecond).toFixed(3),
  };
  console.log(JSON.stringify(out, null, 1));
}

async function sizes(db: Awaited<ReturnType<typeof openDatabase>>, parent: string): Promise<{ rows: number; heap: number; indexes: number }> {
  const [r] = await db.query<{ rows: string; heap: string; total: string }>(
    `SELECT (SELECT count(*) FROM "evidence"."${parent}")::text AS rows,
            coalesce(sum(pg_relation_size(c.oid)), 0)::text AS heap, coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS total
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = 'evidence' AND p.relname = $1`,
    [parent],
  );
  return { rows: Number(r!.rows), heap: Number(r!.heap), indexes: Number(r!.total) - Number(r!.heap) };
}

async function main(): Promise<void> {
  if (process.argv.includes('--single')) return single(Number(process.argv.filter((a) => /^\d+$/.test(a))[0] ?? 200_000));
  const n = Number(process.argv[2] ?? 20_000);
  const correlated = !process.argv.includes('--no-correlation');
  const pki = createGatewayPki('holdfast-hop-measure-');
  const pg = await createPostgresTestDatabase();
  const db = await openDatabase({ kind: 'postgres', url: pg.url, poolSize: 4 });
  try {
    await migrateDatabase(db);
    const good = pki.clients.good;
    const t0 = Date.now() - 3_600_000;
    const edge: string[] = [];
    const backend: string[] = [];
    for (let i = 0; i < n; i++) {
      const corr = randomBytes(16).toString('hex');
      const at = new Date(t0 + i * 100).toISOString().replace(/\.\d+Z$/, '+00:00');
      const common = { time: at, ...(correlated ? { correlation_id: corr } : {}), remote_addr: `10.0.${i % 250}.${i % 200}`, method: 'GET', uri: `/v1/orders/${i}`, status: 200, authz_scheme: 'Bearer', has_dpop: '0' };
      const token = { token_sha256: randomBytes(32).toString('base64url'), token_client_id: 'svc-a', token_sub: 'svc-a', cnf_x5t: good.x5t };
      edge.push(JSON.stringify({
        ...common, request_id: corr, scheme: 'https', host: 'api.example.com', ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'CN=svc-a,O=Test',
        ssl_client_i_dn: 'CN=Test Client CA,O=Test', ssl_client_serial: '1000', ssl_client_x5t: good.x5t, ...token,
      }));
      backend.push(JSON.stringify({ ...common, request_id: randomBytes(16).toString('hex'), scheme: 'http', host: 'orders.internal', http_client_cert: `:${good.derB64}:`, ...token }));
    }
    const t = Date.now();
    await ingestStream(db, edge.map((l) => `${l}\n`), { format: 'nginx-json', sourceName: 'edge', actor: 'measure' });
    await ingestStream(db, backend.map((l) => `${l}\n`), { format: 'nginx-json', sourceName: 'orders', actor: 'measure' });
    const took = Date.now() - t;
    await db.query('VACUUM ANALYZE');
    const hop = await sizes(db, 'Hop');
    const ledger = await sizes(db, 'Request');
    const usage = await sizes(db, 'HopUsage');
    const [decided] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM "evidence"."Hop" WHERE "chainVerdict" IS NOT NULL`);
    // Live row size: the tuple's data (pg_column_size of the row) + its 24-byte header and 4-byte line pointer.
    const [tuple] = await db.query<{ hop: string; ledger: string }>(
      `SELECT (SELECT avg(pg_column_size(h.*)) FROM "evidence"."Hop" h)::numeric(8,1)::text AS hop, (SELECT avg(pg_column_size(r.*)) FROM "evidence"."Request" r)::numeric(8,1)::text AS ledger`,
    );
    const per = (x: { heap: number; indexes: number }, rows: number) => ({ heap: +(x.heap / rows).toFixed(1), indexes: +(x.indexes / rows).toFixed(1), total: +((x.heap + x.indexes) / rows).toFixed(1) });
    console.log(JSON.stringify({
      requests: n, correlated, hopRows: hop.rows, decidedHopRows: Number(decided!.n), ingestMs: took,
      liveTupleBytes: { hop: Number(tuple!.hop) + 28, ledger: Number(tuple!.ledger) + 28 },
      hopBytesPerHopRow: hop.rows ? per(hop, hop.rows) : null,
      hopBytesPerCorrelatedRequest: hop.rows ? per(hop, n) : null,
      ledgerBytesPerLine: per(ledger, ledger.rows),
      hopUsage: { rows: usage.rows, bytes: usage.heap + usage.indexes },
    }, null, 1));
  } finally {
    await db.close();
    await pg.drop();
    pki.cleanup();
  }
}

void main();
