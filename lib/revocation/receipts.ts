// Revocation receipts: for each leg of a revocation (a token, a certificate), every enforcement
// point — a gateway within a source — that ever accepted the credential, and what it did after the
// revocation: accepted it again (still accepting: a critical finding), refused it (the revocation
// is effective there), or has not seen it since (and for how long). This is what an auditor asks
// for: proof that a revocation took effect where the credential is accepted.
//
// Read from the evidence store (docs/EVIDENCE.md), index-friendly and per credential:
//   - notable requests ("Notable", by tokenId or x5tS256): every request of a revoked token after
//     its revocation is kept there individually (an ok one as the after_revocation anomaly), and
//     every failure; each carries its HTTP status, so accepted vs refused is what the gateway did;
//   - hourly usage ("Usage", by tokenId or certificate): every request ever, per gateway and
//     verdict with first and last time, for points seen only as ok requests and for "last seen".
//
// The boundary is the moment the issuer or CA confirmed the leg: Holdfast marks a credential revoked
// then (not when revocation was asked for), and replay_after_revocation and the after_revocation
// anomaly count from it. Until then the credential still works, so a gateway accepting it is doing
// what it should: every point of an unconfirmed leg reads awaiting_confirmation, never
// still_accepting, with its requests since the request reported as they are.
import type { Database } from '../db/open.ts';
import { verdictCode, verdictCodeListSql } from '../domain/verdict-codes.ts';
import { REFUSAL_STATUSES } from '../domain/refusal-status.ts';
import { HoldfastError } from '../errors.ts';
import { ACCEPTED_VERDICTS } from '../risk/build-snapshot.ts';
import { DIM } from '../services/evidence/dims.ts';
import type { Verdict } from '../domain/types.ts';
import { isUuid } from '../domain/uuid.ts';

export type ReceiptStatus = 'effective' | 'still_accepting' | 'not_seen_since' | 'awaiting_confirmation';

export interface ReceiptFindingLink {
  id: string;
  rule: string;
  severity: string;
  status: string;
}

/** One enforcement point's record for one revoked credential. */
export interface EnforcementPointReceipt {
  /** The named source the requests came in through; null for a batch sent without one. */
  source: string | null;
  /** The gateway as logged (NGINX's configured source name or Host, an Envoy cluster, …). */
  gateway: string | null;
  /** The last time this point accepted the credential at or before the revocation. */
  lastAcceptedBefore: string | null;
  requestsAfter: {
    /** Requests let through after the revocation (see requestAccepted). */
    accepted: number;
    /** Requests refused after the revocation (401, 403, 495–497; 400 for a certificate the gateway failed). */
    refused: number;
    firstAt: string | null;
    lastAt: string | null;
    lastAcceptedAt: string | null;
  };
  /** The last request of the credential at this point, accepted or not. */
  lastSeenAt: string | null;
  status: ReceiptStatus;
  /** For not_seen_since: seconds from lastSeenAt to the receipt's time. */
  notSeenForSeconds: number | null;
  /** critical while the point still accepts a revoked credential. */
  severity: 'critical' | null;
  /** The replay_after_revocation finding that reports it, once findings were evaluated. */
  finding: ReceiptFindingLink | null;
}

export interface LegReceipt {
  legId: string;
  kind: 'token' | 'certificate';
  tokenId: string | null;
  certificateId: string | null;
  /** The boundary: when the issuer or CA confirmed the leg (while unconfirmed: when it was requested). */
  revokedAt: string;
  /** When the revocation was requested. */
  requestedAt: string;
  /** When the issuer or CA confirmed the leg, if it has. */
  confirmedAt: string | null;
  points: EnforcementPointReceipt[];
  summary: { points: number; effective: number; stillAccepting: number; notSeenSince: number; awaitingConfirmation: number };
}

export interface RevocationReceipts {
  revocationId: string;
  /** The time "not seen for" is measured to. */
  computedAt: string;
  legs: LegReceipt[];
}

/** Statuses with which a gateway refuses a credential whatever the verdict (lib/domain/refusal-status.ts). */
export { REFUSAL_STATUSES };

/**
 * Verdicts of a client certificate the gateway itself found failing (NGINX's
 * `$ssl_client_verify` FAILED:…, Apache's handshake errors). With one of them a 400 is the
 * gateway's refusal: NGINX answers a revoked, untrusted or expired client certificate with
 * "400 The SSL certificate error" when it verifies clients. A 400 with any other verdict came
 * from the upstream, past the gateway.
 */
