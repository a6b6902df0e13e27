// The revocation worker: claims due legs with `FOR UPDATE SKIP LOCKED` (several app instances
// on PostgreSQL never take the same leg), holds a lease (`claimedUntil`) so a crashed worker's
// legs are taken again once it lapses, calls the leg's connector, and records the outcome.
// `attempts` is counted when a leg is claimed, before the peer is called, so calls at the peer
// never exceed the attempts Holdfast shows — even across a SIGKILL.
import { appendAuditEntries, type AuditInput } from '../audit/append-audit-entry.ts';
import { openSecret } from '../crypto/seal.ts';
import type { Database } from '../db/open.ts';
import { scheduleAfterCommit } from '../services/findings/coalesce.ts';
import type { ConnectorResolver } from './connector-store.ts';
import { legTokenAad } from './request-revocation.ts';
import { backoffDelayMs, deriveRevocationState } from './revocation-state.ts';
import { ConnectorError, type LegTarget } from './types.ts';

export interface RevocationWorkerOptions {
  connectors: ConnectorResolver;
  key: Buffer;
  workerId: string;
  now?: () => Date;
  /** How long a claim holds before another worker may take the leg (default 60 s). */
  leaseMs?: number;
  /** Attempts before a leg fails for good (default 8). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Bound on each outbound call (default 10 s). */
  timeoutMs?: number;
  /** Legs one worker holds claimed at most (default 128); claimed again as written legs make room. */
  batchSize?: number;
  /** Legs one pass takes at most (default 8 × batchSize). */
  passLimit?: number;
  /** Legs in flight at once (default 16; the keep-alive agent holds 16 sockets per peer). */
  concurrency?: number;
  /** Longest a finished leg waits to be written with others while legs are in flight (default 100 ms). */
  flushMs?: number;
  random?: () => number;
  log?: (line: string) => void;
  /**
   * Called after a write that confirmed legs (tokens now revoked, certificates confirmed), so
   * findings and KPIs follow without waiting for an ingest. The loop schedules the same
   * coalesced evaluation an ingest does unless told otherwise.
   */
  onConfirmed?: (legs: number) => void;
}

export interface WorkerPass {
  claimed: number;
  confirmed: number;
  retrying: number;
  failed: number;
  /** Claimed but not sent (too little lease left for another call); the attempt is given back. */
  released: number;
}

interface ClaimedLeg {
  id: string;
}

async function claimLegs(db: Database, workerId: string, now: Date, leaseUntil: Date, limit: number, skip: string[] = []): Promise<ClaimedLeg[]> {
  // One statement: the row locks of the CTE are held until the UPDATE commits. `skip`: legs
  // this pass already handled (a retry due soon waits for the next pass, not the same one).
  return db.query<ClaimedLeg>(
    `WITH due AS (
       SELECT id FROM "RevocationLeg"
        WHERE state IN ('pending', 'in_progress') AND "nextAttemptAt" <= $1
          AND ("claimedUntil" IS NULL OR "claimedUntil" < $1)
          AND id <> ALL($5::uuid[])
        ORDER BY "nextAttemptAt"
        LIMIT $4
        FOR UPDATE SKIP LOCKED)
     UPDATE "RevocationLeg" l
        SET state = 'in_progress', "claimedBy" = $2, "claimedUntil" = $3, attempts = l.attempts + 1
       FROM due WHERE l.id = due.id
     RETURNING l.id`,
    [now, workerId, leaseUntil, limit, skip],
  );
}

type Tx = Parameters<Parameters<Database['prisma']['$transaction']>[0]>[0];

/**
 * Recomputes the state of each revocation whose legs just changed: one row lock per revocation
 * (taken in id order, so two workers settling overlapping sets cannot deadlock), one grouped
 * count over their legs, one set-based update, and one `revocation.complete` audit entry per
 * revocation that just finished — all in the caller's transaction.
 */
