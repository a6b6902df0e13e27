// The hop lines of spoofed paths, read once for the simulation (run-simulation.ts) and for rollout
// plans (plans/read-evidence.ts), so both count a forged client certificate the same way
// (lib/simulate spoofedPathCategory says where each line counts).
import { verdictCode } from '../../domain/verdict-codes.ts';
import { ledgerIdentitySql } from '../evidence/writer.ts';

export interface SpoofedPathLinesOptions {
  /** The caller's columns over `u` (and its joins). */
  select: string;
  /** Joins on `u` the scope needs (the token as `t`, the identity as `i`). */
  joins: string;
  /** The caller's scope over `u`: usage-like columns "tokenId", "identityId", ns, gateway, route, network, cert, jkt, reason, verdict, hour. */
  where: string;
  /** SQL of the range's bounds, [from, to). */
  from: string;
  to: string;
}

/**
 * One row per hop line in scope of a request whose whole path is spoofed_client_cert (a hop passed a
 * client-supplied certificate header on, lib/hops), with `accepted` (2xx, or no status logged) and
 * `attackLine`: the one line per path its attack is counted on — a line whose own verdict is
 * spoofed_client_cert, else the one whose log shows the forged certificate (the hop after the leaking
 * one, `chainPos` = `chainLeak` + 1), else the first hop in scope (an edge simulated alone). Read from
 * the hop rows joined to their ledger rows (the usage row's dimensions, the identity as the writer
 * derives it), so only within the request window (HOLDFAST_REQUEST_WINDOW_DAYS).
 */
export function spoofedPathLinesSql(o: SpoofedPathLinesOptions): string {
  const spoofed = verdictCode('spoofed_client_cert');
  return `SELECT ${o.select}, u.accepted,
          row_number() OVER (PARTITION BY u.corr, u.leak ORDER BY u.verdict = ${spoofed} DESC, u.pos = u.leak + 1 DESC NULLS LAST, u.pos NULLS LAST) = 1 AS "attackLine"
     FROM (SELECT r."tokenId", ${ledgerIdentitySql('r', 'lt')} AS "identityId", r.ns, r.gateway, r.route, r.network, r.cert, r.jkt, r.reason, r.verdict, r."httpStatus" AS status,
                  h."occurredAt" AS hour, h.corr, h."chainPos" AS pos, h."chainLeak" AS leak, (r."httpStatus" IS NULL OR r."httpStatus" BETWEEN 200 AND 299) AS accepted
             FROM evidence."Hop" h JOIN evidence."Request" r ON r.day = h.day AND r.ns = h.ns AND r.key = h.key LEFT JOIN "Token" lt ON lt.id = r."tokenId"
            WHERE h."chainVerdict" = ${spoofed} AND h."occurredAt" >= ${o.from} AND h."occurredAt" < ${o.to}) u
     ${o.joins}
    WHERE ${o.where}`;
}