export const GATEWAY_CERT_FAILURES = ['cert_revoked', 'cert_untrusted', 'cert_expired'] as const satisfies readonly Verdict[];

/**
 * Did the gateway let this request through (pure)? By its HTTP status when logged: a refusal
 * status, or a 400 for a certificate the gateway failed, is refused; without a status, by the
 * verdict (the accepted verdicts of the risk snapshot).
 */
export function requestAccepted(httpStatus: number | null, verdict: Verdict): boolean {
  if (httpStatus == null) return ACCEPTED_VERDICTS.includes(verdict);
  if ((REFUSAL_STATUSES as readonly number[]).includes(httpStatus)) return false;
  if (httpStatus === 400 && (GATEWAY_CERT_FAILURES as readonly string[]).includes(verdict)) return false;
  return true;
}

const ACCEPTED = verdictCodeListSql(ACCEPTED_VERDICTS);
const OK = verdictCode('ok');
/** requestAccepted inside SQL, on a Notable row (the table test of requestAccepted covers the rule; the real test the SQL). */
export const ACCEPTED_SQL = (alias: string) =>
  `(CASE WHEN ${alias}."httpStatus" IS NULL THEN ${alias}."verdict" IN ${ACCEPTED}
         WHEN ${alias}."httpStatus" IN (${REFUSAL_STATUSES.join(',')}) THEN false
         WHEN ${alias}."httpStatus" = 400 AND ${alias}."verdict" IN ${verdictCodeListSql(GATEWAY_CERT_FAILURES)} THEN false
         ELSE true END)`;

/** What hourly usage says about one point (verdicts only: usage keeps no status). */
export interface UsagePoint {
  ns: string;
  gateway: string | null;
  lastSeenAt: Date | null;
  everAccepted: boolean;
  /** Last accepted request at or before the boundary: an hour's last when the hour ended before it, else the hour's first. */
  acceptedBefore: Date | null;
  /** Ok requests in usage rows that began after the boundary. */
  okAfter: number;
}

