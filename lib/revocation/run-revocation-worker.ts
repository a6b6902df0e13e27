// The revocation worker: claims due legs with `FOR UPDATE SKIP LOCKED` (several app instances
// on PostgreSQL never take the same leg), holds a lease (`claimedUntil`) so a crashed worker's
// legs are taken again once it lapses, calls the leg's connector, and records the outcome.
// `attempts` is counted when a leg is claimed, before the peer is called, so calls at the peer
// never exceed the attempts Holdfast shows — even across a SIGKILL.
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { openSecret } from '../crypto/seal.ts';
import type { Database } from '../db/open.ts';
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
  batchSize?: number;
  concurrency?: number;
  random?: () => number;
  log?: (line: string) => void;
}

export interface WorkerPass {
  claimed: number;
  confirmed: number;
  retrying: number;
  failed: number;
}

interface ClaimedLeg {
  id: string;
}

async function claimLegs(db: Database, workerId: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedLeg[]> {
  // One statement: the row locks of the CTE are held until the UPDATE commits.
  return db.query<ClaimedLeg>(
    `WITH due AS (
       SELECT id FROM "RevocationLeg"
        WHERE state IN ('pending', 'in_progress') AND "nextAttemptAt" <= $1
          AND ("claimedUntil" IS NULL OR "claimedUntil" < $1)
        ORDER BY "nextAttemptAt"
        LIMIT $4
        FOR UPDATE SKIP LOCKED)
     UPDATE "RevocationLeg" l
        SET state = 'in_progress', "claimedBy" = $2, "claimedUntil" = $3, attempts = l.attempts + 1
       FROM due WHERE l.id = due.id
     RETURNING l.id`,
    [now, workerId, leaseUntil, limit],
  );
}

async function settleRevocation(tx: Parameters<Parameters<Database['prisma']['$transaction']>[0]>[0], revocationId: string, now: Date): Promise<void> {
  // Row lock on the revocation: two workers finishing its last legs agree on one completion.
  await tx.$queryRawUnsafe(`SELECT id FROM "Revocation" WHERE id = $1::uuid FOR UPDATE`, revocationId);
  const rev = await tx.revocation.findUnique({ where: { id: revocationId }, select: { state: true, completedAt: true } });
  if (!rev) return;
  // Counts per (state, tried) rather than every leg: a bulk revocation has thousands.
  const groups = await tx.$queryRawUnsafe<{ state: string; tried: boolean; n: number }[]>(
    `SELECT state, attempts > 0 AS tried, count(*)::int AS n FROM "RevocationLeg" WHERE "revocationId" = $1::uuid GROUP BY 1, 2`,
    revocationId,
  );
  const legs = groups.flatMap((g) => Array.from({ length: Number(g.n) }, () => ({ state: g.state, attempts: g.tried ? 1 : 0 })));
  const { state, done } = deriveRevocationState(legs);
  const count = (st: string) => groups.filter((g) => g.state === st).reduce((a, g) => a + Number(g.n), 0);
  const completing = done && !rev.completedAt;
  if (state === rev.state && !completing) return;
  await tx.revocation.update({ where: { id: revocationId }, data: { state, ...(completing ? { completedAt: now } : {}) } });
  if (completing) {
    await appendAuditEntry(tx, {
      actor: 'system:revocation-worker',
      action: 'revocation.complete',
      target: `revocation:${revocationId}`,
      details: { state, confirmed: count('confirmed'), failed: count('failed') },
    });
  }
}

/** One pass: claims due legs, carries each to its peer, records confirmed / retry / failed. */
export async function runRevocationWorker(db: Database, opts: RevocationWorkerOptions): Promise<WorkerPass> {
  const now = opts.now ?? (() => new Date());
  const leaseMs = opts.leaseMs ?? 60_000;
  const maxAttempts = opts.maxAttempts ?? 8;
  const random = opts.random ?? Math.random;
  const t0 = now();
  const claimed = await claimLegs(db, opts.workerId, t0, new Date(t0.getTime() + leaseMs), opts.batchSize ?? 20);
  const pass: WorkerPass = { claimed: claimed.length, confirmed: 0, retrying: 0, failed: 0 };
  if (!claimed.length) return pass;
  // Legs of one revocation in flight together: mark their revocations in progress.
  const revIds = await db.query<{ revocationId: string }>(`SELECT DISTINCT "revocationId" FROM "RevocationLeg" WHERE id = ANY($1::uuid[])`, [claimed.map((c) => c.id)]);
  await db.query(`UPDATE "Revocation" SET state = 'in_progress' WHERE id = ANY($1::uuid[]) AND state = 'pending'`, [revIds.map((r) => r.revocationId)]);

  const queue = [...claimed];
  const workers = Array.from({ length: Math.min(opts.concurrency ?? 4, queue.length) }, async () => {
    for (let leg = queue.shift(); leg; leg = queue.shift()) {
      const outcome = await processLeg(db, leg.id, opts, now, maxAttempts, random);
      pass[outcome]++;
    }
  });
  await Promise.all(workers);
  return pass;
}

async function processLeg(
  db: Database,
  legId: string,
  opts: RevocationWorkerOptions,
  now: () => Date,
  maxAttempts: number,
  random: () => number,
): Promise<'confirmed' | 'retrying' | 'failed'> {
  const leg = await db.prisma.revocationLeg.findUnique({
    where: { id: legId },
    include: { revocation: { select: { reason: true } }, token: true, certificate: true },
  });
  if (!leg) return 'failed';
  let error: ConnectorError;
  let connectorId: string | null = leg.connectorId;
  try {
    const target: LegTarget = {
      legId: leg.id,
      revocationId: leg.revocationId,
      kind: leg.kind as LegTarget['kind'],
      reason: leg.revocation.reason,
      ...(leg.token
        ? {
            token: {
              id: leg.token.id,
              fingerprint: leg.token.fingerprint,
              tokenType: leg.token.tokenType,
              jti: leg.token.jti,
              issuer: leg.token.issuer,
              clientId: leg.token.clientId,
              subject: leg.token.subject,
              raw: leg.sealedToken ? openSecret(opts.key, leg.sealedToken, legTokenAad(leg.id)) : null,
            },
          }
        : {}),
      ...(leg.certificate
        ? {
            certificate: {
              id: leg.certificate.id,
              serial: leg.certificate.serial,
              issuerDn: leg.certificate.issuerDn,
              subjectDn: leg.certificate.subjectDn,
              x5tS256: leg.certificate.x5tS256,
              caName: leg.certificate.caName,
              revokedAt: leg.certificate.revokedAt ?? now(),
            },
          }
        : {}),
    };
    if (!leg.token && !leg.certificate) throw new ConnectorError('the credential no longer exists in Holdfast', false);
    const resolved = await opts.connectors(target);
    if (!resolved) {
      const what = target.kind === 'token' ? `issuer ${target.token?.issuer ?? '(none)'}` : `CA ${target.certificate?.caName ?? '(none)'}`;
      throw new ConnectorError(`no connector serves ${what}: add one in Settings, then retry`, false);
    }
    connectorId = resolved.id;
    const result = await resolved.connector.execute(target, { now, timeoutMs: opts.timeoutMs ?? 10_000 });
    const at = now();
    await db.prisma.$transaction(async (tx) => {
      // Only the holder of the leg records it; a leg already settled elsewhere stays as it is.
      const r = await tx.revocationLeg.updateMany({
        where: { id: leg.id, state: 'in_progress' },
        data: { state: 'confirmed', confirmedAt: at, lastError: null, sealedToken: null, claimedBy: null, claimedUntil: null, connectorId },
      });
      if (r.count) await settleRevocation(tx, leg.revocationId, at);
    });
    opts.log?.(`revocation leg ${leg.id} confirmed: ${result.detail}`);
    return 'confirmed';
  } catch (e) {
    error = e instanceof ConnectorError ? e : new ConnectorError((e as Error)?.message?.split('\n')[0] ?? 'error', true);
  }
  const at = now();
  const final = !error.retryable || leg.attempts >= maxAttempts;
  const lastError = error.message.slice(0, 500);
  await db.prisma.$transaction(async (tx) => {
    const r = await tx.revocationLeg.updateMany({
      where: { id: leg.id, state: 'in_progress' },
      data: final
        ? { state: 'failed', lastError, sealedToken: null, claimedBy: null, claimedUntil: null, connectorId }
        : {
            lastError,
            claimedBy: null,
            claimedUntil: null,
            connectorId,
            nextAttemptAt: new Date(at.getTime() + backoffDelayMs(leg.attempts, { baseMs: opts.baseDelayMs ?? 2000, maxMs: opts.maxDelayMs ?? 15 * 60_000, random })),
          },
    });
    if (r.count) await settleRevocation(tx, leg.revocationId, at);
  });
  opts.log?.(`revocation leg ${leg.id} ${final ? 'failed' : 'will retry'}: ${lastError}`);
  return final ? 'failed' : 'retrying';
}

export interface WorkerLoop {
  /** Runs a pass now (coalesced with one in flight). */
  kick(): void;
  stop(): Promise<void>;
}

/** Runs passes every intervalMs until stopped; a pass that claimed work is followed at once. */
export function startRevocationWorkerLoop(db: Database, opts: RevocationWorkerOptions & { intervalMs?: number }): WorkerLoop {
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
