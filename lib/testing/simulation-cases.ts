// What a simulation must tell apart that a generated estate lacks, added as the evidence writer
// would store it (benchmarks and tests): stolen-token replays a gateway accepted from another
// client network (bound_not_enforced, x5t_mismatch) and bound tokens sent without their
// certificate (no_certificate), for `replays.below` bound tokens in `replays.mod`; and bearer
// requests an enforcing gateway answered 401 for 1 bearer token in `refusedBearerMod` (their usage
// rows say bearer_unbound, only their notable rows carry the status). Stamps the usage hours.
import type { Database } from '../db/open.ts';
import { verdictCode } from '../domain/verdict-codes.ts';
import { DIM } from '../services/evidence/dims.ts';
import { stampAllUsageHours } from '../services/evidence/usage-versions.ts';

export interface SimulationCases {
  replays: { mod: number; below: number };
  refusedBearerMod: number;
  /** Only bearer usage rows of this stripe are copied (a generated estate writes stripe 0); null: any. */
  bearerStripe: number | null;
}

export async function addSimulationCases(db: Database, o: SimulationCases): Promise<void> {
  await db.query(`INSERT INTO evidence."Dim" (kind, value) VALUES (${DIM.reason}, 'no_certificate'), (${DIM.reason}, 'x5t_mismatch') ON CONFLICT DO NOTHING`);
  const [{ mismatch, nocert }] = (await db.query<{ mismatch: number; nocert: number }>(
    `SELECT (SELECT id FROM evidence."Dim" WHERE kind = ${DIM.reason} AND value = 'x5t_mismatch') AS mismatch, (SELECT id FROM evidence."Dim" WHERE kind = ${DIM.reason} AND value = 'no_certificate') AS nocert`,
  )) as [{ mismatch: number; nocert: number }];
  const columns = `("hour", "firstAt", "lastAt", "count", "ns", "gateway", "route", "network", "cert", "jkt", "reason", "verdict", "stripe", "tokenId", "identityId", "aggKey", "exemplar")`;
  // Stripes 11 and 12: no writer connection has them (pid % 8), so these rows never meet the writer's.
  await db.query(
    `INSERT INTO evidence."Usage" ${columns}
     SELECT u.hour, u."firstAt", u."lastAt", 3, u.ns, u.gateway, u.route, u.network + 1, u.cert, u.jkt,
            CASE WHEN abs(hashtext(u."tokenId"::text)) % 2 = 0 THEN $1::int ELSE $2::int END, ${verdictCode('bound_not_enforced')}, 11, u."tokenId", u."identityId",
            substring(sha256(u."aggKey" || '\\x01'::bytea) from 1 for 16), u.exemplar
       FROM evidence."Usage" u JOIN "Token" tk ON tk.id = u."tokenId"
      WHERE u.verdict = ${verdictCode('ok')} AND tk.binding <> 'bearer' AND abs(hashtext(u."tokenId"::text)) % $3::int < $4::int`,
    [mismatch, nocert, o.replays.mod, o.replays.below],
  );
  await db.query(
    `INSERT INTO evidence."Usage" ${columns}
     SELECT u.hour, u."firstAt", u."lastAt", 2, u.ns, u.gateway, u.route, u.network, u.cert, u.jkt, NULL, u.verdict, 12, u."tokenId", u."identityId",
            substring(sha256(u."aggKey" || '\\x02'::bytea) from 1 for 16), u.exemplar
       FROM evidence."Usage" u
      WHERE u.verdict = ${verdictCode('bearer_unbound')} AND ($1::int IS NULL OR u.stripe = $1::int) AND abs(hashtext(u."tokenId"::text)) % $2::int = 0`,
    [o.bearerStripe, o.refusedBearerMod],
  );
  await db.query(
    `INSERT INTO evidence."Notable" ("occurredAt", "ns", "verdict", "httpStatus", "tokenId", "identityId", "key", "gateway", "route", "network", "method", "url", "authScheme", "binding")
     SELECT u."firstAt" + s * interval '1 second', u.ns, u.verdict, 401, u."tokenId", u."identityId",
            substring(sha256(u."aggKey" || int4send(s)) from 1 for 17), gd.value, u.route, u.network, 'GET', 'https://api.bench.example/v1/orders', 'Bearer', 'bearer'
       FROM evidence."Usage" u JOIN evidence."Dim" gd ON gd.id = u.gateway CROSS JOIN generate_series(1, 2) s
      WHERE u.stripe = 12`,
  );
  await stampAllUsageHours(async (sql, params) => ({ rows: await db.query(sql, params) }));
}
