// What correlating hops costs in storage, per request, on PostgreSQL: N requests through a real-shaped
// two-hop chain (an NGINX edge logging the client certificate and the token's facts, an NGINX backend
// logging the Client-Cert it received), ingested as two sources, then the sizes of evidence."Hop"
// (heap and indexes), "HopUsage", and the ledger for comparison.
//   npx tsx lib/services/evidence/testing/measure-hop-storage.ts [N=20000]
import { randomBytes } from 'node:crypto';
import { createGatewayPki } from '../../../testing/gateway-pki.ts';
import { openDatabase } from '../../../db/open.ts';
import { migrateDatabase } from '../../../db/migrations.ts';
import { createPostgresTestDatabase } from '../../../testing/databases.ts';
import { ingestStream } from '../../ingest/pipeline.ts';

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
  const n = Number(process.argv[2] ?? 20_000);
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
      const common = { time: at, correlation_id: corr, remote_addr: `10.0.${i % 250}.${i % 200}`, method: 'GET', uri: `/v1/orders/${i}`, status: 200, authz_scheme: 'Bearer', has_dpop: '0' };
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
      requests: n, hopRows: hop.rows, decidedHopRows: Number(decided!.n), ingestMs: took,
      liveTupleBytes: { hop: Number(tuple!.hop) + 28, ledger: Number(tuple!.ledger) + 28 },
      hopBytesPerHopRow: per(hop, hop.rows),
      hopBytesPerCorrelatedRequest: per(hop, n),
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
