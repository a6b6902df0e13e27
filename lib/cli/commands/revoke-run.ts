// The work of `holdfast revoke` (revoke.ts), loaded when the command runs.
import { loadConfig, readSetting } from '../../config.ts';
import { loadSecretKey } from '../../crypto/seal.ts';
import type { Database } from '../../db/open.ts';
import { dbConnectorResolver } from '../../revocation/connector-store.ts';
import { requestRevocation } from '../../revocation/request-revocation.ts';
import { describePointReceipt, revocationReceipts, type RevocationReceipts } from '../../revocation/receipts.ts';
import { getRevocation, type RevocationView } from '../../revocation/revocation-queries.ts';
import { runRevocationWorker } from '../../revocation/run-revocation-worker.ts';
import type { CommandContext } from '../command.ts';
import { CheckFailed, emit, readStdin, UsageError } from '../io.ts';
import { callApi } from '../remote.ts';
import { isUuid } from '../../domain/uuid.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function finished(v: RevocationView): boolean {
  return v.completedAt !== null || v.state === 'confirmed' || v.state === 'failed';
}

function ids(value: unknown, flag: string): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  for (const v of list) if (typeof v !== 'string' || !isUuid(v)) throw new UsageError(`--${flag} must be an id (UUID)`);
  return list as string[];
}

async function waitLocally(db: Database, key: Buffer, id: string, deadline: number): Promise<RevocationView> {
  const worker = { connectors: dbConnectorResolver(db, key), key, workerId: `cli-${process.pid}`, baseDelayMs: 1000, maxDelayMs: 10_000 };
  for (;;) {
    await runRevocationWorker(db, worker);
    const v = await getRevocation(db, id);
    if (finished(v) || Date.now() >= deadline) return v;
    const next = await db.prisma.revocationLeg.aggregate({ where: { revocationId: id, state: { in: ['pending', 'in_progress'] } }, _min: { nextAttemptAt: true } });
    const wait = (next._min.nextAttemptAt?.getTime() ?? Date.now() + 500) - Date.now();
    await sleep(Math.max(100, Math.min(wait, deadline - Date.now(), 5000)));
  }
}

/** The receipts in words: per leg, a summary, then one sentence per enforcement point. */
function receiptLines(r: RevocationReceipts): string[] {
  return r.legs.flatMap((leg) => [
    `  receipt (${leg.kind}): ${
      !leg.points.length ? 'no enforcement point has accepted it'
      : leg.confirmedAt ? `${leg.summary.stillAccepting} still accepting, ${leg.summary.effective} effective, ${leg.summary.notSeenSince} not seen since`
      : `not confirmed by the issuer yet: ${leg.summary.awaitingConfirmation} enforcement point(s) not judged until it is`
    }`,
    ...leg.points.map((p) => `    ${p.status.padEnd(21)} ${describePointReceipt(leg, p)}`),
  ]);
}

/** Runs `holdfast revoke` (options and usage: revoke.ts). */
export async function runRevoke(ctx: CommandContext): Promise<void> {
  const tokenIds = ids(ctx.values['token-id'], 'token-id');
  const certificateIds = ids(ctx.values['certificate-id'], 'certificate-id');
  if (!tokenIds.length && !certificateIds.length) throw new UsageError('--token-id (or --certificate-id) is required');
  const reason = ctx.values.reason;
  if (typeof reason !== 'string' || !reason.trim()) throw new UsageError('--reason is required');
  const timeoutS = ctx.values.timeout === undefined ? 120 : Number(ctx.values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 86400) throw new UsageError('--timeout must be a number of seconds (1–86400)');
  let rawToken: string | undefined;
  if (ctx.values['raw-token-stdin']) {
    if (tokenIds.length !== 1 || certificateIds.length) throw new UsageError('--raw-token-stdin needs exactly one --token-id');
    rawToken = (await readStdin()).trim();
    if (!rawToken) throw new UsageError('--raw-token-stdin: nothing on stdin');
  }
  const body = { tokenIds, certificateIds, withCertificate: !!ctx.values['with-certificate'], reason, ...(rawToken ? { rawToken } : {}) };
  const wait = !ctx.values['no-wait'];
  const deadline = Date.now() + timeoutS * 1000;

  let v: RevocationView & { receipts: RevocationReceipts };
  if (ctx.remote) {
    const remote = ctx.remote;
    const id = (await callApi<RevocationView>(remote, 'POST', '/api/v1/revocations', body)).id;
    // The GET carries the receipts (the POST answers the bare job).
    v = await callApi<typeof v>(remote, 'GET', `/api/v1/revocations/${id}`);
    while (wait && !finished(v) && Date.now() < deadline) {
      await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
      v = await callApi<typeof v>(remote, 'GET', `/api/v1/revocations/${id}`);
    }
  } else {
    v = await ctx.withDb(async (db) => {
      const key = loadSecretKey({ envValue: readSetting('HOLDFAST_SECRET_KEY'), dataDir: loadConfig().dataDir });
      const r = await requestRevocation(db, key, { ...body, actor: 'cli' });
      const view = wait ? await waitLocally(db, key, r.id, deadline) : await getRevocation(db, r.id);
      return { ...view, receipts: await revocationReceipts(db, r.id) };
    });
  }
  // CONTRACT.md fields first, unchanged; receipts added (fields may be added, never renamed).
  const out = { id: v.id, state: v.state, legs: v.legs.map((l) => ({ kind: l.kind, state: l.state, attempts: l.attempts, lastError: l.lastError })), receipts: v.receipts };
  emit(ctx.io, out, () => [`revocation ${v.id}: ${v.state}`, ...v.legs.map((l) => `  ${l.kind.padEnd(11)} ${l.state.padEnd(11)} attempts ${l.attempts}${l.lastError ? `  last error: ${l.lastError}` : ''}  ${l.label}`), ...receiptLines(v.receipts)].join('\n'));
  if (wait && v.state !== 'confirmed') {
    throw new CheckFailed(finished(v) ? `revocation ended ${v.state}: not every leg is confirmed` : `not confirmed within ${timeoutS} s (state ${v.state}); it continues in the background`);
  }
}
