// Measures verdict agreement on a large real-NGINX run (issue #16: "2,000 requests, 94.3 %"): the
// verdict matrix (verdict-matrix.ts) cycled until N requests have gone through a real NGINX mTLS
// gateway (test CA + CRL) with tokens from a real oidc-provider, the gateway's own JSON log
// ingested into an in-memory database, and every stored verdict compared with what the matrix
// says. Prints one JSON object: the rate, and each disagreement kind with its count.
//
//   npx tsx lib/services/ingest/testing/measure-verdict-agreement.ts [REQUESTS=2000]
//
// Test tooling, not part of the suite: run it in a checkout of the code to measure (before/after).
import { readFileSync } from 'node:fs';
import { generateKeyPair } from 'dpop';
import { fingerprintToken } from '../../../binding/index.ts';
import { openTestDatabase } from '../../../testing/databases.ts';
import { ingestStream } from '../index.ts';
import { CLIENT_CERTS, findNginx, requestIdsByPath, startNginxGateway, type ClientCert } from './nginx-gateway.ts';
import { startTestAuthorizationServer } from './oidc-as.ts';
import { allEvents } from './stored-events.ts';
import { expectedVerdict, MATRIX_BINDING, MATRIX_TOKENS, matrixTokens, presentToken, type MatrixToken } from './verdict-matrix.ts';

// Several requests in flight: 2,000 fresh TLS handshakes one by one take minutes on two cores.
const IN_FLIGHT = 8;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  if (!Number.isInteger(n) || n < 1) throw new Error('REQUESTS must be a positive integer');
  const nginx = findNginx();
  if (!nginx) throw new Error('nginx is not installed');
  const as = await startTestAuthorizationServer();
  const gw = await startNginxGateway(nginx);
  const t = await openTestDatabase('pglite');
  try {
    const keys = await generateKeyPair('ES256');
    const otherKeys = await generateKeyPair('ES256');
    const dpopToken = await as.token(keys);
    const bearerToken = await as.token();
    const introspection = (await Promise.all([dpopToken, bearerToken].map(async (tok) => JSON.stringify({ ...(await as.introspect(tok)), token: tok })))).join('\n') + '\n';
    const client = { tokens: matrixTokens(as.issuer, gw.certs.good.x5t, dpopToken, bearerToken), keys, otherKeys };

    const cells: Array<[ClientCert | null, MatrixToken]> = [...CLIENT_CERTS, null].flatMap((c) => MATRIX_TOKENS.map((tok) => [c, tok] as [ClientCert | null, MatrixToken]));
    const plan = Array.from({ length: n }, (_, i) => {
      const [cert, token] = cells[i % cells.length]!;
      return { path: `/matrix/${cert ?? 'none'}/${token}?n=${i}`, cert, token };
    });
    let next = 0;
    const statusMismatches: string[] = [];
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < plan.length) {
        const p = plan[next++]!;
        const status = await gw.request(p.path, p.cert, await presentToken(client, p.token, p.path));
        if (status !== expectedVerdict(p.cert, p.token).status) statusMismatches.push(`${p.path}: HTTP ${status}`);
      }
    }));
    const log = (await gw.stop()).json;

    await ingestStream(t.db, [introspection], { format: 'introspection', sourceName: 'oidc-provider', actor: 'measure' });
    const summary = await ingestStream(t.db, [readFileSync(log)], { format: 'nginx-json', sourceName: 'edge-nginx', actor: 'measure' });
    const byId = new Map((await allEvents(t.db)).map((e) => [e.requestId, e]));
    const idOf = requestIdsByPath(log);

    let agree = 0;
    let agreeOnVerdict = 0;
    const misses = new Map<string, number>();
    for (const p of plan) {
      const want = expectedVerdict(p.cert, p.token);
      const got = byId.get(idOf.get(p.path) ?? '');
      if (got?.verdict === want.verdict) agreeOnVerdict++;
      if (got && got.verdict === want.verdict && got.reason === want.reason) agree++;
      else {
        const k = `${p.cert ?? 'none'} × ${p.token}: want ${want.verdict}/${want.reason ?? '-'}, got ${got ? `${got.verdict}/${got.reason ?? '-'}` : 'nothing'}`;
        misses.set(k, (misses.get(k) ?? 0) + 1);
      }
    }
    process.stdout.write(JSON.stringify({
      requests: n,
      ingested: { accepted: summary.accepted, rejected: summary.rejected },
      agree,
      agreementPercent: Math.round((agree / n) * 1000) / 10,
      verdictOnlyAgreementPercent: Math.round((agreeOnVerdict / n) * 1000) / 10,
      tokenBindings: Object.fromEntries(await Promise.all(MATRIX_TOKENS.map(async (tok) => {
        const rows = await t.db.query<{ binding: string }>(`SELECT binding::text AS binding FROM "Token" WHERE fingerprint = $1`, [fingerprintToken(client.tokens[tok])]);
        return [tok, `${rows[0]?.binding ?? 'not stored'} (want ${MATRIX_BINDING[tok]})`];
      }))),
      statusMismatches: statusMismatches.length,
      misses: Object.fromEntries([...misses].sort((a, b) => b[1] - a[1])),
    }, null, 1) + '\n');
  } finally {
    gw.cleanup();
    await as.close();
    await t.drop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`measure-verdict-agreement: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
