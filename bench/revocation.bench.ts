// Revocation against a real local oidc-provider (TLS, RFC 7009 + RFC 7662) and Holdfast's CRL
// publisher: (1) time from request to both legs confirmed (token revoked and introspected
// inactive; certificate listed in a freshly signed CRL), p50/p95 over N revocations, against
// a direct RFC 7009 call to the same AS; (2) bulk throughput for BULK tokens through the job
// and worker — one request naming all of them (raw tokens via `rawTokens`), and BULK one-token
// requests — vs a direct revocation loop over other tokens, same AS, same run. The loop only
// revokes; Holdfast revokes, confirms by introspection (active:false) and records every leg. PGlite in memory by default; BENCH_REVOCATION_DB=postgres for the local PostgreSQL server.
// The bench tokens are opaque client-credentials tokens; their certificate link exists only in
// Holdfast's database (the AS does not bind them), which is enough to time the CRL leg.
import { randomBytes, X509Certificate, createHash } from 'node:crypto';
import { migrateDatabase } from '../lib/db/migrations.ts';
import { createPostgresTestDatabase } from '../lib/testing/databases.ts';
import { openDatabase } from '../lib/db/open.ts';
import { createConnector, dbConnectorResolver } from '../lib/revocation/connector-store.ts';
import { requestRevocation } from '../lib/revocation/request-revocation.ts';
import { runRevocationWorker } from '../lib/revocation/run-revocation-worker.ts';
import { startOidcPeer } from '../lib/revocation/testing/oidc-peer.ts';
import { fingerprintToken } from '../lib/credentials/fingerprint.ts';
import type { BenchResult } from './types.ts';

