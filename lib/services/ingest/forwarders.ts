// A source's forwarders: the TCP peers that sent its backend forwarded client-certificate headers
// (lib/hops/forwarders.ts tallies them per batch). Stored once per batch, inside its transaction;
// read by the Sources page and API, with whether each peer lies inside the current trusted proxies
// and the warning about trusted networks broad enough to hold clients.
import type { SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import { newForwarderWarning, type ForwarderTally } from '../../hops/forwarders.ts';
import { broadTrustedProxyWarnings, peerTrusted, storedTrustedProxies, type Cidr } from '../../hops/index.ts';

/**
 * Adds the batch's tally to its source's forwarders (peers in address order, so two batches of one
 * source lock the rows in one order) and returns the warning about peers inside a broad trusted
 * network that forwarded for the first time, or null.
 */
export async function recordForwarders(
  exec: SqlExecutor, input: { sourceId: string; sourceName: string; batchId: string; tally: ForwarderTally; trustedProxies: readonly Cidr[] | null },
): Promise<string | null> {
  const peers = [...input.tally.peers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!peers.length) return null;
  const { rows: before } = await exec(`SELECT EXISTS (SELECT 1 FROM "SourceForwarder" WHERE "sourceId" = $1::uuid) AS "had"`, [input.sourceId]);
  const { rows } = await exec(
    `INSERT INTO "SourceForwarder" ("sourceId", peer, "firstSeenAt", "lastSeenAt", lines, "believedLines", "lastBelievedAt", "firstBatchId")
     SELECT $1::uuid, t.peer, t.first, t.last, t.lines, CASE WHEN t.believed THEN t.lines ELSE 0 END, CASE WHEN t.believed THEN t.last END, $2::uuid
       FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::int8[], $7::bool[]) AS t(peer, first, last, lines, believed)
     ON CONFLICT ("sourceId", peer) DO UPDATE SET
       "firstSeenAt" = LEAST("SourceForwarder"."firstSeenAt", excluded."firstSeenAt"),
       "lastSeenAt" = GREATEST("SourceForwarder"."lastSeenAt", excluded."lastSeenAt"),
       lines = "SourceForwarder".lines + excluded.lines,
       "believedLines" = "SourceForwarder"."believedLines" + excluded."believedLines",
       "lastBelievedAt" = GREATEST("SourceForwarder"."lastBelievedAt", excluded."lastBelievedAt")
     RETURNING peer, "firstBatchId" = $2::uuid AS fresh`,
    [
      input.sourceId, input.batchId,
      peers.map(([p]) => p), peers.map(([, t]) => new Date(t.first).toISOString()), peers.map(([, t]) => new Date(t.last).toISOString()), peers.map(([, t]) => t.lines),
      // A peer's class is the same on every line of a batch (the trusted proxies are read once).
      peers.map(([, t]) => t.cls === 'trusted' || t.cls === 'unset'),
    ],
  );
  const fresh = new Set((rows as Array<{ peer: string; fresh: boolean }>).filter((r) => r.fresh).map((r) => r.peer));
  return newForwarderWarning({
    fresh: peers.filter(([p]) => fresh.has(p)),
    cidrs: input.trustedProxies,
    hadForwarders: (before[0] as { had: boolean } | undefined)?.had === true,
    source: input.sourceName,
  });
}

export interface SourceForwarderRow {
  peer: string;
  lines: number;
  /** Of those, lines whose header was believed (the peer was trusted then, or any peer was). */
  believedLines: number;
  firstSeenAt: string;
  lastSeenAt: string;
  /** Inside the source's trusted proxies; null when the source names none (any peer is believed). */
  trusted: boolean | null;
}

/** Forwarders shown per source, the newest first (a peer that only began forwarding is what to look at). */
export const FORWARDERS_SHOWN = 20;

/** What the Sources page and API say of a source's trusted proxies: the peers seen forwarding and the warnings. */
export interface ForwardingView {
  forwarders: SourceForwarderRow[];
  /** All peers recorded (the list holds at most FORWARDERS_SHOWN). */
  forwardersTotal: number;
  /** One line per trusted network broad enough to hold clients (broadTrustedProxyWarnings). */
  trustedProxyWarnings: string[];
}

/** The forwarding view of each source, by id. */
export async function forwardingViews(db: Database, sources: ReadonlyArray<{ id: string; trustedProxies: readonly string[] }>): Promise<Map<string, ForwardingView>> {
  const out = new Map<string, ForwardingView>();
  if (!sources.length) return out;
  const rows = await db.query<{ sourceId: string; peer: string; lines: string; believedLines: string; firstSeenAt: Date | string; lastSeenAt: Date | string; total: number }>(
    `SELECT "sourceId"::text AS "sourceId", peer, lines::text AS lines, "believedLines"::text AS "believedLines", "firstSeenAt", "lastSeenAt", total::int AS total
       FROM (SELECT f.*, row_number() OVER (PARTITION BY "sourceId" ORDER BY "firstSeenAt" DESC, peer) AS n,
                    count(*) OVER (PARTITION BY "sourceId") AS total
               FROM "SourceForwarder" f WHERE "sourceId" = ANY($1::uuid[])) ranked
      WHERE n <= $2 ORDER BY "sourceId", n`,
    [sources.map((s) => s.id), FORWARDERS_SHOWN],
  );
  const iso = (d: Date | string) => new Date(d).toISOString();
  for (const s of sources) {
    const cidrs = storedTrustedProxies(s.trustedProxies);
    const mine = rows.filter((r) => r.sourceId === s.id);
    out.set(s.id, {
      forwarders: mine.map((r) => ({
        peer: r.peer, lines: Number(r.lines), believedLines: Number(r.believedLines), firstSeenAt: iso(r.firstSeenAt), lastSeenAt: iso(r.lastSeenAt),
        trusted: cidrs.length ? peerTrusted(cidrs, r.peer) === true : null,
      })),
      forwardersTotal: mine[0]?.total ?? 0,
      trustedProxyWarnings: await trustedProxyWarnings(db, s.id, s.trustedProxies),
    });
  }
  return out;
}

/** Peers read for the warnings of a source's trusted proxies when they are set. */
const WARNING_PEERS = 1_000;

/** The warnings about a source's trusted proxies (broadTrustedProxyWarnings), with the peers it has seen forwarding. */
export async function trustedProxyWarnings(db: Database, sourceId: string, trustedProxies: readonly string[]): Promise<string[]> {
  const cidrs = storedTrustedProxies(trustedProxies);
  // Only a broad network is worth a warning, and only then are the peers read.
  if (!broadTrustedProxyWarnings(cidrs).length) return [];
  const rows = await db.query<{ peer: string }>(
    `SELECT peer FROM "SourceForwarder" WHERE "sourceId" = $1::uuid ORDER BY "firstSeenAt" DESC, peer LIMIT ${WARNING_PEERS}`, [sourceId],
  );
  return broadTrustedProxyWarnings(cidrs, rows.map((r) => r.peer));
}
