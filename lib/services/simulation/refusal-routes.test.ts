// The gateway's refusals a verdict does not show (a bearer token an enforcing route refuses still
// reads bearer_unbound) count as alreadyRefused on the route and client network where they
// happened: one token and certificate on an open route (accepted) and an enforcing one (refused)
// must not have the refusals taken from the open route's requests. On both runtimes.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../simulate/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from '../ingest/index.ts';
import { readPlanIdentities } from '../plans/index.ts';
import { expectColumnsEqualSql } from '../../testing/simulation-engines.ts';
import { refusedUnsaidSql } from './run-simulation.ts';
import { resolveScope } from './scope.ts';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const TOKEN = `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: 'https://as.test', sub: 'svc-a', client_id: 'svc-a', jti: randomUUID(), exp: 4_000_000_000 })}.c2ln`;
const AT = Date.UTC(2026, 11, 4, 10, 15);

/** One request: the same bearer token from the same client address, on `uri`, answered `status`. */
const line = (i: number, uri: string, status: number, addr = '10.1.0.7') =>
  JSON.stringify({
    time: new Date(AT + i * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00'), request_id: `${String(i).padStart(4, '0')}${'ef'.repeat(14)}`, remote_addr: addr,
    method: 'GET', scheme: 'https', host: 'api.test', uri, status, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', http_authorization: `Bearer ${TOKEN}`,
  });

for (const runtime of RUNTIMES) {
  describe(`refusals the verdict does not show stay on their own route and network (${runtime})`, () => {
    const dbs: TestDatabase[] = [];
    afterAll(async () => {
      for (const t of dbs.splice(0)) await t.drop();
    });

    it('open route: 3 would be refused; enforcing route: 3 already refused; another network: its own', async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      const t = await openTestDatabase(runtime);
      dbs.push(t);
      // The open route sorts first (its route number is lower): matching refusals in route order took them from it.
      const lines = [
        line(1, '/api/a', 200), line(2, '/api/a', 200), line(3, '/api/a', 200),
        line(4, '/strict/b', 401), line(5, '/strict/b', 401), line(6, '/strict/b', 403),
        line(7, '/strict/b', 200, '10.2.0.9'), line(8, '/strict/b', 401, '10.2.0.9'),
      ];
      const r = await ingestStream(t.db, [lines.join('\n') + '\n'], { format: 'nginx-json', sourceName: 'edge', actor: 'test', now: () => new Date(AT + 3_600_000) });
      expect(r, JSON.stringify(r.errors)).toMatchObject({ accepted: 8, rejected: 0 });
      const sim = await expectColumnsEqualSql(t.db, { policy: parsePolicy({ require: 'mtls' }), range: { from: new Date(AT - 3_600_000), to: new Date(AT + 3_600_000) } });
      const route = (suffix: string) => sim.routes.find((x) => x.name.endsWith(suffix));
      expect({ wouldBeRefused: route('/api/a')?.wouldBeRefused, alreadyRefused: route('/api/a')?.alreadyRefused }).toEqual({ wouldBeRefused: 3, alreadyRefused: 0 });
      expect({ wouldBeRefused: route('/strict/b')?.wouldBeRefused, alreadyRefused: route('/strict/b')?.alreadyRefused }).toEqual({ wouldBeRefused: 1, alreadyRefused: 4 });
      const network = (prefix: string) => sim.networks.find((x) => x.name.startsWith(prefix));
      expect({ wouldBeRefused: network('10.2.')?.wouldBeRefused, alreadyRefused: network('10.2.')?.alreadyRefused }).toEqual({ wouldBeRefused: 1, alreadyRefused: 1 });
      expect({ total: sim.requests.total, wouldBeRefused: sim.requests.wouldBeRefused, alreadyRefused: sim.requests.alreadyRefused }).toEqual({ total: 8, wouldBeRefused: 4, alreadyRefused: 4 });
    });

    it('a request the gateway refused with 401/403 whose verdict is ok (binding unknown) is kept as notable and counted as alreadyRefused', async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      const t = await openTestDatabase(runtime);
      dbs.push(t);
      // A client certificate and the Bearer scheme, the token itself not logged: Holdfast cannot say
      // how it is bound (ok, binding_unknown), but the gateway's status says whether it was refused.
      const okLine = (i: number, status: number) =>
        JSON.stringify({
          time: new Date(AT + i * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00'), request_id: `${String(i).padStart(4, '0')}${'ab'.repeat(14)}`, remote_addr: '10.1.0.7',
          method: 'GET', scheme: 'https', host: 'api.test', uri: '/strict/c', status, ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'O=Test,CN=svc-a',
          ssl_client_i_dn: 'CN=Test Client CA,O=Test', ssl_client_serial: '1001', ssl_client_fingerprint: 'f498c605fa3752617c698821c4b64c9fd589fd05', authz_scheme: 'Bearer',
        });
      const lines = [okLine(1, 200), okLine(2, 200), okLine(3, 401), okLine(4, 401), okLine(5, 403)];
      const r = await ingestStream(t.db, [lines.join('\n') + '\n'], { format: 'nginx-json', sourceName: 'edge', actor: 'test', now: () => new Date(AT + 3_600_000) });
      expect(r, JSON.stringify(r.errors)).toMatchObject({ accepted: 5, rejected: 0 });
      const kept = await t.db.query<{ verdict: number; reason: string | null; httpStatus: number }>(`SELECT verdict, reason, "httpStatus" FROM evidence."Notable" ORDER BY "occurredAt"`);
      expect(kept.map((k) => [k.verdict, k.reason, k.httpStatus])).toEqual([[0, 'binding_unknown', 401], [0, 'binding_unknown', 401], [0, 'binding_unknown', 403]]);
      const sim = await expectColumnsEqualSql(t.db, { policy: parsePolicy({ require: 'mtls' }), range: { from: new Date(AT - 3_600_000), to: new Date(AT + 3_600_000) } });
      expect({ total: sim.requests.total, alreadyRefused: sim.requests.alreadyRefused }).toEqual({ total: 5, alreadyRefused: 3 });
      // A rollout plan reads the same requests: each counted once (its usage row and its notable row are the same request).
      const policy = parsePolicy({ require: 'mtls' });
      const plan = await readPlanIdentities(t.db, policy, await resolveScope(t.db, policy), { from: new Date(AT - 3_600_000), to: new Date(AT + 3_600_000) });
      expect(plan.map((i) => ({ total: i.requests.total, alreadyRefused: i.requests.alreadyRefused }))).toEqual([{ total: 5, alreadyRefused: 3 }]);
    });

    it('the read of those refusals can use the partial index made for it (its predicate is the statement\'s)', async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      const t = await openTestDatabase(runtime);
      dbs.push(t);
      const r = await ingestStream(t.db, [line(1, '/strict/b', 401) + '\n'], { format: 'nginx-json', sourceName: 'edge', actor: 'test', now: () => new Date(AT + 3_600_000) });
      expect(r).toMatchObject({ accepted: 1 });
      // With sequential scans off, a partial index whose predicate the statement's does not imply cannot be used: the plan then scans.
      const partials = (await t.db.query<{ name: string }>(
        `SELECT i.indexrelid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace s ON s.oid = c.relnamespace
          WHERE s.nspname = 'evidence' AND c.relname LIKE 'Notable%' AND i.indpred IS NOT NULL`,
      )).map((x) => x.name.replace(/^evidence\./, '').replace(/"/g, ''));
      expect(partials.length, 'the parent and each partition carry the index').toBeGreaterThan(1);
      const explain = async (sql: string) => {
        const run = async (q: (s: string) => Promise<Record<string, string>[]>) => {
          await q('SET enable_seqscan = off');
          try {
            return (await q(`EXPLAIN ${sql}`)).map((row) => Object.values(row)[0]).join('\n');
          } finally {
            await q('RESET enable_seqscan');
          }
        };
        if (t.db.kind === 'postgres' && t.db.pool) {
          const c = await t.db.pool.connect();
          try {
            return await run(async (s) => (await c.query(s)).rows as Record<string, string>[]);
          } finally {
            c.release();
          }
        }
        return run((s) => t.db.query<Record<string, string>>(s, []));
      };
      const plan = await explain(`SELECT count(*) FROM evidence."Notable" n WHERE n."occurredAt" >= '2026-12-01' AND n."occurredAt" < '2026-12-31' AND ${refusedUnsaidSql('n')}`);
      expect(partials.some((name) => plan.includes(name)), plan).toBe(true);
    });
  });
}