const N = Number(process.env.BENCH_REVOCATION_N ?? 100);
const BULK = Number(process.env.BENCH_REVOCATION_BULK ?? 1000);
// Worker batch size and concurrency: the worker's defaults (what the server runs) unless set.
const BATCH = process.env.BENCH_REVOCATION_BATCH ? Number(process.env.BENCH_REVOCATION_BATCH) : undefined;
const CONCURRENCY = process.env.BENCH_REVOCATION_CONCURRENCY ? Number(process.env.BENCH_REVOCATION_CONCURRENCY) : undefined;
// pglite (default, in memory) or postgres (a throwaway database on the local server).
const DB = process.env.BENCH_REVOCATION_DB === 'postgres' ? 'postgres' : 'pglite';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export async function run(): Promise<BenchResult[]> {
  const peer = await startOidcPeer();
  const pg = DB === 'postgres' ? await createPostgresTestDatabase() : null;
  const db = pg ? await openDatabase({ kind: 'postgres', url: pg.url, poolSize: 10 }) : await openDatabase({ kind: 'memory' });
  try {
    await migrateDatabase(db);
    const key = randomBytes(32);
    await createConnector(db, key, {
      name: 'as', kind: 'oauth', matchIssuer: peer.issuer,
      config: { revocationEndpoint: peer.revocationEndpoint, introspectionEndpoint: peer.introspectionEndpoint, clientId: peer.holdfastClient.clientId, authMethod: 'client_secret_basic', caPem: peer.caPem },
      secrets: { clientSecret: peer.holdfastClient.clientSecret },
    }, 'bench');
    await createConnector(db, key, { name: 'crl', kind: 'crl', config: { caName: 'oidc-peer-ca', caCertPem: peer.caPem }, secrets: { caKeyPem: peer.pki.read(peer.ca.key) } }, 'bench');
    const identity = await db.prisma.identity.create({ data: { name: 'bench-svc', kind: 'service' } });
    const worker = { connectors: dbConnectorResolver(db, key), key, workerId: 'bench', timeoutMs: 10_000 };
    const bulkWorker = { ...worker, ...(BATCH ? { batchSize: BATCH } : {}), ...(CONCURRENCY ? { concurrency: CONCURRENCY } : {}) };
    const workerNote = `worker batch ${BATCH ?? 'default 128'}, concurrency ${CONCURRENCY ?? 'default 16'}`;
    const addToken = async (raw: string, certificateId?: string) =>
      db.prisma.token.create({ data: { fingerprint: fingerprintToken(raw), identityId: identity.id, issuer: peer.issuer, binding: certificateId ? 'mtls' : 'bearer', certificateId } });

    // (1) latency, one revocation at a time: token leg + certificate leg.
    const latencies: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < N; i++) {
      const leaf = peer.pki.makeLeaf(`bench-${i}`, peer.ca);
      const c = new X509Certificate(peer.pki.read(leaf.cert));
      const cert = await db.prisma.certificate.create({ data: { x5tS256: createHash('sha256').update(c.raw).digest('base64url'), serial: c.serialNumber.toLowerCase(), caName: 'oidc-peer-ca', identityId: identity.id } });
      const raw = await peer.grant();
      const token = await addToken(raw, cert.id);
      const t0 = performance.now();
      const r = await requestRevocation(db, key, { tokenIds: [token.id], rawToken: raw, withCertificate: true, reason: 'bench', actor: 'bench' });
      for (;;) {
        await runRevocationWorker(db, worker);
        const rev = await db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id } });
        if (rev.state === 'confirmed') break;
        if (rev.completedAt) throw new Error(`revocation ended ${rev.state}`);
      }
      latencies.push(performance.now() - t0);
      const other = await peer.grant();
      const d0 = performance.now();
      if ((await peer.revokeDirect(other)) !== 200) throw new Error('direct revocation failed');
      direct.push(performance.now() - d0);
    }

    // (2) bulk: one revocation of BULK tokens, each with its raw token (RFC 7009 needs it),
    // drained by the worker; then BULK one-token revocations (one request each); then the
    // direct loop over other tokens. Same AS, same run.
    const drain = async () => {
      for (;;) {
        const p = await runRevocationWorker(db, bulkWorker);
        if (p.claimed === 0) break;
      }
    };
    const bulkTokens = async () => {
      const raws: string[] = [];
      for (let i = 0; i < BULK; i++) raws.push(await peer.grant());
      const tokens = [];
      for (const raw of raws) tokens.push(await addToken(raw));
      return { raws, ids: tokens.map((t) => t.id) };
    };
    const confirmedOf = async (ids: string[]) => {
      const n = await db.prisma.revocationLeg.count({ where: { state: 'confirmed', tokenId: { in: ids } } });
      if (n !== BULK) throw new Error(`bulk: ${n}/${BULK} legs confirmed`);
    };
    const revokedBefore = peer.calls.revocation;
    const one = await bulkTokens();
    const b0 = performance.now();
    const bulkRev = await requestRevocation(db, key, { tokenIds: one.ids, rawTokens: Object.fromEntries(one.ids.map((id, i) => [id, one.raws[i]!])), reason: 'bulk bench', actor: 'bench' });
    const requestMs = performance.now() - b0;
    await drain();
    const bulkMs = performance.now() - b0;
    await confirmedOf(one.ids);
    if ((await db.prisma.revocation.findUniqueOrThrow({ where: { id: bulkRev.id } })).state !== 'confirmed') throw new Error('bulk revocation not confirmed');
    // Exactly once: one RFC 7009 call per leg (no retries expected against a healthy local AS).
    const revokeCalls = peer.calls.revocation - revokedBefore;
    if (revokeCalls !== BULK) throw new Error(`bulk: ${revokeCalls} revocation calls for ${BULK} legs`);

    const many = await bulkTokens();
    const m0 = performance.now();
    for (let i = 0; i < BULK; i++) await requestRevocation(db, key, { tokenIds: [many.ids[i]!], rawToken: many.raws[i], reason: 'bulk bench', actor: 'bench' });
    const manyRequestMs = performance.now() - m0;
    await drain();
    const manyMs = performance.now() - m0;
    await confirmedOf(many.ids);

    const others: string[] = [];
    for (let i = 0; i < BULK; i++) others.push(await peer.grant());
    const l0 = performance.now();
    for (const t of others) if ((await peer.revokeDirect(t)) !== 200) throw new Error('direct revocation failed');
    const loopMs = performance.now() - l0;

    const p50 = pct(latencies, 50);
    const p95 = pct(latencies, 95);
    const d50 = pct(direct, 50);
    const d95 = pct(direct, 95);
    const notes = `${DB}; local oidc-provider over TLS; Holdfast = request txn + RFC 7009 + RFC 7662 introspection + CRL sign/verify + state txns; N=${N}`;
    return [
      { name: 'revocation: request → both legs confirmed p50', value: p50, unit: 'ms', baseline: { name: 'direct RFC 7009 call p50', value: d50, unit: 'ms' }, ratio: p50 / d50, notes },
      { name: 'revocation: request → both legs confirmed p95', value: p95, unit: 'ms', baseline: { name: 'direct RFC 7009 call p95', value: d95, unit: 'ms' }, ratio: p95 / d95, notes },
      {
        name: `revocation: bulk ${BULK} tokens, one request (job + worker, confirmed)`,
        value: BULK / (bulkMs / 1000),
        unit: 'tokens/s',
        baseline: { name: `direct RFC 7009 loop, ${BULK} tokens (unconfirmed)`, value: BULK / (loopMs / 1000), unit: 'tokens/s' },
        ratio: loopMs / bulkMs,
        notes: `${DB}; ${workerNote}; recording the request ${Math.round(requestMs)} ms, worker ${Math.round(bulkMs - requestMs)} ms; ${revokeCalls} RFC 7009 calls for ${BULK} legs. Holdfast does 2 AS calls per leg (RFC 7009 revoke + RFC 7662 introspection confirming active:false) and records each outcome; the direct loop does 1 (revoke only, nothing confirmed or recorded). ratio = Holdfast throughput / direct loop throughput`,
      },
      {
        name: `revocation: ${BULK} one-token requests (job + worker each, confirmed)`,
        value: BULK / (manyMs / 1000),
        unit: 'tokens/s',
        baseline: { name: `direct RFC 7009 loop, ${BULK} tokens (unconfirmed)`, value: BULK / (loopMs / 1000), unit: 'tokens/s' },
        ratio: loopMs / manyMs,
        notes: `${DB}; ${workerNote}; ${BULK} sequential requests (one transaction + audit entry each) ${Math.round(manyRequestMs)} ms, worker ${Math.round(manyMs - manyRequestMs)} ms; same 2 AS calls per leg vs 1 in the loop`,
      },
    ];
  } finally {
    await db.close();
    await pg?.drop();
    await peer.close();
  }
}