async function settleRevocations(tx: Tx, revocationIds: string[], now: Date): Promise<void> {
  if (!revocationIds.length) return;
  const ids = [...new Set(revocationIds)].sort();
  // Row locks: two workers finishing a revocation's last legs agree on one completion.
  const revs = await tx.$queryRawUnsafe<{ id: string; state: string; completedAt: Date | null }[]>(
    `SELECT id::text AS id, state, "completedAt" FROM "Revocation" WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    ids,
  );
  // Counts per (revocation, state, tried) rather than every leg: a bulk revocation has thousands.
  const groups = await tx.$queryRawUnsafe<{ revocationId: string; state: string; tried: boolean; n: number }[]>(
    `SELECT "revocationId"::text AS "revocationId", state, attempts > 0 AS tried, count(*)::int AS n
       FROM "RevocationLeg" WHERE "revocationId" = ANY($1::uuid[]) GROUP BY 1, 2, 3`,
    ids,
  );
  const changed: { id: string; state: string; completing: boolean }[] = [];
  const completions: AuditInput[] = [];
  for (const rev of revs) {
    const mine = groups.filter((g) => g.revocationId === rev.id);
    const legs = mine.flatMap((g) => Array.from({ length: Number(g.n) }, () => ({ state: g.state, attempts: g.tried ? 1 : 0 })));
    const { state, done } = deriveRevocationState(legs);
    const count = (st: string) => mine.filter((g) => g.state === st).reduce((a, g) => a + Number(g.n), 0);
    const completing = done && !rev.completedAt;
    if (state === rev.state && !completing) continue;
    changed.push({ id: rev.id, state, completing });
    if (completing) {
      completions.push({
        actor: 'system:revocation-worker',
        action: 'revocation.complete',
        target: `revocation:${rev.id}`,
        details: { state, confirmed: count('confirmed'), failed: count('failed') },
      });
    }
  }
  if (!changed.length) return;
  await tx.$executeRawUnsafe(
    `UPDATE "Revocation" r SET state = c.state,
            "completedAt" = CASE WHEN c.completing THEN $4::timestamptz ELSE r."completedAt" END
       FROM unnest($1::uuid[], $2::text[], $3::boolean[]) AS c(id, state, completing)
      WHERE r.id = c.id`,
    changed.map((c) => c.id),
    changed.map((c) => c.state),
    changed.map((c) => c.completing),
    now.toISOString(),
  );
  await appendAuditEntries(tx, completions);
}

/** What became of one claimed leg, waiting to be recorded with the others of its batch. */
interface LegOutcome {
  id: string;
  revocationId: string;
  result: 'confirmed' | 'retrying' | 'failed' | 'released';
  connectorId: string | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  at: Date;
  log: string;
}

/**
 * Records outcomes of a batch in one transaction each time (group commit): legs finished while
 * a write is in flight go into the next one. A leg is written only while it is still
 * `in_progress`; a retry, failure or release only by the worker that holds its claim, so a
 * worker whose lease lapsed never clears another worker's claim.
 */
async function recordOutcomes(db: Database, workerId: string, outcomes: LegOutcome[]): Promise<number> {
  if (!outcomes.length) return 0;
  const at = outcomes.reduce((a, o) => (o.at > a ? o.at : a), outcomes[0]!.at);
  return db.prisma.$transaction(async (tx) => {
    const updated = await tx.$queryRawUnsafe<{ id: string; revocationId: string; state: string }[]>(
      `UPDATE "RevocationLeg" l SET
              state = CASE o.result WHEN 'confirmed' THEN 'confirmed' WHEN 'failed' THEN 'failed' ELSE l.state END,
              "confirmedAt" = CASE WHEN o.result = 'confirmed' THEN o.at ELSE l."confirmedAt" END,
              "lastError" = CASE o.result WHEN 'confirmed' THEN NULL WHEN 'released' THEN l."lastError" ELSE o.error END,
              "sealedToken" = CASE WHEN o.result IN ('confirmed', 'failed') THEN NULL ELSE l."sealedToken" END,
              "nextAttemptAt" = CASE WHEN o.result = 'retrying' THEN o.next ELSE l."nextAttemptAt" END,
              -- A released leg was never sent to its peer: give the attempt back.
              attempts = CASE WHEN o.result = 'released' THEN l.attempts - 1 ELSE l.attempts END,
              "connectorId" = CASE WHEN o.result = 'released' THEN l."connectorId" ELSE o.connector END,
              "claimedBy" = NULL, "claimedUntil" = NULL
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[])
              AS o(id, result, connector, error, next, at)
        WHERE l.id = o.id AND l.state = 'in_progress'
          AND (o.result = 'confirmed' OR l."claimedBy" = $7)
       RETURNING l.id::text AS id, l."revocationId"::text AS "revocationId", l.state`,
      outcomes.map((o) => o.id),
      outcomes.map((o) => o.result),
      outcomes.map((o) => o.connectorId),
      outcomes.map((o) => o.lastError),
      outcomes.map((o) => o.nextAttemptAt?.toISOString() ?? null),
      outcomes.map((o) => o.at.toISOString()),
      workerId,
    );
    const confirmed = updated.filter((u) => u.state === 'confirmed').map((u) => u.id);
    // A token is revoked when its issuer confirmed it: marked here, in the leg's transaction,
    // at the moment of confirmation (what replay_after_revocation then counts from).
    if (confirmed.length) {
      await tx.$executeRawUnsafe(
        `UPDATE "Token" t SET status = 'revoked', "revokedAt" = l."confirmedAt"
           FROM "RevocationLeg" l
          WHERE l.id = ANY($1::uuid[]) AND l.kind = 'token' AND t.id = l."tokenId" AND t.status <> 'revoked'`,
        confirmed,
      );
    }
    await settleRevocations(tx, updated.map((u) => u.revocationId), at);
    return confirmed.length;
  });
}

interface LoadedLeg {
  id: string;
  revocationId: string;
  kind: string;
  attempts: number;
  connectorId: string | null;
  sealedToken: string | null;
  reason: string;
  tokenId: string | null;
  fingerprint: string | null;
  tokenType: string | null;
  jti: string | null;
  issuer: string | null;
  clientId: string | null;
  subject: string | null;
  certificateId: string | null;
  serial: string | null;
  issuerDn: string | null;
  subjectDn: string | null;
  x5tS256: string | null;
  caName: string | null;
  revokedAt: Date | null;
}

/** Everything the claimed legs need (leg, reason, token, certificate) in one query. */
async function loadLegs(db: Database, ids: string[]): Promise<LoadedLeg[]> {
  return db.query<LoadedLeg>(
    `SELECT l.id::text AS id, l."revocationId"::text AS "revocationId", l.kind, l.attempts, l."connectorId"::text AS "connectorId",
            l."sealedToken", r.reason,
            t.id::text AS "tokenId", t.fingerprint, t."tokenType", t.jti, t.issuer, t."clientId", t.subject,
            c.id::text AS "certificateId", c.serial, c."issuerDn", c."subjectDn", c."x5tS256", c."caName", c."revokedAt"
       FROM "RevocationLeg" l
       JOIN "Revocation" r ON r.id = l."revocationId"
       LEFT JOIN "Token" t ON t.id = l."tokenId"
       LEFT JOIN "Certificate" c ON c.id = l."certificateId"
      WHERE l.id = ANY($1::uuid[])`,
    [ids],
  );
}

/** One pass: claims due legs, carries each to its peer, records confirmed / retry / failed. */
export async function runRevocationWorker(db: Database, opts: RevocationWorkerOptions): Promise<WorkerPass> {
  const now = opts.now ?? (() => new Date());
  const leaseMs = opts.leaseMs ?? 60_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxAttempts = opts.maxAttempts ?? 8;
  const random = opts.random ?? Math.random;
  const batchSize = Math.max(1, opts.batchSize ?? 128);
  const passLimit = Math.max(batchSize, opts.passLimit ?? batchSize * 8);
  // Never start a leg that could outlive its lease (another worker may take it then): a leg is
  // at least a revoke and a confirm call, each bounded by timeoutMs. Bounded by half the lease,
  // so a short lease still lets the first legs of a claim through.
  const margin = Math.min(2 * timeoutMs, leaseMs / 2);
  const seen: string[] = [];
  const claim = async (limit: number): Promise<(LoadedLeg & { leaseUntil: number })[]> => {
    const t = now();
    const until = new Date(t.getTime() + leaseMs);
    const claimed = await claimLegs(db, opts.workerId, t, until, limit, seen);
    if (!claimed.length) return [];
    const ids = claimed.map((c) => c.id);
    seen.push(...ids);
    // Legs of one revocation in flight together: mark their revocations in progress.
    await db.query(
      `UPDATE "Revocation" SET state = 'in_progress'
        WHERE state = 'pending' AND id IN (SELECT "revocationId" FROM "RevocationLeg" WHERE id = ANY($1::uuid[]))`,
      [ids],
    );
    return (await loadLegs(db, ids)).map((l) => ({ ...l, leaseUntil: until.getTime() }));
  };
  const first = await claim(batchSize);
  const pass: WorkerPass = { claimed: first.length, confirmed: 0, retrying: 0, failed: 0, released: 0 };
  if (!first.length) return pass;

  // Group commit: finished legs are written together, one transaction once 32 (or
  // `concurrency`) wait, after `flushMs` at most, or at once when nothing else is in flight.
  // (On PGlite a write holds the event loop, so writing every leg on its own would also stall
  // the peer calls.)
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? 16, first.length));
  const flushMs = opts.flushMs ?? 100;
  const flushSize = Math.max(concurrency, 32);
  const queue = [...first];
  const pending: LegOutcome[] = [];
  let held = first.length; // claimed by this pass and not yet written: never above batchSize
  let inFlight = 0;
  let writing: Promise<void> | undefined;
  let writeError: unknown;
  let timer: NodeJS.Timeout | undefined;
  let refilling: Promise<void> | undefined;
  let exhausted = false;
  let stopped = false;
  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (writing) return writing;
    if (!pending.length) return Promise.resolve();
    const batch = pending.splice(0);
    writing = recordOutcomes(db, opts.workerId, batch)
      .then((confirmed) => {
        held -= batch.length;
        for (const o of batch) opts.log?.(o.log);
        if (confirmed) opts.onConfirmed?.(confirmed);
      })
      .catch((e: unknown) => {
        // Unrecorded legs keep their claim; the lease lapses and they are tried again.
        writeError ??= e;
        exhausted = true;
      })
      .finally(() => {
        writing = undefined;
        refill();
        maybeFlush();
      });
    return writing;
  };
  const maybeFlush = () => {
    if (writing || !pending.length) return; // a write in flight: the next one takes them
    if (pending.length >= flushSize || (inFlight === 0 && queue.length === 0 && !refilling)) void flush();
    else timer ??= setTimeout(() => void flush(), flushMs);
  };
  // Keep the peers busy across claims: while legs are in flight, claim the next ones as soon
  // as written legs make room, up to passLimit legs per pass.
  const refill = () => {
    if (refilling || exhausted || stopped || queue.length >= concurrency) return;
    const room = Math.min(batchSize - held, passLimit - pass.claimed);
    if (room <= 0 || (room < concurrency && room < passLimit - pass.claimed)) return;
    refilling = claim(room)
      .then((legs) => {
        if (!legs.length) exhausted = true;
        pass.claimed += legs.length;
        held += legs.length;
        queue.push(...legs);
      })
      .catch((e: unknown) => {
        writeError ??= e;
        exhausted = true;
      })
      .finally(() => {
        refilling = undefined;
        maybeFlush();
      });
  };

  const slot = async () => {
    for (;;) {
      let leg = queue.shift();
      if (!leg) {
        refill();
        // No room to claim until finished legs are written: write them now, then claim.
        if (!refilling && !exhausted && !stopped && (writing || pending.length)) {
          await flush();
          refill();
        }
        if (refilling) await refilling;
        leg = queue.shift();
        if (!leg) return;
      }
      inFlight++;
      refill();
      const outcome =
        now().getTime() + margin >= leg.leaseUntil ? released(leg, now()) : await processLeg(leg, opts, now, timeoutMs, maxAttempts, random);
      inFlight--;
      pass[outcome.result]++;
      pending.push(outcome);
      maybeFlush();
    }
  };
  for (;;) {
    await Promise.all(Array.from({ length: concurrency }, slot));
    if (refilling) await refilling;
    if (queue.length) continue; // claimed after the slots ended: run those too
    stopped = true; // no claim from here on: every claimed leg has been run
    break;
  }
  while (writing || pending.length) await flush();
  if (writeError) throw writeError;
  return pass;
}

function released(leg: LoadedLeg, at: Date): LegOutcome {
  return { id: leg.id, revocationId: leg.revocationId, result: 'released', connectorId: null, lastError: null, nextAttemptAt: null, at, log: `revocation leg ${leg.id} released unsent (lease too short for another call)` };
}

async function processLeg(
  leg: LoadedLeg,
  opts: RevocationWorkerOptions,
  now: () => Date,
  timeoutMs: number,
  maxAttempts: number,
  random: () => number,
): Promise<LegOutcome> {
  let error: ConnectorError;
  let connectorId: string | null = leg.connectorId;
  try {
    const target: LegTarget = {
      legId: leg.id,
      revocationId: leg.revocationId,
      kind: leg.kind as LegTarget['kind'],
      reason: leg.reason,
      ...(leg.tokenId
        ? {
            token: {
              id: leg.tokenId,
              fingerprint: leg.fingerprint!,
              tokenType: leg.tokenType!,
              jti: leg.jti,
              issuer: leg.issuer,
              clientId: leg.clientId,
              subject: leg.subject,
              raw: leg.sealedToken ? openSecret(opts.key, leg.sealedToken, legTokenAad(leg.id)) : null,
            },
          }
        : {}),
      ...(leg.certificateId
        ? {
            certificate: {
              id: leg.certificateId,
              serial: leg.serial,
              issuerDn: leg.issuerDn,
              subjectDn: leg.subjectDn,
              x5tS256: leg.x5tS256!,
              caName: leg.caName,
              revokedAt: leg.revokedAt ?? now(),
            },
          }
        : {}),
    };
    if (!leg.tokenId && !leg.certificateId) throw new ConnectorError('the credential no longer exists in Holdfast', false);
    const resolved = await opts.connectors(target);
    if (!resolved) {
      const what = target.kind === 'token' ? `issuer ${target.token?.issuer ?? '(none)'}` : `CA ${target.certificate?.caName ?? '(none)'}`;
      throw new ConnectorError(`no connector serves ${what}: add one in Settings, then retry`, false);
    }
    connectorId = resolved.id;
    const result = await resolved.connector.execute(target, { now, timeoutMs });
    return { id: leg.id, revocationId: leg.revocationId, result: 'confirmed', connectorId, lastError: null, nextAttemptAt: null, at: now(), log: `revocation leg ${leg.id} confirmed: ${result.detail}` };
  } catch (e) {
    error = e instanceof ConnectorError ? e : new ConnectorError((e as Error)?.message?.split('\n')[0] ?? 'error', true);
  }
  const at = now();
  const final = !error.retryable || leg.attempts >= maxAttempts;
  const lastError = error.message.slice(0, 500);
  const nextAttemptAt = final
    ? null
    : new Date(at.getTime() + backoffDelayMs(leg.attempts, { baseMs: opts.baseDelayMs ?? 2000, maxMs: opts.maxDelayMs ?? 15 * 60_000, random }));
  return {
    id: leg.id,
    revocationId: leg.revocationId,
    result: final ? 'failed' : 'retrying',
    connectorId,
    lastError,
    nextAttemptAt,
    at,
    log: `revocation leg ${leg.id} ${final ? 'failed' : 'will retry'}: ${lastError}`,
  };
}

export interface WorkerLoop {
  /** Runs a pass now (coalesced with one in flight). */
  kick(): void;
  stop(): Promise<void>;
}

/** Runs passes every intervalMs until stopped; a pass that claimed work is followed at once. */
export function startRevocationWorkerLoop(db: Database, loopOpts: RevocationWorkerOptions & { intervalMs?: number }): WorkerLoop {
  // Findings and KPIs follow a confirmed leg: the same coalesced evaluation an ingest schedules.
  const opts = { onConfirmed: () => scheduleAfterCommit(db, 'system:revocation-worker'), ...loopOpts };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const interval = opts.intervalMs ?? 2000;
  const tick = () => {
    if (stopped || running) return;
    clearTimeout(timer);
    running = (async () => {
      let again = false;
      try {
        const p = await runRevocationWorker(db, opts);
        again = p.claimed > 0;
      } catch (e) {
        opts.log?.(`revocation worker: ${(e as Error).message.split('\n')[0]}`);
      } finally {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, again ? 0 : interval);
      }
    })();
  };
  timer = setTimeout(tick, 0);
  return {
    kick: tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