/** What notable requests say about one point (each with its status). */
export interface NotablePoint {
  ns: string;
  gateway: string | null;
  lastSeenAt: Date | null;
  acceptedBefore: Date | null;
  acceptedAfter: number;
  refusedAfter: number;
  okAfter: number;
  firstAfter: Date | null;
  lastAfter: Date | null;
  lastAcceptedAfter: Date | null;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const later = (a: Date | null, b: Date | null) => (!a ? b : !b ? a : a > b ? a : b);

/**
 * Status of one point (pure): still accepting when it let the credential through after the
 * revocation, effective when it only refused it since, else not seen since.
 */
export function pointStatus(acceptedAfter: number, refusedAfter: number): ReceiptStatus {
  if (acceptedAfter > 0) return 'still_accepting';
  if (refusedAfter > 0) return 'effective';
  return 'not_seen_since';
}

/**
 * Merges what usage and notable requests say about each point into receipts (pure, clock
 * injected). Points that never accepted the credential are left out: a receipt is about the
 * places that did. Ok requests after the boundary that are not individually kept (usage ok rows
 * beyond the notable ones: a revoked certificate presented with a token that is not revoked)
 * count as accepted; hours that straddle the boundary are not split, so that count is a floor.
 * While the issuer has not confirmed the revocation, every point is awaiting_confirmation: the
 * credential still works, and a gateway accepting it is no failure.
 */
export function buildPointReceipts(usage: UsagePoint[], notable: NotablePoint[], sourceNames: Map<string, string>, now: Date, awaitingConfirmation = false): EnforcementPointReceipt[] {
  const key = (p: { ns: string; gateway: string | null }) => `${p.ns}\u0000${p.gateway ?? ''}`;
  const byKey = new Map<string, { u?: UsagePoint; n?: NotablePoint }>();
  for (const u of usage) byKey.set(key(u), { ...byKey.get(key(u)), u });
  for (const n of notable) byKey.set(key(n), { ...byKey.get(key(n)), n });
  const out: EnforcementPointReceipt[] = [];
  for (const { u, n } of byKey.values()) {
    const p = (u ?? n)!;
    const unrecordedOk = Math.max(0, (u?.okAfter ?? 0) - (n?.okAfter ?? 0));
    const accepted = (n?.acceptedAfter ?? 0) + unrecordedOk;
    const refused = n?.refusedAfter ?? 0;
    const acceptedBefore = later(u?.acceptedBefore ?? null, n?.acceptedBefore ?? null);
    if (!(u?.everAccepted || acceptedBefore || accepted > 0)) continue;
    const lastSeen = later(u?.lastSeenAt ?? null, n?.lastSeenAt ?? null);
    const status = awaitingConfirmation ? 'awaiting_confirmation' : pointStatus(accepted, refused);
    out.push({
      source: p.ns.startsWith('format:') ? null : (sourceNames.get(p.ns) ?? p.ns),
      gateway: p.gateway,
      lastAcceptedBefore: iso(acceptedBefore),
      requestsAfter: { accepted, refused, firstAt: iso(n?.firstAfter), lastAt: iso(n?.lastAfter), lastAcceptedAt: iso(n?.lastAcceptedAfter) },
      lastSeenAt: iso(lastSeen),
      status,
      notSeenForSeconds: status === 'not_seen_since' && lastSeen ? Math.max(0, Math.floor((now.getTime() - lastSeen.getTime()) / 1000)) : null,
      severity: status === 'still_accepting' ? 'critical' : null,
      finding: null,
    });
  }
  // Still accepting first: that is what needs action.
  const rank: Record<ReceiptStatus, number> = { still_accepting: 0, effective: 1, not_seen_since: 2, awaiting_confirmation: 3 };
  return out.sort((a, b) => rank[a.status] - rank[b.status] || (a.source ?? '').localeCompare(b.source ?? '') || (a.gateway ?? '').localeCompare(b.gateway ?? ''));
}

interface Credential {
  /** SQL predicate on a Usage row `u` / a Notable row `x`; parameters from $3 ($1 boundary, $2 until). */
  usage: string;
  notable: string;
  params: unknown[];
}

/** How usage and notable rows name the credential: a token by id, a certificate by its thumbprints. */
async function credentialOf(db: Database, leg: { kind: string; tokenId: string | null; certificateId: string | null }): Promise<Credential | null> {
  if (leg.kind === 'token' && leg.tokenId) return { usage: `u."tokenId" = $3::uuid`, notable: `x."tokenId" = $3::uuid`, params: [leg.tokenId] };
  if (!leg.certificateId) return null;
  const [c] = await db.query<{ x5t: string | null; sha1: string | null }>(`SELECT "x5tS256" AS x5t, "sha1Hex" AS sha1 FROM "Certificate" WHERE id = $1::uuid`, [leg.certificateId]);
  if (!c) return null;
  // Usage names a certificate by a dimension: its x5t#S256, or the SHA-1 NGINX logs without njs.
  return {
    usage: `u."cert" IN (SELECT id FROM "evidence"."Dim" WHERE ("kind" = ${DIM.cert} AND "value" = $3) OR ("kind" = ${DIM.certSha1} AND "value" = $4))`,
    notable: `(x."x5tS256" = $3 OR x."sha1Hex" = $4)`,
    params: [c.x5t ?? '', c.sha1 ?? ''],
  };
}

const num = (v: unknown) => Number(v ?? 0);
const dateOrNull = (v: unknown) => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

type Instant = Date | string | null;

async function usagePoints(db: Database, cred: Credential, boundary: Date, until: Date | null): Promise<UsagePoint[]> {
  // okAfter is a bigint sum: a string on both drivers.
  const rows = await db.query<{ ns: string; gateway: string | null; lastSeenAt: Instant; everAccepted: boolean; acceptedBefore: Instant; okAfter: string | number }>(
    `SELECT n."value" AS ns, g."value" AS gateway, max(u."lastAt") AS "lastSeenAt",
            bool_or(u."verdict" IN ${ACCEPTED}) AS "everAccepted",
            max(CASE WHEN u."verdict" IN ${ACCEPTED} AND u."lastAt" <= $1 THEN u."lastAt"
                     WHEN u."verdict" IN ${ACCEPTED} AND u."firstAt" <= $1 THEN u."firstAt" END) AS "acceptedBefore",
            coalesce(sum(u."count") FILTER (WHERE u."verdict" = ${OK} AND u."firstAt" > $1), 0)::bigint AS "okAfter"
       FROM "evidence"."Usage" u
       JOIN "evidence"."Dim" n ON n.id = u."ns"
       LEFT JOIN "evidence"."Dim" g ON g.id = u."gateway"
      WHERE ${cred.usage} AND ($2::timestamptz IS NULL OR u."firstAt" <= $2)
      GROUP BY n."value", g."value"`,
    [boundary, until, ...cred.params],
  );
  return rows.map((r) => ({
    ns: r.ns, gateway: r.gateway, lastSeenAt: dateOrNull(r.lastSeenAt), everAccepted: r.everAccepted,
    acceptedBefore: dateOrNull(r.acceptedBefore), okAfter: num(r.okAfter),
  }));
}

async function notablePoints(db: Database, cred: Credential, boundary: Date, until: Date | null): Promise<NotablePoint[]> {
  const acc = ACCEPTED_SQL('x');
  const rows = await db.query<{
    ns: string; gateway: string | null; lastSeenAt: Instant; acceptedBefore: Instant; acceptedAfter: number; refusedAfter: number; okAfter: number;
    firstAfter: Instant; lastAfter: Instant; lastAcceptedAfter: Instant;
  }>(
    `SELECT n."value" AS ns, x."gateway" AS gateway, max(x."occurredAt") AS "lastSeenAt",
            max(x."occurredAt") FILTER (WHERE ${acc} AND x."occurredAt" <= $1) AS "acceptedBefore",
            count(*) FILTER (WHERE ${acc} AND x."occurredAt" > $1)::int AS "acceptedAfter",
            count(*) FILTER (WHERE NOT ${acc} AND x."occurredAt" > $1)::int AS "refusedAfter",
            count(*) FILTER (WHERE x."verdict" = ${OK} AND x."occurredAt" > $1)::int AS "okAfter",
            min(x."occurredAt") FILTER (WHERE x."occurredAt" > $1) AS "firstAfter",
            max(x."occurredAt") FILTER (WHERE x."occurredAt" > $1) AS "lastAfter",
            max(x."occurredAt") FILTER (WHERE ${acc} AND x."occurredAt" > $1) AS "lastAcceptedAfter"
       FROM "evidence"."Notable" x
       JOIN "evidence"."Dim" n ON n.id = x."ns"
      WHERE ${cred.notable} AND ($2::timestamptz IS NULL OR x."occurredAt" <= $2)
      GROUP BY n."value", x."gateway"`,
    [boundary, until, ...cred.params],
  );
  return rows.map((r) => ({
    ns: r.ns, gateway: r.gateway, lastSeenAt: dateOrNull(r.lastSeenAt), acceptedBefore: dateOrNull(r.acceptedBefore),
    acceptedAfter: r.acceptedAfter, refusedAfter: r.refusedAfter, okAfter: r.okAfter, firstAfter: dateOrNull(r.firstAfter),
    lastAfter: dateOrNull(r.lastAfter), lastAcceptedAfter: dateOrNull(r.lastAcceptedAfter),
  }));
}

async function sourceNames(db: Database, ns: string[]): Promise<Map<string, string>> {
  const ids = ns.filter((x) => /^[0-9a-f-]{36}$/i.test(x));
  if (!ids.length) return new Map();
  const rows = await db.query<{ id: string; name: string }>(`SELECT id::text AS id, name FROM "Source" WHERE id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * The replay_after_revocation finding of the leg's credential (open first, then the newest): a
 * token's own, or for a certificate that of a token bound to it (the rule is per token; a revoked
 * certificate is accepted again in the requests of its bound, revoked token).
 */
async function replayFinding(db: Database, leg: { tokenId: string | null; certificateId: string | null }): Promise<ReceiptFindingLink | null> {
  const [f] = await db.query<ReceiptFindingLink>(
    `SELECT id::text AS id, rule, severity, status FROM "Finding"
      WHERE rule = 'replay_after_revocation'
        AND ("tokenId" = $1::uuid OR "certificateId" = $2::uuid
             OR "tokenId" IN (SELECT t.id FROM "Token" t JOIN "Certificate" c ON c.id = $2::uuid AND (t."certificateId" = c.id OR t."cnfX5tS256" = c."x5tS256")))
      ORDER BY (status = 'open') DESC, "lastSeenAt" DESC LIMIT 1`,
    [leg.tokenId, leg.certificateId],
  );
  return f ?? null;
}

interface LegRow {
  id: string;
  kind: string;
  tokenId: string | null;
  certificateId: string | null;
  confirmedAt: Date | null;
}

/**
 * The receipt of one leg (boundary: its confirmation; while unconfirmed, the request, every point
 * awaiting_confirmation). `until` leaves out requests after it (an export "as of" the end of its
 * range); `now` is what "not seen for" is measured to.
 */
export async function legReceipt(db: Database, leg: LegRow, requestedAt: Date, now: Date, until: Date | null = null): Promise<LegReceipt> {
  const confirmed = leg.confirmedAt !== null && (until === null || leg.confirmedAt <= until);
  const boundary = confirmed ? leg.confirmedAt! : requestedAt;
  const cred = await credentialOf(db, leg);
  const usage = cred ? await usagePoints(db, cred, boundary, until) : [];
  const notable = cred ? await notablePoints(db, cred, boundary, until) : [];
  const names = await sourceNames(db, [...usage, ...notable].map((p) => p.ns));
  const points = buildPointReceipts(usage, notable, names, now, !confirmed);
  if (points.some((p) => p.status === 'still_accepting')) {
    const finding = await replayFinding(db, leg);
    for (const p of points) if (p.status === 'still_accepting') p.finding = finding;
  }
  return {
    legId: leg.id,
    kind: leg.kind as LegReceipt['kind'],
    tokenId: leg.tokenId,
    certificateId: leg.certificateId,
    revokedAt: boundary.toISOString(),
    requestedAt: requestedAt.toISOString(),
    confirmedAt: iso(leg.confirmedAt),
    points,
    summary: {
      points: points.length,
      effective: points.filter((p) => p.status === 'effective').length,
      stillAccepting: points.filter((p) => p.status === 'still_accepting').length,
      notSeenSince: points.filter((p) => p.status === 'not_seen_since').length,
      awaitingConfirmation: points.filter((p) => p.status === 'awaiting_confirmation').length,
    },
  };
}


/** Receipts for every leg of a revocation. not_found for an unknown id. */
export async function revocationReceipts(db: Database, revocationId: string, opts: { now?: Date; until?: Date | null } = {}): Promise<RevocationReceipts> {
  if (!isUuid(revocationId)) throw new HoldfastError('not_found', 'no such revocation');
  const [rev] = await db.query<{ createdAt: Date }>(`SELECT "createdAt" FROM "Revocation" WHERE id = $1::uuid`, [revocationId]);
  if (!rev) throw new HoldfastError('not_found', 'no such revocation');
  const legs = await db.query<LegRow>(
    `SELECT id::text AS id, kind, "tokenId"::text AS "tokenId", "certificateId"::text AS "certificateId", "confirmedAt"
       FROM "RevocationLeg" WHERE "revocationId" = $1::uuid ORDER BY kind DESC, id`,
    [revocationId],
  );
  const now = opts.now ?? new Date();
  const requestedAt = dateOrNull(rev.createdAt)!;
  const out: LegReceipt[] = [];
  for (const l of legs) out.push(await legReceipt(db, { ...l, confirmedAt: dateOrNull(l.confirmedAt) }, requestedAt, now, opts.until ?? null));
  return { revocationId, computedAt: now.toISOString(), legs: out };
}

/** Where a point is, for people: "source / gateway" (one name when they are the same). */
export function pointName(p: Pick<EnforcementPointReceipt, 'source' | 'gateway'>): string {
  if (p.source && p.gateway && p.source !== p.gateway) return `${p.source} / ${p.gateway}`;
  return p.source ?? p.gateway ?? '(unnamed gateway)';
}

/** One point's receipt in one sentence (CLI, export evidence). */
export function describePointReceipt(leg: Pick<LegReceipt, 'kind' | 'revokedAt'>, p: EnforcementPointReceipt): string {
  const before = `last accepted before the revocation ${p.lastAcceptedBefore ?? 'never'}`;
  const after = `${p.requestsAfter.accepted} accepted and ${p.requestsAfter.refused} refused request(s) since ${leg.revokedAt}`;
  if (p.status === 'still_accepting') return `${pointName(p)} still accepts the revoked ${leg.kind}: ${after}, the last accepted ${p.requestsAfter.lastAcceptedAt}; ${before}.`;
  if (p.status === 'effective') return `${pointName(p)} refuses the revoked ${leg.kind}: ${after}; ${before}.`;
  if (p.status === 'awaiting_confirmation') return `${pointName(p)}: the issuer has not confirmed the revocation yet, so the ${leg.kind} still works there: ${p.requestsAfter.accepted} accepted and ${p.requestsAfter.refused} refused request(s) since it was requested at ${leg.revokedAt}; ${before}.`;
  return `${pointName(p)} has not seen the revoked ${leg.kind} since ${p.lastSeenAt ?? 'the revocation'} (${p.notSeenForSeconds ?? '?'} s); ${before}.`;
}
